/* journal_tail: a journal's recent records as one-line events, for screens
 * that follow a journal another process may be writing. Reads only what was
 * appended since the last poll (by byte offset), never writes, and keeps a
 * fixed ring, so a wall screen can follow a journal for days. */
#ifndef CUTOVER_JOURNAL_TAIL_H
#define CUTOVER_JOURNAL_TAIL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define JOURNAL_TAIL_KEEP 64

struct journal_event {
	char time[9];		/* "14:31:02" (UTC, as the journal) */
	char service[64];	/* "" for records about the whole plan */
	char text[200];
	bool bad;		/* a failure, a forced move, a drift found */
};

struct journal_tail {
	char *path;
	long long offset;	/* bytes consumed */
	char partial[16384];	/* a line still being written; longer ones are cut */
	size_t n_partial;
	struct journal_event ring[JOURNAL_TAIL_KEEP];
	size_t head, n;		/* ring[head] is the oldest of n */
	unsigned long pushed;	/* events ever added */
	bool readable;
	bool polled;		/* journal_tail_poll has run once */
	/* Called with each new whole record, parsed, as it is read (NULL:
	 * none): how a screen keeps what it derives from the journal current
	 * without reading it all again. */
	void (*on_record)(const cJSON *rec, void *ctx);
	void *on_record_ctx;
	/* Set by a poll after the first that did not read every byte
	 * appended since the one before (more than 256 KiB came at once, or
	 * the file was replaced): on_record missed records, and whoever
	 * derives state from them must read the journal whole. The first
	 * poll reads only the last 256 KiB by design: a caller reads the
	 * whole journal before it. The caller clears the flag. */
	bool skipped;
};

/* path may name a journal that does not exist yet. */
int journal_tail_init(struct journal_tail *ev, const char *path);
void journal_tail_done(struct journal_tail *ev);
/* Reads what was appended since the last call; true if events were added. */
bool journal_tail_poll(struct journal_tail *ev);
/* Adds one record (a JSON line) as if read from the file: how a screen
 * attached to an engine keeps the same ring from its journal events. */
void journal_tail_add(struct journal_tail *ev, const char *json_line);
/* The k-th most recent event (0 = newest), or NULL. */
const struct journal_event *journal_tail_recent(const struct journal_tail *ev, size_t k);

/* One record in words, as screens show it. */
void journal_event_format(const char *json_line, struct journal_event *out);

#endif
