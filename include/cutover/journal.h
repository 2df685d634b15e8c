/* journal: the append-only, hash-chained record of every intent and outcome
 * of one release, the source for crash recovery and the post-release review.
 *
 * On disk: STATE_DIR/RELEASE.journal.jsonl, one JSON object per line:
 *   {"seq":2,"time":"2025-11-24T14:31:02.123Z","actor":"ana@ops1",
 *    "type":"outcome","plan":"p-7f3a","service":"api","to":25,...,
 *    "prev":"<sha-256 hex of line 1's bytes, without its newline>"}
 * The first record's prev is 64 zeros. Beside it, RELEASE.journal.head holds
 * {"seq":N,"hash":"<hex of line N>"}, replaced atomically after each append,
 * so that cutting whole records off the end (which a chain alone cannot
 * show) is caught by journal_verify.
 *
 * The journal never holds secrets: pass URLs through journal_redact_url. */
#ifndef CUTOVER_JOURNAL_H
#define CUTOVER_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cutover/error.h"

#define JOURNAL_HASH_HEX 64	/* characters in a SHA-256 hex digest */

struct journal;

/* Opens (creating if needed; state_dir 0700, files 0600) the release's
 * journal for appending and learns its last seq and hash. A torn last line
 * left by a crash is kept as it is; the next append starts on a new line.
 * See journal_torn_line. Returns NULL with err filled on failure. */
struct journal *journal_open(const char *state_dir, const char *release,
			     struct co_error *err);
void journal_close(struct journal *j);		/* NULL: no-op */

const char *journal_path(const struct journal *j);

/* The line number of a torn tail found by journal_open (no newline, or not
 * a record), 0 if the file ended cleanly. The caller should journal a note
 * about it: the bytes stay in the file and journal_verify will name them. */
long journal_torn_line(const struct journal *j);

/* Whether every intent in the journal is known to have its outcome without
 * reading the file: the head file vouched for it at the open (it names the
 * record the file ends with and carries "settled":true), or recovery said
 * so, and every intent appended since has been answered. Recovery skips
 * its scan then. The head carries the mark whenever this holds. */
bool journal_settled(struct journal *j);

/* Recovery has answered every open intent its scan found: settled from
 * here, unless another process appended since the open. */
void journal_mark_settled(struct journal *j);

/* The seq of the last record written (0 for an empty journal). */
long long journal_last_seq(struct journal *j);

/* "user@host" of the effective user, unless replaced by journal_set_actor
 * (e.g. with the name an SSO wrapper passed in). Set it before other
 * threads use the journal: journal_actor's pointer is not guarded. */
const char *journal_actor(const struct journal *j);
int journal_set_actor(struct journal *j, const char *actor, struct co_error *err);

/* Appends one record: seq, time, actor, type, plan (JSON null when NULL),
 * then payload's members (an object, or NULL), then prev. A payload key
 * that names one of those fields is refused. The line goes out in one
 * write() and is fsync'ed before this returns 0, so a returned 0 means the
 * record survives a crash. Safe to call from several threads. Returns -1
 * with err naming the file and the cause. */
int journal_append(struct journal *j, const char *type, const char *plan,
		   const cJSON *payload, struct co_error *err);

/* The same with another actor than the journal's: an engine journals
 * what each client asked in that client's name. */
int journal_append_as(struct journal *j, const char *actor, const char *type, const char *plan,
		      const cJSON *payload, struct co_error *err);

/* One record of a batch for journal_append_many. */
struct journal_entry {
	const char *type;
	const char *plan;		/* NULL: JSON null */
	const cJSON *payload;		/* an object, or NULL */
	const char *actor;		/* NULL: the journal's own (journal_actor) */
};

/* Appends n records in order, each its own hash-chained line exactly as n
 * journal_append calls would write them, but in one write() made durable
 * by one fsync (and one head-file update): a plan's hundreds of intents
 * cost one disk flush, not hundreds. A returned 0 means all n survive a
 * crash. On -1 (err filled) none was appended, except after a failed
 * write or fsync, where a crash may keep a prefix of whole lines and a
 * torn last one (journal_verify names it). n == 0 is a no-op. */
int journal_append_many(struct journal *j, const struct journal_entry *v, size_t n,
			struct co_error *err);

/* --- A release's state files (shared with the operator lock) ---------- */

/* Creates dir and its missing parents with mode 0700. */
int journal_state_dir(const char *dir, struct co_error *err);

/* "DIR/RELEASE.SUFFIX", malloc'ed; NULL with err if release could not be a
 * file name (empty, starting with '.', holding '/') or memory ran out. */
char *journal_state_path(const char *dir, const char *release, const char *suffix,
			 struct co_error *err);

/* "user@host" for the effective user ("uid1000@host" without a passwd
 * entry). */
void journal_default_actor(char *out, size_t cap);

/* The time now as records carry it: "2025-11-24T14:31:02.123Z" (UTC, ms). */
void journal_time_iso(char *out, size_t cap);

/* --- Reading --------------------------------------------------------- */

/* Called for each parsed record, with its 1-based line number. Return
 * nonzero to stop the walk (journal_read then returns that value). */
typedef int (*journal_record_cb)(const cJSON *rec, long line, void *ctx);

/* Walks the records of a journal file in order. Lines that are not JSON
 * objects are skipped (journal_verify is the place that judges them).
 * Returns 0, the callback's nonzero value, or -1 with err on I/O error. */
int journal_read(const char *path, journal_record_cb cb, void *ctx,
		 struct co_error *err);

enum journal_fault {
	JOURNAL_OK = 0,
	JOURNAL_NOT_JSON,	/* a line that is not JSON and breaks the chain */
	JOURNAL_BAD_RECORD,	/* JSON, but no seq/prev/type of the right kind */
	JOURNAL_SEQ,		/* seq gap or repeat */
	JOURNAL_PREV,		/* prev does not hash the record before: edit, deletion, reorder */
	JOURNAL_TORN_TAIL,	/* last line cut short (crash mid-write, or truncation) */
	JOURNAL_TRUNCATED,	/* the file ends before the seq the head file names */
	JOURNAL_HEAD,		/* the head file disagrees with the journal's records */
};

struct journal_verify_result {
	bool ok;			/* fault == JOURNAL_OK and no torn lines */
	enum journal_fault fault;	/* the first integrity fault */
	long bad_line;			/* its line number, 0 if none or not a line */
	char why[256];			/* "line 7: prev does not match line 6" */
	long records;			/* records that parsed */
	long long last_seq;
	char last_hash[JOURNAL_HASH_HEX + 1];
	/* Torn lines (not JSON) that a later record steps over cleanly: its
	 * seq and prev follow the record before the torn bytes. That is what a
	 * crash during a write, then a restart, leaves: reported (ok is
	 * false), but not a chain fault. */
	long torn_lines;
	long first_torn_line;
	bool head_found;
	long long head_seq;
};

/* Checks the chain of the journal at path (and its head file). An empty or
 * missing journal is valid. Returns 0 with out filled (out->ok says whether
 * the journal is intact), or -1 with err if the file could not be read. */
int journal_verify(const char *path, struct journal_verify_result *out,
		   struct co_error *err);

/* An intent with no outcome: what a crash interrupted. */
struct journal_intent {
	char *plan;		/* "" when the intent had none */
	char *service;		/* "" when the intent named none */
	long long seq;
	long line;
	cJSON *record;		/* the whole intent record, owned */
};

/* Finds intents with no matching outcome. An outcome matches the intents
 * of its plan and service; an outcome of a plan naming no service closes
 * every intent of that plan. On success *out (malloc'ed, may be NULL when
 * *n is 0) holds them in journal order. Returns 0 or -1 with err. */
int journal_open_intents(const char *path, struct journal_intent **out,
			 size_t *n, struct co_error *err);
void journal_intents_free(struct journal_intent *v, size_t n);

/* Copies url into out (cap bytes, always terminated, cut if too small)
 * with "***" in place of the password of "user:password@" (or of a bare
 * "token@"), and of the values of query or fragment parameters whose names
 * contain token, passw, secret, signature or credential, or end in key. */
void journal_redact_url(const char *in, char *out, size_t cap);

#endif
