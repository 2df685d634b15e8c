/* journal_tail: follows a journal file by offset (see journal_tail.h). */
#include "cutover/journal_tail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

int journal_tail_init(struct journal_tail *ev, const char *path)
{
	memset(ev, 0, sizeof *ev);
	ev->path = path ? strdup(path) : NULL;
	return ev->path ? 0 : -1;
}

void journal_tail_done(struct journal_tail *ev)
{
	free(ev->path);
	ev->path = NULL;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static void num(const cJSON *o, const char *k, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsNumber(v))
		snprintf(out, cap, "%d", v->valueint);
	else
		snprintf(out, cap, "?");
}

static void format_record(const cJSON *r, struct journal_event *out)
{
	const char *type = str(r, "type"), *t = str(r, "time");
	char from[8], to[8], found[8];
	num(r, "from", from, sizeof from);
	num(r, "to", to, sizeof to);
	num(r, "found", found, sizeof found);
	/* "2026-11-24T14:31:02.123Z": keep the clock. */
	snprintf(out->time, sizeof out->time, "%.8s", strlen(t) >= 19 ? t + 11 : "--:--:--");
	snprintf(out->service, sizeof out->service, "%s", str(r, "service"));
	const char *svc = out->service[0] ? out->service : "-";
	if (strcmp(type, "intent") == 0) {
		bool forced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "forced"));
		out->bad = forced;
		snprintf(out->text, sizeof out->text, "%s %s %s -> %s by %s%s%s",
			 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "rollback")) ? "rollback" : "move",
			 svc, from, to, str(r, "actor"), forced ? " FORCED: " : "",
			 forced ? str(r, "reason") : "");
	} else if (strcmp(type, "outcome") == 0) {
		const char *res = str(r, "result");
		out->bad = strcmp(res, "applied") != 0 && strcmp(res, "reconciled") != 0;
		if (strcmp(res, "reconciled") == 0)
			snprintf(out->text, sizeof out->text, "reconciled %s: router says %s", svc, found);
		else
			snprintf(out->text, sizeof out->text, "%s %s %s on %s%s%s", res, svc,
				 strcmp(res, "reverted") == 0 ? from : to, str(r, "instance"),
				 out->bad ? ": " : "", out->bad ? str(r, "error") : "");
	} else if (strcmp(type, "reconcile") == 0) {
		out->bad = true;
		snprintf(out->text, sizeof out->text, "crash left %s unfinished; router says %s", svc, found);
	} else {
		out->bad = false;
		const char *note = str(r, "note");
		snprintf(out->text, sizeof out->text, "%s%s%s", type, *note ? ": " : "", note);
	}
}

static void format_parsed(const cJSON *r, struct journal_event *out)
{
	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(r)) {
		snprintf(out->time, sizeof out->time, "--:--:--");
		snprintf(out->text, sizeof out->text, "(a line that is not a record)");
		out->bad = true;
	} else {
		format_record(r, out);
	}
}

void journal_event_format(const char *json_line, struct journal_event *out)
{
	cJSON *r = cJSON_Parse(json_line);
	format_parsed(r, out);
	cJSON_Delete(r);
}

void journal_tail_add(struct journal_tail *ev, const char *line)
{
	size_t slot = (ev->head + ev->n) % JOURNAL_TAIL_KEEP;
	if (ev->n == JOURNAL_TAIL_KEEP)
		ev->head = (ev->head + 1) % JOURNAL_TAIL_KEEP;
	else
		ev->n++;
	cJSON *r = cJSON_Parse(line);
	format_parsed(r, &ev->ring[slot]);
	if (ev->on_record && cJSON_IsObject(r))
		ev->on_record(r, ev->on_record_ctx);
	cJSON_Delete(r);
	ev->pushed++;
}

/* Splits buf into lines; an unfinished last line waits in partial. */
static void take(struct journal_tail *ev, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n') {
			if (ev->n_partial + 1 < sizeof ev->partial)
				ev->partial[ev->n_partial++] = buf[i];
			continue;	/* an over-long line is cut, not lost in step */
		}
		ev->partial[ev->n_partial] = '\0';
		if (ev->n_partial)
			journal_tail_add(ev, ev->partial);
		ev->n_partial = 0;
	}
}

bool journal_tail_poll(struct journal_tail *ev)
{
	struct stat st;
	bool first = !ev->polled;	/* what came before it, the caller read whole */
	ev->polled = true;
	if (!ev->path || stat(ev->path, &st) != 0) {
		ev->readable = false;
		return false;
	}
	if ((long long)st.st_size < ev->offset) {	/* replaced: start again */
		ev->skipped = true;
		ev->offset = 0;
		ev->n_partial = 0;
		ev->n = ev->head = 0;
	}
	if ((long long)st.st_size == ev->offset) {
		ev->readable = true;
		return false;
	}
	FILE *f = fopen(ev->path, "r");
	if (!f) {
		ev->readable = false;
		return false;
	}
	ev->readable = true;
	/* A long journal read for the first time: only its end matters. */
	long long want = ev->offset;
	if ((long long)st.st_size - want > 256 * 1024) {
		ev->skipped |= !first;	/* the first read skips by design */
		want = (long long)st.st_size - 256 * 1024;
		ev->n_partial = 0;
	}
	bool skip_first = want != ev->offset;
	unsigned long before = ev->pushed;
	char buf[16384];
	if (fseeko(f, (off_t)want, SEEK_SET) == 0) {
		size_t got;
		while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
			size_t start = 0;
			want += (long long)got;
			if (skip_first) {	/* we landed mid-line */
				char *nl = memchr(buf, '\n', got);
				if (!nl)
					continue;
				start = (size_t)(nl - buf) + 1;
				skip_first = false;
			}
			take(ev, buf + start, got - start);
		}
	}
	ev->offset = want;
	fclose(f);
	return ev->pushed != before;
}

const struct journal_event *journal_tail_recent(const struct journal_tail *ev, size_t k)
{
	if (k >= ev->n)
		return NULL;
	return &ev->ring[(ev->head + ev->n - 1 - k) % JOURNAL_TAIL_KEEP];
}
