/* hub: the engine's event streams. Each attached client has its own queue
 * of event-stream text, bounded: a client that stops reading is dropped
 * with a last event saying why, and nobody else waits for it. Publishers
 * append; each client's connection reads its queue from the HTTP thread. */
#ifndef CUTOVER_HUB_H
#define CUTOVER_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hub;
struct hub_client;

/* max_backlog: bytes a client may leave unread beyond its first event. */
struct hub *hub_new(size_t max_backlog);
void hub_free(struct hub *h);

/* Runs fn under the hub's lock: what fn reads and what is appended next are
 * in one order for every client (a new client's snapshot and the deltas
 * after it). */
void hub_locked(struct hub *h, void (*fn)(void *ctx), void *ctx);

/* Attaches a client whose stream starts with first (copied). wake is called
 * (from any thread, under the client's lock) when data arrives for a
 * client whose reader found its queue empty. Call from inside hub_locked's
 * fn, or alone when order does not matter. */
struct hub_client *hub_attach_locked(struct hub *h, uint64_t id, const char *first, size_t len,
				     void (*wake)(void *ctx), void *wake_ctx);
/* The connection is gone: frees the client. */
void hub_detach(struct hub *h, struct hub_client *c);

/* Appends text to every client (the caller holds the hub lock: call from
 * inside hub_locked), or to one. */
void hub_broadcast_locked(struct hub *h, const char *text, size_t len);
void hub_broadcast(struct hub *h, const char *text, size_t len);
void hub_send(struct hub *h, uint64_t id, const char *text, size_t len);
/* Ends one client's stream after what is queued, with a last event. */
void hub_close(struct hub *h, uint64_t id, const char *last_event);
/* Ends every stream (the engine stops) with a last event. */
void hub_close_all(struct hub *h, const char *last_event);

/* For the connection's reader: copies up to max bytes. Returns the count,
 * 0 when nothing is queued (suspend(ctx) was called, under the client's
 * lock, and wake will resume it), or -1 at the end of the stream. */
ssize_t hub_read(struct hub_client *c, char *buf, size_t max, void (*suspend)(void *ctx),
		 void *ctx);

size_t hub_clients(struct hub *h);
bool hub_has(struct hub *h, uint64_t id);	/* a live stream with that id */
uint64_t hub_drops(struct hub *h);	/* clients dropped for not reading */

#endif
