/* events: the journal's recent records as one-line events for the screen.
 * Reads only what was appended since the last poll, never writes, and keeps
 * a fixed ring, so a wall screen can follow a journal for days. */
#ifndef TUI_EVENTS_H
#define TUI_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#define EVENTS_KEEP 64

struct event {
	char time[9];		/* "14:31:02" (UTC, as the journal) */
	char service[64];	/* "" for records about the whole plan */
	char text[200];
	bool bad;		/* a failure, a forced move, a drift found */
};

struct events {
	char *path;
	long long offset;	/* bytes consumed */
	char partial[4096];	/* a line still being written */
	size_t n_partial;
	struct event ring[EVENTS_KEEP];
	size_t head, n;		/* ring[head] is the oldest of n */
	unsigned long pushed;	/* events ever added */
	bool readable;
};

/* path may name a journal that does not exist yet. */
int events_init(struct events *ev, const char *path);
void events_done(struct events *ev);
/* Reads what was appended since the last call; true if events were added. */
bool events_poll(struct events *ev);
/* The k-th most recent event (0 = newest), or NULL. */
const struct event *events_recent(const struct events *ev, size_t k);

/* One record in words, as the screen and the CLI's journal view show it. */
void events_format(const char *json_line, struct event *out);

#endif
