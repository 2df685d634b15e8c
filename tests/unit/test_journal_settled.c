/* The settled mark: a head file that vouches every intent has its outcome
 * lets recovery skip its scan of the whole journal (an emergency rollback
 * opens it first). The mark must never vouch for a journal with an open
 * intent: these tests try each way it could go wrong. */
#include "journal_fixture.h"

static bool head_says_settled(const struct fx *f)
{
	char text[512] = "";
	FILE *fp = fopen(f->head, "r");
	assert_non_null(fp);
	size_t n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	return strstr(text, "\"settled\":true") != NULL;
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

static void settled_once_every_intent_has_its_outcome(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f);
	assert_true(journal_settled(j));	/* empty: nothing open */
	append(j, "intent", "p1", "api");
	append(j, "intent", "p1", "web");
	assert_false(journal_settled(j));
	assert_false(head_says_settled(f));
	append(j, "outcome", "p1", "api");
	assert_false(journal_settled(j));	/* web is still open */
	assert_false(head_says_settled(f));
	append(j, "outcome", "p1", "web");
	append(j, "outcome", "p1", "web");	/* a second instance's outcome */
	assert_true(journal_settled(j));
	assert_true(head_says_settled(f));
	journal_close(j);

	j = jopen(f);
	assert_true(journal_settled(j));
	assert_int_equal(open_intents(f), 0);
	journal_close(j);
}

static void an_outcome_without_a_service_answers_its_whole_plan(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f);
	append(j, "intent", "p1", "api");
	append(j, "intent", "p1", "web");
	append(j, "intent", "p2", "db");
	append(j, "outcome", "p1", NULL);
	assert_false(journal_settled(j));	/* p2's db */
	append(j, "outcome", "p2", "db");
	assert_true(journal_settled(j));
	journal_close(j);
}

static void a_crash_with_an_open_intent_is_not_settled_at_the_next_open(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f);
	append(j, "intent", "p1", "api");
	append(j, "outcome", "p1", "api");
	append(j, "intent", "p2", "api");	/* then kill -9 */
	journal_close(j);

	j = jopen(f);
	assert_false(journal_settled(j));
	assert_int_equal(open_intents(f), 1);
	/* What recovery does: answer it, then say so. */
	append(j, "outcome", "p2", "api");
	journal_mark_settled(j);
	assert_true(journal_settled(j));
	append(j, "note", NULL, NULL);
	assert_true(head_says_settled(f));
	journal_close(j);
}

/* A crash between the journal write and the head update leaves the head
 * behind the file, still saying settled about an older record. */
static void a_head_behind_the_file_does_not_vouch(void **state)
{
	struct fx *f = *state;
	write_records(f, 2);		/* intent, outcome: settled */
	char old[512] = "";
	FILE *fp = fopen(f->head, "r");
	assert_non_null(fp);
	old[fread(old, 1, sizeof(old) - 1, fp)] = '\0';
	fclose(fp);
	struct journal *j = jopen(f);
	append(j, "intent", "p9", "api");
	journal_close(j);
	fp = fopen(f->head, "w");
	assert_non_null(fp);
	fputs(old, fp);
	fclose(fp);
	assert_true(strstr(old, "\"settled\":true") != NULL);

	j = jopen(f);
	assert_false(journal_settled(j));
	assert_int_equal(open_intents(f), 1);
	journal_close(j);
}

static void a_settled_head_naming_another_record_does_not_vouch(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f);
	append(j, "intent", "p1", "api");
	journal_close(j);
	FILE *fp = fopen(f->head, "w");
	assert_non_null(fp);
	fprintf(fp, "{\"seq\":1,\"hash\":\"%064d\",\"settled\":true}\n", 7);
	fclose(fp);
	j = jopen(f);
	assert_false(journal_settled(j));
	journal_close(j);
}

static void a_torn_tail_is_not_settled(void **state)
{
	struct fx *f = *state;
	write_records(f, 2);
	FILE *fp = fopen(f->path, "a");
	assert_non_null(fp);
	fputs("{\"seq\":3,\"type\":\"inte", fp);
	fclose(fp);
	struct journal *j = jopen(f);
	assert_false(journal_settled(j));
	journal_close(j);
}

/* Another process's intents are not in our count: after it appends, our
 * head must not vouch for them, and recovery's word cannot either. */
static void another_writer_unsettles_the_journal(void **state)
{
	struct fx *f = *state;
	struct journal *a = jopen(f), *b = jopen(f);
	append(a, "intent", "p1", "api");
	append(a, "outcome", "p1", "api");
	assert_true(journal_settled(a));
	append(b, "intent", "p2", "web");	/* b's, left open */
	append(a, "note", NULL, NULL);
	assert_false(journal_settled(a));
	assert_false(head_says_settled(f));
	journal_mark_settled(a);
	assert_false(journal_settled(a));
	journal_close(a);
	journal_close(b);

	a = jopen(f);
	assert_false(journal_settled(a));
	assert_int_equal(open_intents(f), 1);
	journal_close(a);
}

static void an_older_head_without_the_mark_still_verifies_and_scans(void **state)
{
	struct fx *f = *state;
	write_records(f, 2);
	struct journal_verify_result r = verify(f);
	assert_true(r.ok);	/* the mark does not disturb verify */
	/* Strip the mark, as a head written before it existed. */
	char text[512] = "";
	FILE *fp = fopen(f->head, "r");
	assert_non_null(fp);
	text[fread(text, 1, sizeof(text) - 1, fp)] = '\0';
	fclose(fp);
	char *mark = strstr(text, ",\"settled\":true");
	assert_non_null(mark);
	memmove(mark, mark + strlen(",\"settled\":true"), strlen(mark + strlen(",\"settled\":true")) + 1);
	fp = fopen(f->head, "w");
	fputs(text, fp);
	fclose(fp);
	assert_true(verify(f).ok);
	struct journal *j = jopen(f);
	assert_false(journal_settled(j));
	journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(settled_once_every_intent_has_its_outcome),
		T(an_outcome_without_a_service_answers_its_whole_plan),
		T(a_crash_with_an_open_intent_is_not_settled_at_the_next_open),
		T(a_head_behind_the_file_does_not_vouch),
		T(a_settled_head_naming_another_record_does_not_vouch),
		T(a_torn_tail_is_not_settled),
		T(another_writer_unsettles_the_journal),
		T(an_older_head_without_the_mark_still_verifies_and_scans),
	};
	RUN_SUITE(tests);
}
