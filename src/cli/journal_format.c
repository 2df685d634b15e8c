/* journal_format: printing a release journal (see journal_format.h). */
#include "journal_format.h"

#include <stdlib.h>
#include <string.h>

#include "cutover/journal.h"

enum col { C_SEQ, C_TIME, C_ACTOR, C_TYPE, C_PLAN, C_SERVICE, C_WEIGHT, C_RESULT, C_REASON,
	   N_COL };

static const char *const heads[N_COL] = {
	"SEQ", "TIME (UTC)", "ACTOR", "TYPE", "PLAN", "SERVICE", "WEIGHT", "RESULT", "REASON",
};

struct table {
	char *(*rows)[N_COL];
	size_t n, cap;
	size_t width[N_COL];
	bool oom;
};

/* Columns on a terminal, not bytes: UTF-8 continuation bytes take none. */
static size_t columns(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A copy with control bytes as '?': a record's text must not move the
 * cursor or colour the terminal of whoever reads it. */
static char *clean(const char *s)
{
	char *c = strdup(s ? s : "");
	for (char *p = c; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return c;
}

static const char *str(const cJSON *rec, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, key));
}

/* "2025-11-24T14:31:02.123Z" as "2025-11-24 14:31:02": the header says UTC. */
static void fmt_time(const char *t, char *out, size_t cap)
{
	if (t && strlen(t) >= 19 && t[10] == 'T')
		snprintf(out, cap, "%.10s %.8s", t, t + 11);
	else
		snprintf(out, cap, "%s", t ? t : "-");
}

static void fmt_weight(const cJSON *rec, char *out, size_t cap)
{
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(rec, "from");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(rec, "to");
	char f[24] = "", t[24] = "";
	if (cJSON_IsNumber(from))
		snprintf(f, sizeof(f), "%g", from->valuedouble);
	if (cJSON_IsNumber(to))
		snprintf(t, sizeof(t), "%g", to->valuedouble);
	if (f[0] || t[0])
		snprintf(out, cap, "%s\xe2\x86\x92%s", f, t);	/* → */
	else
		snprintf(out, cap, "-");
}

/* "api", or for a record about several: "api,web,db +4 more". */
static void fmt_service(const cJSON *rec, char *out, size_t cap)
{
	const char *one = str(rec, "service");
	const cJSON *many = cJSON_GetObjectItemCaseSensitive(rec, "services");
	size_t o = 0;
	int n = 0, shown = 0;
	snprintf(out, cap, "%s", one ? one : "-");
	if (one || !cJSON_IsArray(many))
		return;
	const cJSON *it;
	cJSON_ArrayForEach(it, many) {
		n++;
		if (!cJSON_IsString(it) || shown == 3 || o + 1 >= cap)
			continue;
		int k = snprintf(out + o, cap - o, "%s%s", shown++ ? "," : "", it->valuestring);
		o = k < 0 ? o : o + (size_t)k < cap ? o + (size_t)k : cap - 1;
	}
	if (n > shown && o + 1 < cap)
		snprintf(out + o, cap - o, "%s+%d more", shown ? " " : "", n - shown);
	if (n == 0)
		snprintf(out, cap, "-");
}

static void fmt_result(const cJSON *rec, char *out, size_t cap)
{
	const char *r = str(rec, "result"), *inst = str(rec, "instance");
	if (r && inst)
		snprintf(out, cap, "%s on %s", r, inst);
	else
		snprintf(out, cap, "%s", r ? r : "-");
}

/* Why, in words: the operator's reason or a note's text, then any error. */
static void fmt_reason(const cJSON *rec, char *out, size_t cap)
{
	static const char *const keys[] = { "reason", "note", "text", "message", "detail", NULL };
	const char *why = NULL, *error = str(rec, "error");
	for (size_t i = 0; keys[i] && !why; i++)
		why = str(rec, keys[i]);
	bool forced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "forced"));
	snprintf(out, cap, "%s%s%s%s%s", forced ? "FORCED: " : "", why ? why : "",
		 why && error ? "; " : "", error ? "error: " : "", error ? error : "");
}

static int add_row(struct table *t, char *cells[N_COL])
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		void *p = realloc(t->rows, cap * sizeof(*t->rows));
		if (!p)
			return -1;
		t->rows = p;
		t->cap = cap;
	}
	for (int c = 0; c < N_COL; c++) {
		if (!(t->rows[t->n][c] = clean(cells[c]))) {
			while (c--)
				free(t->rows[t->n][c]);
			return -1;
		}
		size_t w = columns(t->rows[t->n][c]);
		t->width[c] = w > t->width[c] ? w : t->width[c];
	}
	t->n++;
	return 0;
}

static int collect(const cJSON *rec, long line, void *ctx)
{
	struct table *t = ctx;
	char seq[24], tm[40], weight[64], service[160], result[200], reason[400];
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "seq");
	snprintf(seq, sizeof(seq), "%.0f", cJSON_IsNumber(s) ? s->valuedouble : 0.0);
	fmt_time(str(rec, "time"), tm, sizeof(tm));
	fmt_weight(rec, weight, sizeof(weight));
	fmt_service(rec, service, sizeof(service));
	fmt_result(rec, result, sizeof(result));
	fmt_reason(rec, reason, sizeof(reason));
	const char *actor = str(rec, "actor"), *type = str(rec, "type"), *plan = str(rec, "plan");
	char *cells[N_COL] = { seq, tm, (char *)(actor ? actor : "-"), (char *)(type ? type : "-"),
			       (char *)(plan ? plan : "-"), service, weight, result, reason };
	if (add_row(t, cells) < 0) {
		t->oom = true;
		return 1;
	}
	return 0;
}

static void print_row(FILE *out, const struct table *t, char *const cells[N_COL])
{
	int last = N_COL - 1;
	while (last > 0 && !cells[last][0])
		last--;	/* no trailing blanks after the last word */
	for (int c = 0; c <= last; c++) {
		size_t pad = c == last ? 0 : t->width[c] - columns(cells[c]);
		/* Numbers right-aligned, words left. */
		if (c == C_SEQ)
			fprintf(out, "%*s%s", (int)pad, "", cells[c]);
		else
			fprintf(out, "%s%*s", cells[c], (int)pad, "");
		fputs(c == last ? "\n" : "  ", out);
	}
}

long journal_print_table(FILE *out, const char *path, struct co_error *err)
{
	struct table t = { 0 };
	for (int c = 0; c < N_COL; c++)
		t.width[c] = columns(heads[c]);
	int rc = journal_read(path, collect, &t, err);
	if (t.oom)
		co_error_set(err, "%s: out of memory after %zu records", path, t.n);
	if (rc == 0 && !t.oom && t.n > 0) {
		print_row(out, &t, (char *const *)heads);
		for (size_t i = 0; i < t.n; i++)
			print_row(out, &t, t.rows[i]);
	}
	for (size_t i = 0; i < t.n; i++)
		for (int c = 0; c < N_COL; c++)
			free(t.rows[i][c]);
	free(t.rows);
	return rc == 0 && !t.oom ? (long)t.n : -1;
}

struct json_out {
	FILE *out;
	long n;
};

static int emit(const cJSON *rec, long line, void *ctx)
{
	struct json_out *j = ctx;
	char *text = cJSON_PrintUnformatted(rec);
	if (!text)
		return 1;
	fprintf(j->out, "%s\n  %s", j->n++ ? "," : "", text);
	free(text);
	return 0;
}

long journal_print_json(FILE *out, const char *path, struct co_error *err)
{
	struct json_out j = { out, 0 };
	fputc('[', out);
	int rc = journal_read(path, emit, &j, err);
	if (rc > 0)
		co_error_set(err, "%s: out of memory after %ld records", path, j.n);
	fputs(j.n ? "\n]\n" : "]\n", out);
	return rc == 0 ? j.n : -1;
}
