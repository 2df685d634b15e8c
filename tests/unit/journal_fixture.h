/* journal_fixture: what the journal test suites share: a temporary state
 * directory per test, helpers that write records, and a way to edit the
 * file's lines as a careless or hostile hand would. Header-only; static
 * inline so a suite that skips a helper does not trip -Wunused-function. */
#ifndef CUTOVER_TEST_JOURNAL_FIXTURE_H
#define CUTOVER_TEST_JOURNAL_FIXTURE_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cutover/journal.h"

#define RELEASE "r1"
#define MAX_LINES 64

struct fx {
	char dir[64];
	char path[128];
	char head[128];
};

static inline void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[512];

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode) || !(d = opendir(path))) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
	}
	closedir(d);
	rmdir(path);
}

static inline int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/cutover-journal-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s.journal.jsonl", f->dir, RELEASE);
	snprintf(f->head, sizeof(f->head), "%s/%s.journal.head", f->dir, RELEASE);
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;

	rm_rf(f->dir);
	free(f);
	return 0;
}

static inline struct journal *jopen(const struct fx *f)
{
	struct co_error err = { "" };
	struct journal *j = journal_open(f->dir, RELEASE, &err);

	if (!j)
		fail_msg("journal_open: %s", err.msg);
	return j;
}

static inline void append(struct journal *j, const char *type, const char *plan, const char *service)
{
	struct co_error err = { "" };
	cJSON *p = cJSON_CreateObject();

	if (service)
		cJSON_AddStringToObject(p, "service", service);
	int rc = journal_append(j, type, plan, p, &err);
	cJSON_Delete(p);
	if (rc != 0)
		fail_msg("journal_append: %s", err.msg);
}

/* A journal of n records, alternating intent and outcome for service api. */
static inline void write_records(const struct fx *f, int n)
{
	struct journal *j = jopen(f);

	for (int i = 0; i < n; i++)
		append(j, i % 2 ? "outcome" : "intent", "p1", "api");
	journal_close(j);
}

static inline struct journal_verify_result verify(const struct fx *f)
{
	struct journal_verify_result r;
	struct co_error err = { "" };

	if (journal_verify(f->path, &r, &err) != 0)
		fail_msg("journal_verify: %s", err.msg);
	return r;
}

struct lines {
	char *buf;
	const char *v[MAX_LINES];
	size_t n;
	bool last_nl;
};

static inline void lines_load(const char *path, struct lines *l)
{
	FILE *fp = fopen(path, "rb");
	long len;

	memset(l, 0, sizeof(*l));
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	l->buf = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(l->buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	l->n = 0;
	l->last_nl = len > 0 && l->buf[len - 1] == '\n';
	for (char *p = l->buf; *p && l->n < MAX_LINES; ) {
		char *nl = strchr(p, '\n');
		l->v[l->n++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
}

static inline void lines_save(const char *path, struct lines *l)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	for (size_t i = 0; i < l->n; i++)
		fprintf(fp, "%s\n", l->v[i]);
	fclose(fp);
	free(l->buf);
}

static inline void lines_delete(struct lines *l, size_t i)
{
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
	l->n--;
}

static inline void truncate_file(const char *path, long keep)
{
	assert_int_equal(truncate(path, keep), 0);
}

static inline long file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (long)st.st_size;
}
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* Runs a suite and ends with the line tests/run.sh sums. */
#define RUN_SUITE(tests) do { \
	size_t total_ = sizeof(tests) / sizeof((tests)[0]); \
	int failed_ = cmocka_run_group_tests(tests, NULL, NULL); \
	printf("%zu passed, %d failed\n", total_ - (size_t)failed_, failed_); \
	return failed_; \
} while (0)

#endif
