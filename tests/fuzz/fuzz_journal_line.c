/* libFuzzer target: journal lines and files. Each line of the input goes
 * through the record parser (jrecord_parse, src/journal_read.c) and the
 * screens' one-line formatter (journal_event_format, src/journal_tail.c);
 * the whole input, written as a journal file, through journal_verify and
 * the recovery scan (journal_open_intents), which judge the chain. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cutover/journal.h"
#include "cutover/journal_tail.h"
#include "../../src/journal_private.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], path[300];

static void remove_files(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* A file per run: on tmpfs the run is three times faster than on disk. */
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof dir, "%s/cutover-fuzz-XXXXXX", tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/r.journal.jsonl", dir);
	atexit(remove_files);
	return 0;
}

static int bounded(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_line(const char *buf, size_t len, long lineno)
{
	char *line = malloc(len + 1);
	if (!line)
		return;
	memcpy(line, buf, len);
	line[len] = '\0';
	struct jline ln = { .buf = line, .len = len, .has_nl = true, .lineno = lineno };
	struct jrec r;
	char why[64];
	cJSON *rec = jrecord_parse(&ln, &r, why, sizeof why);
	if (rec) {
		if (r.seq < 1 || !r.type || !r.prev || strlen(r.prev) != JOURNAL_HASH_HEX)
			abort();
		cJSON_Delete(rec);
	} else if ((r.fault != JOURNAL_NOT_JSON && r.fault != JOURNAL_BAD_RECORD) || !why[0]) {
		abort();	/* a refusal says which kind and why */
	}
	struct journal_event ev;
	journal_event_format(line, &ev);
	if (!bounded(ev.time, sizeof ev.time) || !bounded(ev.service, sizeof ev.service) ||
	    !bounded(ev.text, sizeof ev.text))
		abort();
	free(line);
}

static void check_file(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "we");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();

	struct journal_verify_result v;
	struct co_error err = { .msg = "" };
	if (journal_verify(path, &v, &err) < 0)
		abort();	/* a readable file is always judged, never an I/O error */
	if (!v.ok && !v.why[0] && v.torn_lines == 0)
		abort();	/* a fault is explained */
	if (v.ok && v.fault != JOURNAL_OK)
		abort();

	struct journal_intent *open = NULL;
	size_t n = 0;
	if (journal_open_intents(path, &open, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!open[i].plan || !open[i].service || !open[i].record)
				abort();
		journal_intents_free(open, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	long lineno = 0;
	for (size_t at = 0; at < size;) {
		const char *nl = memchr(s + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (s + at)) : size - at;
		check_line(s + at, len, ++lineno);
		at += len + 1;
	}
	check_file(data, size);
	return 0;
}
