/* test_journal_tail: following a journal by offset, as watch does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cutover/journal.h"
#include "cutover/journal_tail.h"

struct fx {
	char dir[64];
	char *path;
	struct journal *j;
	struct journal_tail t;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct co_error err;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cutover-tail-XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	f->path = journal_state_path(f->dir, "r1", "journal.jsonl", &err);
	if (!f->path || journal_tail_init(&f->t, f->path) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	journal_close(f->j);
	journal_tail_done(&f->t);
	free(f->path);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void append(struct fx *f, const char *type, const char *json)
{
	struct co_error err;
	if (!f->j)
		f->j = journal_open(f->dir, "r1", &err);
	assert_non_null(f->j);
	cJSON *o = cJSON_Parse(json);
	assert_non_null(o);
	assert_int_equal(journal_append(f->j, type, "p-1", o, &err), 0);
	cJSON_Delete(o);
}

static void raw(struct fx *f, const char *text)
{
	FILE *out = fopen(f->path, "a");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
}

static void follows_appends_in_words(void **state)
{
	struct fx *f = *state;
	assert_false(journal_tail_poll(&f->t));	/* no journal yet */
	assert_false(f->t.readable);
	assert_null(journal_tail_recent(&f->t, 0));
	append(f, "intent", "{\"service\":\"api\",\"from\":0,\"to\":25}");
	append(f, "outcome", "{\"service\":\"api\",\"result\":\"applied\",\"to\":25,\"instance\":\"/run/a.sock\"}");
	append(f, "outcome", "{\"service\":\"web\",\"result\":\"failed\",\"to\":5,\"instance\":\"/run/b.sock\","
			     "\"error\":\"No such server.\"}");
	assert_true(journal_tail_poll(&f->t));
	assert_true(f->t.readable);
	const struct journal_event *e = journal_tail_recent(&f->t, 0);
	assert_string_equal(e->service, "web");
	assert_true(e->bad);
	assert_non_null(strstr(e->text, "failed web 5 on /run/b.sock: No such server."));
	e = journal_tail_recent(&f->t, 1);
	assert_false(e->bad);
	assert_string_equal(e->text, "applied api 25 on /run/a.sock");
	e = journal_tail_recent(&f->t, 2);
	assert_non_null(strstr(e->text, "move api 0 -> 25 by "));
	assert_null(journal_tail_recent(&f->t, 3));
	assert_false(journal_tail_poll(&f->t));	/* nothing new: nothing read */
}

static void a_line_being_written_waits_for_its_newline(void **state)
{
	struct fx *f = *state;
	raw(f, "{\"seq\":1,\"time\":\"2026-11-24T10:00:00.000Z\",\"type\":\"note\",\"note\":\"half");
	assert_false(journal_tail_poll(&f->t));
	assert_null(journal_tail_recent(&f->t, 0));
	raw(f, " and whole\"}\n");
	assert_true(journal_tail_poll(&f->t));
	assert_string_equal(journal_tail_recent(&f->t, 0)->text, "note: half and whole");
	assert_string_equal(journal_tail_recent(&f->t, 0)->time, "10:00:00");
}

static void the_ring_keeps_the_newest(void **state)
{
	struct fx *f = *state;
	char line[160];
	for (int i = 0; i < JOURNAL_TAIL_KEEP + 36; i++) {
		snprintf(line, sizeof(line), "{\"type\":\"note\",\"note\":\"n%d\"}\n", i);
		raw(f, line);
	}
	assert_true(journal_tail_poll(&f->t));
	assert_int_equal(f->t.n, JOURNAL_TAIL_KEEP);
	snprintf(line, sizeof(line), "note: n%d", JOURNAL_TAIL_KEEP + 35);
	assert_string_equal(journal_tail_recent(&f->t, 0)->text, line);
	snprintf(line, sizeof(line), "note: n%d", 36);
	assert_string_equal(journal_tail_recent(&f->t, JOURNAL_TAIL_KEEP - 1)->text, line);
}

static void a_replaced_journal_is_read_again(void **state)
{
	struct fx *f = *state;
	raw(f, "{\"type\":\"note\",\"note\":\"old one\"}\n{\"type\":\"note\",\"note\":\"old two\"}\n");
	assert_true(journal_tail_poll(&f->t));
	assert_int_equal(truncate(f->path, 0), 0);
	raw(f, "{\"type\":\"note\",\"note\":\"new\"}\n");
	assert_true(journal_tail_poll(&f->t));
	assert_int_equal(f->t.n, 1);
	assert_string_equal(journal_tail_recent(&f->t, 0)->text, "note: new");
}

/* A long journal is read from its last 256 KiB only, starting at the first
 * whole line there, even when that start lands inside a line longer than a
 * read; and the offset then counts every byte, so the next poll reads
 * nothing again. */
static void a_long_journal_is_read_from_its_end(void **state)
{
	struct fx *f = *state;
	size_t big = 100 * 1024;
	char *huge = malloc(big + 64);
	assert_non_null(huge);
	int n = snprintf(huge, big + 64, "{\"type\":\"note\",\"note\":\"");
	memset(huge + n, 'x', big);
	strcpy(huge + n + big, "\"}\n");
	raw(f, huge);
	free(huge);
	char line[160];
	int i;
	for (i = 0; i < 4000; i++) {	/* ~200 KiB after the long line */
		snprintf(line, sizeof(line), "{\"type\":\"note\",\"note\":\"line %05d of the tail\"}\n", i);
		raw(f, line);
	}
	assert_true(journal_tail_poll(&f->t));
	snprintf(line, sizeof(line), "note: line %05d of the tail", i - 1);
	assert_string_equal(journal_tail_recent(&f->t, 0)->text, line);
	for (size_t k = 0; k < f->t.n; k++)
		assert_false(journal_tail_recent(&f->t, k)->bad);	/* no half line read */
	assert_false(journal_tail_poll(&f->t));
}

struct seen {
	int records;
	char last_type[32];
};

static void count_record(const cJSON *rec, void *ctx)
{
	struct seen *sn = ctx;
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "type"));
	sn->records++;
	snprintf(sn->last_type, sizeof(sn->last_type), "%s", type ? type : "");
}

/* Each whole new record reaches on_record once, parsed; a half-written
 * line and a line that is not a record do not. */
static void each_new_record_reaches_the_hook_once(void **state)
{
	struct fx *f = *state;
	struct seen sn = { 0 };
	f->t.on_record = count_record;
	f->t.on_record_ctx = &sn;
	append(f, "intent", "{\"service\":\"api\",\"from\":0,\"to\":25}");
	assert_true(journal_tail_poll(&f->t));
	assert_int_equal(sn.records, 1);
	append(f, "outcome", "{\"service\":\"api\",\"result\":\"applied\",\"to\":25}");
	raw(f, "not json at all\n{\"seq\":9,\"type\":\"note\",\"note\":\"ha");
	assert_true(journal_tail_poll(&f->t));
	assert_int_equal(sn.records, 2);
	assert_string_equal(sn.last_type, "outcome");
	raw(f, "lf\"}\n");
	assert_true(journal_tail_poll(&f->t));
	assert_int_equal(sn.records, 3);
	assert_string_equal(sn.last_type, "note");
	assert_false(journal_tail_poll(&f->t));
	assert_int_equal(sn.records, 3);
	assert_false(f->t.skipped);
}

/* The first poll reads only the end by design; after it, more than 256 KiB
 * at once means records were not seen, and the tail says so. */
static void a_jump_after_the_first_poll_is_reported(void **state)
{
	struct fx *f = *state;
	char line[160];
	for (int i = 0; i < 6000; i++) {	/* ~300 KiB before the first poll */
		snprintf(line, sizeof(line), "{\"type\":\"note\",\"note\":\"before %05d, padded to fifty\"}\n", i);
		raw(f, line);
	}
	assert_true(journal_tail_poll(&f->t));
	assert_false(f->t.skipped);
	raw(f, "{\"type\":\"note\",\"note\":\"small\"}\n");
	assert_true(journal_tail_poll(&f->t));
	assert_false(f->t.skipped);
	for (int i = 0; i < 6000; i++) {
		snprintf(line, sizeof(line), "{\"type\":\"note\",\"note\":\"after %05d, padded to fifty\"}\n", i);
		raw(f, line);
	}
	assert_true(journal_tail_poll(&f->t));
	assert_true(f->t.skipped);
}

/* A journal that did not exist at the first poll and then grows by more
 * than 256 KiB at once was skipped too (the caller read nothing of it). */
static void a_jump_in_a_journal_born_after_the_first_poll_is_reported(void **state)
{
	struct fx *f = *state;
	char line[160];
	assert_false(journal_tail_poll(&f->t));	/* no file yet */
	for (int i = 0; i < 6000; i++) {
		snprintf(line, sizeof(line), "{\"type\":\"note\",\"note\":\"born %05d, padded to fifty\"}\n", i);
		raw(f, line);
	}
	assert_true(journal_tail_poll(&f->t));
	assert_true(f->t.skipped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(follows_appends_in_words, setup, teardown),
		cmocka_unit_test_setup_teardown(a_line_being_written_waits_for_its_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(the_ring_keeps_the_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(a_replaced_journal_is_read_again, setup, teardown),
		cmocka_unit_test_setup_teardown(a_long_journal_is_read_from_its_end, setup, teardown),
		cmocka_unit_test_setup_teardown(each_new_record_reaches_the_hook_once, setup, teardown),
		cmocka_unit_test_setup_teardown(a_jump_after_the_first_poll_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(a_jump_in_a_journal_born_after_the_first_poll_is_reported,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
