/* journal_private: what journal.c (writing) and journal_read.c (reading)
 * share: the line scanner, record parsing, hashing and the head file. */
#ifndef CUTOVER_JOURNAL_PRIVATE_H
#define CUTOVER_JOURNAL_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cutover/error.h"
#include "cutover/journal.h"

/* One raw line of a journal file. */
struct jline {
	const char *buf;	/* the bytes, without the newline, NUL-terminated */
	size_t len;
	bool has_nl;		/* false only for the file's last line */
	long lineno;		/* 1-based */
};

typedef int (*jline_fn)(const struct jline *ln, void *ctx);

/* Calls fn for each line of the file. A missing file has no lines.
 * Returns 0, fn's nonzero value, or -1 with err. */
int jscan_path(const char *path, jline_fn fn, void *ctx, struct co_error *err);

/* The checked fields of a parsed record; prev and type point into it. */
struct jrec {
	long long seq;
	const char *prev;
	const char *type;
	enum journal_fault fault;	/* why it did not parse: NOT_JSON or BAD_RECORD */
};

/* Parses a line as a record: a JSON object with an integral "seq" >= 1, a
 * 64-hex "prev" and a string "type". Returns the object (caller frees), or
 * NULL with r->fault set and why (if not NULL) saying what is wrong. */
cJSON *jrecord_parse(const struct jline *ln, struct jrec *r, char *why, size_t why_cap);

/* Lowercase hex SHA-256 of len bytes into hex[JOURNAL_HASH_HEX + 1]. */
int jhash_hex(const void *data, size_t len, char *hex);

/* "DIR/RELEASE.journal.head" beside "DIR/RELEASE.journal.jsonl": out is
 * malloc'ed. */
char *jhead_path(const char *journal_path);

/* Intents not yet answered by an outcome, keyed by (plan, service), in
 * journal order (journal_intents.c). Recovery fills one from a scan of the
 * file; a writer from its own appends, to know when every intent it wrote
 * has its outcome. A batched plan journals hundreds of intents before any
 * outcome, so finding an outcome's intents by a walk over the open ones
 * was quadratic: they are chained by a hash of (plan, service) instead.
 * Zeroed is empty. */
struct jintents {
	struct journal_intent *v;
	size_t *next;		/* per intent: the next in its hash chain, or NONE */
	bool *closed;
	size_t n, cap;
	size_t n_open;		/* of the n, those no outcome has answered */
	size_t *bucket;		/* nbucket chain heads, NONE when empty */
	size_t nbucket;
	bool oom;
};

/* Adds an open intent; rec (copied) may be NULL when only names matter.
 * -1 when memory ran out. */
int jintents_add(struct jintents *s, const char *plan, const char *service, const cJSON *rec,
		 long line);
/* Closes the open intents an outcome of (plan, service) answers: every
 * intent of the plan when service is "". */
void jintents_answer(struct jintents *s, const char *plan, const char *service);
/* Frees everything; s is empty again. */
void jintents_clear(struct jintents *s);

/* Reads the head file. Returns 1 with seq/hash filled, 0 if it is absent,
 * -1 with err if it is unreadable, -2 with err if it is malformed. settled
 * (may be NULL) says whether the head vouches that every intent up to seq
 * has its outcome (absent in heads older than that mark: false). */
int jhead_read(const char *head_path, long long *seq, char *hash, bool *settled,
	       struct co_error *err);

/* fsync of a directory: makes a new or renamed entry in it durable. */
int jfsync_dir(const char *dir, struct co_error *err);

#define JOURNAL_ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"

#endif
