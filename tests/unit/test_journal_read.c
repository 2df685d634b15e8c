/* Unit tests for reading the journal: what verify catches (edits,
 * deletions, reorders, torn and truncated ends, a lost head) and the open
 * intents that crash recovery starts from. */
#include "journal_fixture.h"

/* --- verify ---------------------------------------------------------------- */

static void verify_accepts_missing_and_empty_journal(void **state)
{
	struct fx *f = *state;

	struct journal_verify_result r = verify(f);
	assert_true(r.ok);
	fclose(fopen(f->path, "w"));
	r = verify(f);
	assert_true(r.ok);
	assert_int_equal(r.records, 0);
}

static void verify_detects_an_edited_byte(void **state)
{
	struct fx *f = *state;
	struct lines l;

	write_records(f, 4);
	lines_load(f->path, &l);
	char *p = strstr((char *)l.v[1], "\"api\"");
	assert_non_null(p);
	p[3] = 'x';	/* "api" -> "apx": still JSON, still a record */
	lines_save(f->path, &l);
	struct journal_verify_result r = verify(f);
	assert_false(r.ok);
	assert_int_equal(r.fault, JOURNAL_PREV);
	assert_int_equal(r.bad_line, 3);	/* the first record that vouches for line 2 */
}

static void verify_detects_an_edited_last_record_via_head(void **state)
{
	struct fx *f = *state;
	struct lines l;

	write_records(f, 3);
	lines_load(f->path, &l);
	char *p = strstr((char *)l.v[2], "\"api\"");
	p[1] = 'w';
	lines_save(f->path, &l);
	struct journal_verify_result r = verify(f);
	assert_int_equal(r.fault, JOURNAL_HEAD);
	assert_int_equal(r.bad_line, 3);
}

static void verify_detects_a_deleted_middle_line(void **state)
{
	struct fx *f = *state;
	struct lines l;

	write_records(f, 5);
	lines_load(f->path, &l);
	lines_delete(&l, 2);
	lines_save(f->path, &l);
	struct journal_verify_result r = verify(f);
	assert_false(r.ok);
	assert_int_equal(r.fault, JOURNAL_SEQ);
	assert_int_equal(r.bad_line, 3);
	assert_non_null(strstr(r.why, "seq 4 where 3"));
}

static void verify_detects_reordered_lines(void **state)
{
	struct fx *f = *state;
	struct lines l;

	write_records(f, 4);
	lines_load(f->path, &l);
	const char *t = l.v[1];
	l.v[1] = l.v[2];
	l.v[2] = t;
	lines_save(f->path, &l);
	struct journal_verify_result r = verify(f);
	assert_false(r.ok);
	assert_int_equal(r.fault, JOURNAL_SEQ);
	assert_int_equal(r.bad_line, 2);
}

static void verify_detects_a_torn_final_line(void **state)
{
	struct fx *f = *state;

	write_records(f, 3);
	truncate_file(f->path, file_size(f->path) - 20);
	struct journal_verify_result r = verify(f);
	assert_false(r.ok);
	assert_int_equal(r.fault, JOURNAL_TORN_TAIL);
	assert_int_equal(r.bad_line, 3);
	assert_int_equal(r.records, 2);
}

static void verify_detects_trailing_truncation_via_head(void **state)
{
	struct fx *f = *state;
	struct lines l;

	write_records(f, 5);
	lines_load(f->path, &l);
	l.n = 3;	/* whole records cut off: the chain alone looks fine */
	lines_save(f->path, &l);
	struct journal_verify_result r = verify(f);
	assert_false(r.ok);
	assert_int_equal(r.fault, JOURNAL_TRUNCATED);
	assert_string_equal(r.why, "journal ends at seq 3 but head says 5");
}

/* The head file's bytes, to put back later as a crash would have left it. */
static void head_save(const struct fx *f, char *buf, size_t cap)
{
	FILE *fp = fopen(f->head, "r");
	assert_non_null(fp);
	size_t n = fread(buf, 1, cap - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static void head_put(const struct fx *f, const char *text)
{
	FILE *fp = fopen(f->head, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* kill -9 between journal_append_many's flush and the head's rename: the
 * head names the record before the batch, the whole batch is on disk. That
 * is a crash, not tampering: the journal verifies. */
static void verify_accepts_a_head_a_whole_batch_behind(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	char head[256];
	struct journal_entry batch[5];

	write_records(f, 2);
	head_save(f, head, sizeof(head));
	for (size_t i = 0; i < 5; i++)
		batch[i] = (struct journal_entry){ .type = "intent", .plan = "p2" };
	struct journal *j = jopen(f);
	assert_int_equal(journal_append_many(j, batch, 5, &err), 0);
	journal_close(j);
	head_put(f, head);
	struct journal_verify_result r = verify(f);
	assert_true(r.ok);
	assert_int_equal(r.fault, JOURNAL_OK);
	assert_int_equal(r.records, 7);
	assert_int_equal(r.head_seq, 2);
	assert_int_equal(r.last_seq, 7);
}

/* Behind is allowed only for a head that still vouches for its record. */
static void verify_detects_a_head_behind_with_a_wrong_hash(void **state)
{
	struct fx *f = *state;

	write_records(f, 5);
	head_put(f, "{\"seq\":2,\"hash\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\n");
	struct journal_verify_result r = verify(f);
	assert_false(r.ok);
	assert_int_equal(r.fault, JOURNAL_HEAD);
	assert_int_equal(r.bad_line, 2);
}

static void verify_detects_a_line_that_is_not_json(void **state)
{
	struct fx *f = *state;
	struct lines l;

	write_records(f, 4);
	lines_load(f->path, &l);
	l.v[1] = "{\"seq\":2, this is not json";
	lines_save(f->path, &l);
	struct journal_verify_result r = verify(f);
	assert_false(r.ok);
	assert_int_equal(r.fault, JOURNAL_NOT_JSON);
	assert_int_equal(r.bad_line, 2);
}

static void verify_detects_a_record_without_chain_fields(void **state)
{
	struct fx *f = *state;
	struct lines l;

	write_records(f, 3);
	lines_load(f->path, &l);
	l.v[1] = "{\"seq\":2,\"type\":\"note\"}";
	lines_save(f->path, &l);
	struct journal_verify_result r = verify(f);
	assert_int_equal(r.fault, JOURNAL_BAD_RECORD);
	assert_int_equal(r.bad_line, 2);
}

static void verify_detects_a_lost_head_file(void **state)
{
	struct fx *f = *state;

	write_records(f, 4);
	assert_int_equal(unlink(f->head), 0);
	struct journal_verify_result r = verify(f);
	assert_int_equal(r.fault, JOURNAL_HEAD);
	assert_false(r.head_found);
}

static void verify_detects_a_malformed_head_file(void **state)
{
	struct fx *f = *state;
	FILE *fp;

	write_records(f, 2);
	fp = fopen(f->head, "w");
	fputs("{\"seq\":\"two\"}\n", fp);
	fclose(fp);
	struct journal_verify_result r = verify(f);
	assert_int_equal(r.fault, JOURNAL_HEAD);
	assert_non_null(strstr(r.why, f->head));
}

/* A crash leaves a prefix of a record, never a whole JSON object, so an
 * object slipped in between two records is not excused as a torn line. */
static void verify_does_not_excuse_an_inserted_object_as_torn(void **state)
{
	struct fx *f = *state;
	struct lines l;

	write_records(f, 3);
	lines_load(f->path, &l);
	memmove(&l.v[2], &l.v[1], 2 * sizeof(l.v[0]));
	l.v[1] = "{\"note\":\"nothing to see\"}";
	l.n++;
	lines_save(f->path, &l);
	struct journal_verify_result r = verify(f);
	assert_int_equal(r.fault, JOURNAL_BAD_RECORD);
	assert_int_equal(r.bad_line, 2);
}

/* --- open intents ------------------------------------------------------ */

static void open_intents_are_those_without_an_outcome(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct journal_intent *v;
	size_t n;
	struct journal *j = jopen(f);

	append(j, "intent", "p1", "api");
	append(j, "intent", "p1", "web");
	append(j, "outcome", "p1", "api");
	append(j, "intent", "p2", "cron");
	append(j, "intent", "p2", "mail");
	append(j, "outcome", "p2", NULL);	/* a whole plan answered */
	append(j, "note", NULL, NULL);
	append(j, "intent", "p3", "api");
	journal_close(j);

	assert_int_equal(journal_open_intents(f->path, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].plan, "p1");
	assert_string_equal(v[0].service, "web");
	assert_int_equal(v[0].seq, 2);
	assert_int_equal(v[0].line, 2);
	assert_string_equal(v[1].plan, "p3");
	assert_string_equal(v[1].service, "api");
	assert_string_equal(cJSON_GetObjectItem(v[1].record, "type")->valuestring, "intent");
	journal_intents_free(v, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(verify_accepts_missing_and_empty_journal),
		T(verify_detects_an_edited_byte),
		T(verify_detects_an_edited_last_record_via_head),
		T(verify_detects_a_deleted_middle_line),
		T(verify_detects_reordered_lines),
		T(verify_detects_a_torn_final_line),
		T(verify_detects_trailing_truncation_via_head),
		T(verify_accepts_a_head_a_whole_batch_behind),
		T(verify_detects_a_head_behind_with_a_wrong_hash),
		T(verify_detects_a_line_that_is_not_json),
		T(verify_detects_a_record_without_chain_fields),
		T(verify_detects_a_lost_head_file),
		T(verify_detects_a_malformed_head_file),
		T(verify_does_not_excuse_an_inserted_object_as_torn),
		T(open_intents_are_those_without_an_outcome),
	};
	RUN_SUITE(tests);
}
