/* Recovery after a crash: each intent with no outcome is reconciled once,
 * and a reconciled outcome torn by a power loss (no record: journal.h) is
 * reconciled once more, its torn bytes kept and the chain going on after
 * them. No process is killed here: the journals a crash leaves are made
 * by hand, so these cases do not depend on timing (the crash suite,
 * tests/integration/crash_recovery.sh, meets them by chance). */
#include "journal_fixture.h"

#include "cutover/config.h"
#include "cutover/recovery.h"

static const char config_text[] =
	"{\"release\":\"r1\",\"state_dir\":\"/nonexistent\","
	"\"router\":{\"driver\":\"haproxy\",\"sockets\":[\"/run/h1.sock\"]},"
	"\"services\":[{\"name\":\"api\",\"kind\":\"exposed\",\"group\":\"front\","
	"\"route\":{\"backend\":\"be_api\"},"
	"\"blue\":{\"health\":\"http://127.0.0.1:1/blue\"},"
	"\"green\":{\"health\":\"http://127.0.0.1:1/green\"}}]}";

/* One router instance that reads api at weight. */
struct fake_router {
	struct config *cfg;
	struct instance_result inst;
	struct route_observation obs;
	struct router_view view;
};

static void fake_router_init(struct fake_router *r, int weight)
{
	struct diag_list d;
	diag_list_init(&d);
	memset(r, 0, sizeof(*r));
	r->cfg = config_parse("test.json", config_text, strlen(config_text), &d);
	if (!r->cfg)
		fail_msg("config: %s", d.n ? d.items[0].msg : "?");
	diag_list_done(&d);
	snprintf(r->inst.name, sizeof(r->inst.name), "/run/h1.sock");
	r->inst.ok = true;
	r->obs.service = 0;
	r->obs.weight = weight;
	r->view = (struct router_view){ .cfg = r->cfg, .n_instances = 1, .inst = &r->inst,
					.obs = &r->obs, .up = 1 };
}

struct said {
	char lines[8][512];
	size_t n;
};

static void collect(const char *line, void *ctx)
{
	struct said *s = ctx;
	if (s->n < 8)
		snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s", line);
}

static long recover(const struct fx *f, struct fake_router *r, struct said *said)
{
	struct co_error err = { "" };
	struct journal *j = jopen(f);
	long n = recovery_run(j, r->cfg, &r->view, collect, said, &err);
	journal_close(j);
	if (n < 0)
		fail_msg("recovery_run: %s", err.msg);
	return n;
}

static void intent(struct journal *j, const char *plan, const char *service, int to)
{
	struct co_error err = { "" };
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "service", service);
	cJSON_AddNumberToObject(p, "to", to);
	int rc = journal_append(j, "intent", plan, p, &err);
	cJSON_Delete(p);
	if (rc != 0)
		fail_msg("journal_append: %s", err.msg);
}

static char *read_text(const char *path)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long len = ftell(fp);
	rewind(fp);
	char *s = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(s, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	return s;
}

static void write_text(const char *path, const char *s)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(s, 1, strlen(s), fp), strlen(s));
	fclose(fp);
}

/* A power loss during the last write: its last line keeps only its first
 * half (no newline), and the head file is the one from before that write,
 * whose rename never happened. */
static void tear_last_line(const struct fx *f, const char *head_before)
{
	struct lines l;
	lines_load(f->path, &l);
	assert_true(l.n >= 2 && l.last_nl);
	long keep = (long)(l.v[l.n - 1] - l.buf) + (long)strlen(l.v[l.n - 1]) / 2;
	free(l.buf);
	truncate_file(f->path, keep);
	write_text(f->head, head_before);
}

/* The records of the journal whose "type" is type and whose key is value
 * (any value if key is NULL), with their seq in seqs. */
struct match {
	const char *type, *key;
	long long value;
	long long seqs[8];
	size_t n;
};

static int match_record(const cJSON *rec, long line, void *ctx)
{
	struct match *m = ctx;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
	const cJSON *k = m->key ? cJSON_GetObjectItemCaseSensitive(rec, m->key) : NULL;
	if (!cJSON_IsString(type) || strcmp(type->valuestring, m->type) != 0)
		return 0;
	if (m->key && (!cJSON_IsNumber(k) || (long long)k->valuedouble != m->value))
		return 0;
	if (m->n < 8)
		m->seqs[m->n++] = (long long)cJSON_GetObjectItemCaseSensitive(rec, "seq")->valuedouble;
	return 0;
}

static struct match find(const struct fx *f, const char *type, const char *key, long long value)
{
	struct match m = { .type = type, .key = key, .value = value };
	struct co_error err = { "" };
	if (journal_read(f->path, match_record, &m, &err) != 0)
		fail_msg("journal_read: %s", err.msg);
	return m;
}

/* The record with this seq, parsed (caller frees). */
struct by_seq {
	long long seq;
	cJSON *rec;
};

static int seq_record(const cJSON *rec, long line, void *ctx)
{
	struct by_seq *b = ctx;
	if ((long long)cJSON_GetObjectItemCaseSensitive(rec, "seq")->valuedouble != b->seq)
		return 0;
	b->rec = cJSON_Duplicate(rec, 1);
	return 1;
}

static cJSON *record(const struct fx *f, long long seq)
{
	struct by_seq b = { seq, NULL };
	struct co_error err = { "" };
	journal_read(f->path, seq_record, &b, &err);
	assert_non_null(b.rec);
	return b.rec;
}

static size_t open_intents(const struct fx *f)
{
	struct journal_intent *iv = NULL;
	size_t n = 0;
	struct co_error err = { "" };
	if (journal_open_intents(f->path, &iv, &n, &err) != 0)
		fail_msg("journal_open_intents: %s", err.msg);
	journal_intents_free(iv, n);
	return n;
}

static long long number(const cJSON *rec, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(rec, key);
	assert_true(cJSON_IsNumber(it));
	return (long long)it->valuedouble;
}

static void an_open_intent_is_reconciled_once_with_what_the_router_says(void **state)
{
	struct fx *f = *state;
	struct fake_router r;
	struct said said = { .n = 0 };
	fake_router_init(&r, 25);
	struct journal *j = jopen(f);
	intent(j, "p1", "api", 25);	/* then kill -9 */
	journal_close(j);

	assert_int_equal(recover(f, &r, &said), 1);
	assert_int_equal(said.n, 1);
	assert_string_equal(said.lines[0],
			    "recovered: plan p1 left service api unfinished; router says 25");
	struct match rc = find(f, "reconcile", "intent_seq", 1);
	assert_int_equal(rc.n, 1);
	cJSON *rec = record(f, rc.seqs[0]);
	assert_int_equal(number(rec, "found"), 25);
	assert_null(cJSON_GetObjectItemCaseSensitive(rec, "previous_reconcile"));
	cJSON_Delete(rec);
	rec = record(f, rc.seqs[0] + 1);	/* its outcome, right after it */
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(rec, "type")->valuestring, "outcome");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(rec, "result")->valuestring,
			    "reconciled");
	cJSON_Delete(rec);
	assert_int_equal(open_intents(f), 0);
	assert_true(verify(f).ok);

	long size = file_size(f->path);
	said.n = 0;
	assert_int_equal(recover(f, &r, &said), 0);	/* nothing left: nothing written */
	assert_int_equal(said.n, 0);
	assert_int_equal(file_size(f->path), size);
	config_free(r.cfg);
}

static void a_torn_reconciled_outcome_is_reconciled_once_more(void **state)
{
	struct fx *f = *state;
	struct fake_router r;
	struct said said = { .n = 0 };
	fake_router_init(&r, 25);
	struct journal *j = jopen(f);
	intent(j, "p1", "api", 25);	/* line 1, then kill -9 */
	journal_close(j);
	char *head_before = read_text(f->head);

	/* The first recovery writes the reconcile record (line 2) and its
	 * outcome (line 3) in one write; a power loss tears line 3. */
	assert_int_equal(recover(f, &r, &said), 1);
	tear_last_line(f, head_before);
	free(head_before);
	assert_int_equal(find(f, "reconcile", "intent_seq", 1).n, 1);
	assert_int_equal(find(f, "outcome", NULL, 0).n, 0);	/* torn: no record */
	assert_int_equal(open_intents(f), 1);
	struct journal_verify_result v = verify(f);
	assert_int_equal(v.fault, JOURNAL_TORN_TAIL);	/* a warning for the CLI */
	assert_int_equal(v.bad_line, 3);
	assert_true(v.head_seq <= v.last_seq);

	/* The router moved meanwhile: the new reconcile says what it says now. */
	r.obs.weight = 5;
	said.n = 0;
	j = jopen(f);
	assert_int_equal(journal_torn_line(j), 3);
	struct co_error err = { "" };
	assert_int_equal(recovery_needed(j, &err), 1);
	journal_close(j);
	assert_int_equal(recover(f, &r, &said), 1);
	assert_int_equal(said.n, 2);
	assert_string_equal(said.lines[0], "recovered: journal line 3 was cut short by a crash; "
					   "kept, and the chain goes on after it");
	assert_string_equal(said.lines[1],
			    "recovered: plan p1 left service api unfinished; router says 5");

	/* Line 3 stays as it was; then the note, the second reconcile naming
	 * the first, and the outcome that closes the intent. */
	struct lines l;
	lines_load(f->path, &l);
	assert_int_equal(l.n, 6);
	assert_non_null(strstr(l.v[2], "\"type\":\"outcome\""));
	assert_null(strstr(l.v[2], "\"prev\""));
	free(l.buf);
	struct match notes = find(f, "note", "torn_line", 3);
	assert_int_equal(notes.n, 1);
	struct match rc = find(f, "reconcile", "intent_seq", 1);
	assert_int_equal(rc.n, 2);
	assert_true(rc.seqs[1] > notes.seqs[0]);
	cJSON *rec = record(f, rc.seqs[1]);
	assert_int_equal(number(rec, "previous_reconcile"), rc.seqs[0]);
	assert_int_equal(number(rec, "found"), 5);
	cJSON_Delete(rec);
	struct match outcomes = find(f, "outcome", NULL, 0);
	assert_int_equal(outcomes.n, 1);
	assert_int_equal(outcomes.seqs[0], rc.seqs[1] + 1);
	assert_int_equal(open_intents(f), 0);

	/* The torn bytes are stepped over cleanly: a warning, not a fault. */
	v = verify(f);
	assert_int_equal(v.fault, JOURNAL_OK);
	assert_int_equal(v.torn_lines, 1);
	assert_int_equal(v.first_torn_line, 3);
	assert_int_equal(v.last_seq, outcomes.seqs[0]);

	/* And exactly once more: the next start finds nothing to do. */
	long size = file_size(f->path);
	said.n = 0;
	assert_int_equal(recover(f, &r, &said), 0);
	assert_int_equal(said.n, 0);
	assert_int_equal(file_size(f->path), size);
	config_free(r.cfg);
}

/* Journals from before reconcile and outcome went out in one write: a kill
 * between them left a whole reconcile record and no outcome. */
static void a_reconcile_with_no_outcome_is_reconciled_once_more(void **state)
{
	struct fx *f = *state;
	struct fake_router r;
	struct said said = { .n = 0 };
	fake_router_init(&r, 50);
	struct journal *j = jopen(f);
	struct co_error err = { "" };
	intent(j, "p1", "api", 50);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "service", "api");
	cJSON_AddNumberToObject(p, "intent_seq", 1);
	cJSON_AddNumberToObject(p, "found", 50);
	assert_int_equal(journal_append(j, "reconcile", "p1", p, &err), 0);	/* then kill -9 */
	cJSON_Delete(p);
	journal_close(j);

	assert_int_equal(recover(f, &r, &said), 1);
	assert_int_equal(said.n, 1);	/* no torn line, no note */
	struct match rc = find(f, "reconcile", "intent_seq", 1);
	assert_int_equal(rc.n, 2);
	cJSON *rec = record(f, rc.seqs[1]);
	assert_int_equal(number(rec, "previous_reconcile"), 2);
	cJSON_Delete(rec);
	assert_int_equal(open_intents(f), 0);
	assert_true(verify(f).ok);
	config_free(r.cfg);
}

/* A torn line that was not an outcome (a note, say) reopens nothing. */
static void a_torn_line_with_no_open_intent_is_only_noted(void **state)
{
	struct fx *f = *state;
	struct fake_router r;
	struct said said = { .n = 0 };
	fake_router_init(&r, 0);
	struct journal *j = jopen(f);
	intent(j, "p1", "api", 0);
	append(j, "outcome", "p1", "api");
	journal_close(j);
	char *head_before = read_text(f->head);
	j = jopen(f);
	append(j, "note", NULL, NULL);
	journal_close(j);
	tear_last_line(f, head_before);
	free(head_before);

	assert_int_equal(recover(f, &r, &said), 0);
	assert_int_equal(said.n, 1);
	assert_non_null(strstr(said.lines[0], "journal line 3 was cut short"));
	assert_int_equal(find(f, "reconcile", NULL, 0).n, 0);
	struct journal_verify_result v = verify(f);
	assert_int_equal(v.fault, JOURNAL_OK);
	assert_int_equal(v.torn_lines, 1);
	config_free(r.cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(an_open_intent_is_reconciled_once_with_what_the_router_says),
		T(a_torn_reconciled_outcome_is_reconciled_once_more),
		T(a_reconcile_with_no_outcome_is_reconciled_once_more),
		T(a_torn_line_with_no_open_intent_is_only_noted),
	};
	RUN_SUITE(tests);
}
