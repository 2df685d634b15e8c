/* sse: the client's parser for a text/event-stream (server-sent events),
 * fed bytes as they arrive, in pieces of any size, calling back once per
 * complete event. It never buffers without bound: a line longer than the
 * parser's limit is an error, and the stream should be dropped. */
#ifndef CUTOVER_SSE_H
#define CUTOVER_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "cutover/error.h"

/* One dispatched event. event is "message" when the stream named none;
 * data is the data lines joined with '\n' (no trailing '\n'), NUL-ended,
 * and may hold any bytes but NUL; id is the last id seen ("" if none). */
struct sse_event {
	const char *event;
	const char *id;
	const char *data;
	size_t data_len;
};

/* Returns 0 to go on, non-zero to stop sse_feed (which then returns it). */
typedef int (*sse_event_cb)(const struct sse_event *ev, void *ctx);

struct sse_parser;

/* max_event: the largest event (all its lines together) accepted, in bytes. */
struct sse_parser *sse_parser_new(size_t max_event, sse_event_cb cb, void *ctx);
void sse_parser_free(struct sse_parser *p);	/* NULL: no-op */

/* Feeds len bytes. Returns 0, the callback's non-zero value, or -1 with err
 * filled ("event-stream: line of N bytes exceeds the limit of M", "...: NUL
 * byte in the stream"). After -1 the parser is unusable. Lines end in "\n",
 * "\r\n" or "\r" (a "\r" at the end of one piece and "\n" at the start of
 * the next is one line end); a leading UTF-8 BOM is skipped; ":" lines are
 * comments (heartbeats); fields other than event, data, id, retry are
 * ignored; an event with no data lines is not dispatched (per the spec). */
int sse_feed(struct sse_parser *p, const char *buf, size_t len, struct co_error *err);

/* Comment lines seen so far (heartbeats): a client may time out on silence. */
unsigned long sse_comments(const struct sse_parser *p);

#endif
