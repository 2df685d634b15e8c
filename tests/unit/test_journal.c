/* Unit tests for writing the journal: records and their chain, opening and
 * reopening, recovery after a torn write, appends from many threads. */
#include <pthread.h>

#include <openssl/evp.h>

#include "journal_fixture.h"

/* --- round trip ---------------------------------------------------------- */

struct seen {
	long long seq[MAX_LINES];
	long line[MAX_LINES];
	char prev[MAX_LINES][JOURNAL_HASH_HEX + 1];
	char type[MAX_LINES][16];
	size_t n;
};

static int collect(const cJSON *rec, long line, void *ctx)
{
	struct seen *s = ctx;

	if (s->n == MAX_LINES)
		return 1;
	s->seq[s->n] = (long long)cJSON_GetObjectItem(rec, "seq")->valuedouble;
	s->line[s->n] = line;
	snprintf(s->prev[s->n], sizeof(s->prev[0]), "%s", cJSON_GetObjectItem(rec, "prev")->valuestring);
	snprintf(s->type[s->n], sizeof(s->type[0]), "%s", cJSON_GetObjectItem(rec, "type")->valuestring);
	s->n++;
	return 0;
}

static void sha256_hex(const char *s, char *hex)
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void append_then_read_returns_records_chained_by_line_hash(void **state)
{
	struct fx *f = *state;
	struct seen s = { .n = 0 };
	struct co_error err = { "" };
	struct lines l;
	char h1[65];

	write_records(f, 3);
	assert_int_equal(journal_read(f->path, collect, &s, &err), 0);
	assert_int_equal(s.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(s.seq[i], (long long)i + 1);
		assert_int_equal(s.line[i], (long)i + 1);
	}
	assert_string_equal(s.type[0], "intent");
	assert_string_equal(s.type[1], "outcome");
	assert_string_equal(s.prev[0], "0000000000000000000000000000000000000000000000000000000000000000");
	lines_load(f->path, &l);
	sha256_hex(l.v[0], h1);
	free(l.buf);
	assert_string_equal(s.prev[1], h1);

	struct journal_verify_result r = verify(f);
	assert_true(r.ok);
	assert_int_equal(r.records, 3);
	assert_int_equal(r.last_seq, 3);
	assert_true(r.head_found);
	assert_int_equal(r.head_seq, 3);
}

static void record_carries_time_actor_plan_and_payload(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct journal *j = jopen(f);
	struct lines l;

	assert_int_equal(journal_set_actor(j, "ana@ops1", &err), 0);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "service", "api");
	cJSON_AddNumberToObject(p, "to", 25);
	assert_int_equal(journal_append(j, "intent", "p-7f3a", p, &err), 0);
	assert_int_equal(journal_append(j, "note", NULL, NULL, &err), 0);
	cJSON_Delete(p);
	journal_close(j);

	lines_load(f->path, &l);
	assert_int_equal(l.n, 2);
	cJSON *rec = cJSON_Parse(l.v[0]);
	const char *t = cJSON_GetObjectItem(rec, "time")->valuestring;
	assert_int_equal(strlen(t), 24);	/* 2025-11-24T14:31:02.123Z */
	assert_true(t[10] == 'T' && t[19] == '.' && t[23] == 'Z');
	assert_string_equal(cJSON_GetObjectItem(rec, "actor")->valuestring, "ana@ops1");
	assert_string_equal(cJSON_GetObjectItem(rec, "plan")->valuestring, "p-7f3a");
	assert_int_equal(cJSON_GetObjectItem(rec, "to")->valueint, 25);
	assert_true(strncmp(l.v[0], "{\"seq\":1,", 9) == 0);
	cJSON_Delete(rec);
	rec = cJSON_Parse(l.v[1]);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(rec, "plan")));
	cJSON_Delete(rec);
	free(l.buf);
}

static void default_actor_is_user_at_host(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f);

	assert_non_null(strchr(journal_actor(j), '@'));
	journal_close(j);
}

static void payload_cannot_override_chain_fields(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct journal *j = jopen(f);
	const char *keys[] = { "seq", "time", "actor", "type", "plan", "prev" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, keys[i], "forged");
		assert_int_equal(journal_append(j, "note", NULL, p, &err), -1);
		assert_non_null(strstr(err.msg, keys[i]));
		cJSON_Delete(p);
	}
	cJSON *arr = cJSON_CreateArray();
	assert_int_equal(journal_append(j, "note", NULL, arr, &err), -1);
	cJSON_Delete(arr);
	assert_int_equal(journal_last_seq(j), 0);
	journal_close(j);
	assert_int_equal(file_size(f->path), 0);
}

static void open_creates_private_state_dir_and_file(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	char dir[128], path[192];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/state/cutover", f->dir);
	struct journal *j = journal_open(dir, RELEASE, &err);
	assert_non_null(j);
	append(j, "note", NULL, NULL);
	snprintf(path, sizeof(path), "%s/%s.journal.jsonl", dir, RELEASE);
	assert_string_equal(journal_path(j), path);
	journal_close(j);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void open_refuses_release_names_that_leave_the_state_dir(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };

	assert_null(journal_open(f->dir, "../escape", &err));
	assert_non_null(strstr(err.msg, "../escape"));
	assert_null(journal_open(f->dir, "", &err));
}

static void open_fails_with_path_when_state_dir_is_a_file(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	char file[128];

	snprintf(file, sizeof(file), "%s/plain", f->dir);
	fclose(fopen(file, "w"));
	assert_null(journal_open(file, RELEASE, &err));
	assert_non_null(strstr(err.msg, file));
}

static void reopen_continues_seq_and_chain(void **state)
{
	struct fx *f = *state;

	write_records(f, 2);
	struct journal *j = jopen(f);
	assert_int_equal(journal_last_seq(j), 2);
	assert_int_equal(journal_torn_line(j), 0);
	append(j, "note", NULL, NULL);
	journal_close(j);
	struct journal_verify_result r = verify(f);
	assert_true(r.ok);
	assert_int_equal(r.last_seq, 3);
}


/* --- recovery after a crash mid-write ------------------------------------ */

static void reopen_after_torn_line_starts_a_new_line_and_verify_names_it(void **state)
{
	struct fx *f = *state;
	struct seen s = { .n = 0 };
	struct co_error err = { "" };

	write_records(f, 3);
	truncate_file(f->path, file_size(f->path) - 20);
	struct journal *j = jopen(f);
	assert_int_equal(journal_torn_line(j), 3);
	assert_int_equal(journal_last_seq(j), 2);
	append(j, "note", NULL, NULL);
	append(j, "note", NULL, NULL);
	journal_close(j);

	assert_int_equal(journal_read(f->path, collect, &s, &err), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.seq[2], 3);
	assert_int_equal(s.line[2], 4);	/* line 3 still holds the torn bytes */
	struct journal_verify_result r = verify(f);
	assert_int_equal(r.fault, JOURNAL_OK);
	assert_false(r.ok);
	assert_int_equal(r.torn_lines, 1);
	assert_int_equal(r.first_torn_line, 3);
	assert_int_equal(r.last_seq, 4);
}

static void reopen_after_missing_final_newline_keeps_the_record(void **state)
{
	struct fx *f = *state;

	write_records(f, 2);
	truncate_file(f->path, file_size(f->path) - 1);
	struct journal *j = jopen(f);
	assert_int_equal(journal_torn_line(j), 0);
	assert_int_equal(journal_last_seq(j), 2);
	append(j, "note", NULL, NULL);
	journal_close(j);
	struct journal_verify_result r = verify(f);
	assert_true(r.ok);
	assert_int_equal(r.last_seq, 3);
}

/* --- concurrency ------------------------------------------------------------ */

#define THREADS 4
#define PER_THREAD 40

struct worker {
	struct journal *j;
	int failures;
};

static void *append_many(void *arg)
{
	struct worker *w = arg;
	struct co_error err;

	for (int i = 0; i < PER_THREAD; i++) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "i", i);
		if (journal_append(w->j, "note", NULL, p, &err) != 0)
			w->failures++;
		cJSON_Delete(p);
	}
	return NULL;
}

static void concurrent_appends_keep_seq_unique_and_chain_valid(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f);
	pthread_t t[THREADS];
	struct worker w[THREADS];

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ j, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, append_many, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	assert_int_equal(journal_last_seq(j), THREADS * PER_THREAD);
	journal_close(j);
	struct journal_verify_result r = verify(f);
	assert_true(r.ok);
	assert_int_equal(r.records, THREADS * PER_THREAD);
}

static void two_handles_on_one_journal_keep_one_chain(void **state)
{
	struct fx *f = *state;
	struct journal *a = jopen(f);
	struct journal *b = jopen(f);

	for (int i = 0; i < 5; i++) {
		append(a, "note", NULL, NULL);
		append(b, "note", NULL, NULL);
	}
	journal_close(a);
	journal_close(b);
	struct journal_verify_result r = verify(f);
	assert_true(r.ok);
	assert_int_equal(r.last_seq, 10);
}

/* --- batches ------------------------------------------------------------------ */

/* A batch: n records with payload {"i": k}, the types alternating. */
static int append_batch(struct journal *j, size_t n, const char *bad_key, struct co_error *err)
{
	struct journal_entry v[8];
	cJSON *p[8];

	assert_true(n <= 8);
	for (size_t k = 0; k < n; k++) {
		p[k] = cJSON_CreateObject();
		cJSON_AddNumberToObject(p[k], bad_key && k == n - 1 ? bad_key : "i", (double)k);
		v[k] = (struct journal_entry){ .type = k % 2 ? "outcome" : "intent", .plan = "p-batch",
					       .payload = p[k] };
	}
	int rc = journal_append_many(j, v, n, err);
	for (size_t k = 0; k < n; k++)
		cJSON_Delete(p[k]);
	return rc;
}

static void batch_append_chains_each_record_and_verifies(void **state)
{
	struct fx *f = *state;
	struct seen s = { .n = 0 };
	struct co_error err = { "" };
	struct lines l;
	char h[65];
	struct journal *j = jopen(f);

	append(j, "note", NULL, NULL);
	assert_int_equal(append_batch(j, 5, NULL, &err), 0);
	append(j, "note", NULL, NULL);
	assert_int_equal(journal_last_seq(j), 7);
	journal_close(j);

	assert_int_equal(journal_read(f->path, collect, &s, &err), 0);
	assert_int_equal(s.n, 7);
	lines_load(f->path, &l);
	assert_int_equal(l.n, 7);
	for (size_t i = 1; i < 7; i++) {	/* each line its own link */
		assert_int_equal(s.seq[i], (long long)i + 1);
		sha256_hex(l.v[i - 1], h);
		assert_string_equal(s.prev[i], h);
	}
	free(l.buf);
	assert_string_equal(s.type[1], "intent");
	assert_string_equal(s.type[2], "outcome");
	struct journal_verify_result r = verify(f);
	assert_true(r.ok);
	assert_int_equal(r.records, 7);
	assert_int_equal(r.last_seq, 7);
	assert_true(r.head_found);
	assert_int_equal(r.head_seq, 7);

	j = jopen(f);	/* a reopen learns the batch's last record */
	assert_int_equal(journal_last_seq(j), 7);
	append(j, "note", NULL, NULL);
	journal_close(j);
	assert_true(verify(f).ok);
}

static void batch_with_a_bad_record_appends_nothing(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct journal *j = jopen(f);

	append(j, "note", NULL, NULL);
	long before = file_size(f->path);
	assert_int_equal(append_batch(j, 4, "prev", &err), -1);
	assert_non_null(strstr(err.msg, "reserved"));
	struct journal_entry none = { .type = NULL };
	assert_int_equal(journal_append_many(j, &none, 1, &err), -1);
	assert_int_equal(file_size(f->path), before);
	assert_int_equal(journal_last_seq(j), 1);
	assert_int_equal(journal_append_many(j, NULL, 0, &err), 0);	/* empty: a no-op */
	assert_int_equal(append_batch(j, 3, NULL, &err), 0);
	journal_close(j);
	struct journal_verify_result r = verify(f);
	assert_true(r.ok);
	assert_int_equal(r.last_seq, 4);
}

static void batch_after_torn_tail_starts_a_new_line(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };

	write_records(f, 3);
	truncate_file(f->path, file_size(f->path) - 20);
	struct journal *j = jopen(f);
	assert_int_equal(journal_torn_line(j), 3);
	assert_int_equal(journal_last_seq(j), 2);
	assert_int_equal(append_batch(j, 4, NULL, &err), 0);
	journal_close(j);
	struct journal_verify_result r = verify(f);
	assert_int_equal(r.fault, JOURNAL_OK);
	assert_int_equal(r.torn_lines, 1);
	assert_int_equal(r.first_torn_line, 3);
	assert_int_equal(r.last_seq, 6);
}

static void open_finds_the_last_record_behind_several_torn_lines(void **state)
{
	struct fx *f = *state;

	write_records(f, 4);
	FILE *fp = fopen(f->path, "ab");
	assert_non_null(fp);
	fputs("not json\n{\"half\":\n\ntail", fp);	/* lines 5..8, the last without newline */
	fclose(fp);
	struct journal *j = jopen(f);
	assert_int_equal(journal_last_seq(j), 4);
	assert_int_equal(journal_torn_line(j), 5);
	append(j, "note", NULL, NULL);
	journal_close(j);
	struct journal_verify_result r = verify(f);
	assert_int_equal(r.fault, JOURNAL_OK);
	assert_int_equal(r.last_seq, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(append_then_read_returns_records_chained_by_line_hash),
		T(record_carries_time_actor_plan_and_payload),
		T(default_actor_is_user_at_host),
		T(payload_cannot_override_chain_fields),
		T(open_creates_private_state_dir_and_file),
		T(open_refuses_release_names_that_leave_the_state_dir),
		T(open_fails_with_path_when_state_dir_is_a_file),
		T(reopen_continues_seq_and_chain),
		T(reopen_after_torn_line_starts_a_new_line_and_verify_names_it),
		T(reopen_after_missing_final_newline_keeps_the_record),
		T(concurrent_appends_keep_seq_unique_and_chain_valid),
		T(two_handles_on_one_journal_keep_one_chain),
		T(batch_append_chains_each_record_and_verifies),
		T(batch_with_a_bad_record_appends_nothing),
		T(batch_after_torn_tail_starts_a_new_line),
		T(open_finds_the_last_record_behind_several_torn_lines),
	};
	RUN_SUITE(tests);
}
