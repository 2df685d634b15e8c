/* hub: bounded per-client event queues (see hub.h). */
#include "cutover/hub.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hub_client {
	struct hub *hub;
	uint64_t id;
	pthread_mutex_t lock;
	char *buf;		/* queued bytes are buf[off..len) */
	size_t off, len, cap;
	size_t limit;		/* len - off may not pass this */
	bool closing;		/* end after what is queued */
	bool waiting;		/* the reader found nothing: wake on data */
	void (*wake)(void *ctx);
	void *wake_ctx;
	struct hub_client *next;
};

struct hub {
	pthread_mutex_t lock;	/* the list, and the order of appends */
	struct hub_client *clients;
	size_t n;
	size_t max_backlog;
	uint64_t drops;
};

struct hub *hub_new(size_t max_backlog)
{
	struct hub *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	h->max_backlog = max_backlog;
	return h;
}

void hub_free(struct hub *h)
{
	if (!h)
		return;
	/* Connections own their clients; by now the server has freed them. */
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void hub_locked(struct hub *h, void (*fn)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&h->lock);
	fn(ctx);
	pthread_mutex_unlock(&h->lock);
}

/* Caller holds c->lock. Compacts before growing, so a reader that keeps up
 * never makes the buffer grow. */
static bool put(struct hub_client *c, const char *text, size_t len)
{
	if (c->off && c->off == c->len)
		c->off = c->len = 0;
	if (c->len + len > c->cap && c->off) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len + len > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		while (cap < c->len + len)
			cap *= 2;
		char *b = realloc(c->buf, cap);
		if (!b)
			return false;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, text, len);
	c->len += len;
	return true;
}

static void wake(struct hub_client *c)
{
	if (c->waiting) {
		c->waiting = false;
		if (c->wake)
			c->wake(c->wake_ctx);
	}
}

/* Caller holds c->lock: replaces whatever is unread with a last event. */
static void end_with(struct hub_client *c, const char *last)
{
	c->off = c->len = 0;
	if (last)
		put(c, last, strlen(last));
	c->closing = true;
	wake(c);
}

struct hub_client *hub_attach_locked(struct hub *h, uint64_t id, const char *first, size_t len,
				     void (*wakefn)(void *ctx), void *wake_ctx)
{
	struct hub_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->hub = h;
	c->id = id;
	c->wake = wakefn;
	c->wake_ctx = wake_ctx;
	/* The first event (a snapshot of a large fleet: 7 MB at ten thousand
	 * services) is read while deltas come in: room for it twice over. */
	c->limit = 2 * len + h->max_backlog;
	if (len && !put(c, first, len)) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	c->next = h->clients;
	h->clients = c;
	h->n++;
	return c;
}

void hub_detach(struct hub *h, struct hub_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&h->lock);
	for (struct hub_client **p = &h->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			h->n--;
			break;
		}
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_destroy(&c->lock);
	free(c->buf);
	free(c);
}

/* Caller holds h->lock. */
static void append(struct hub *h, struct hub_client *c, const char *text, size_t len)
{
	pthread_mutex_lock(&c->lock);
	if (!c->closing) {
		if (c->len - c->off + len > c->limit || !put(c, text, len)) {
			char last[200];
			snprintf(last, sizeof last,
				 "event: drop\ndata: {\"reason\":\"client too slow: %zu bytes unread "
				 "(limit %zu); reconnect\"}\n\n", c->len - c->off, c->limit);
			end_with(c, last);
			h->drops++;
		} else {
			wake(c);
		}
	}
	pthread_mutex_unlock(&c->lock);
}

void hub_broadcast_locked(struct hub *h, const char *text, size_t len)
{
	for (struct hub_client *c = h->clients; c; c = c->next)
		append(h, c, text, len);
}

void hub_broadcast(struct hub *h, const char *text, size_t len)
{
	pthread_mutex_lock(&h->lock);
	hub_broadcast_locked(h, text, len);
	pthread_mutex_unlock(&h->lock);
}

void hub_send(struct hub *h, uint64_t id, const char *text, size_t len)
{
	pthread_mutex_lock(&h->lock);
	for (struct hub_client *c = h->clients; c; c = c->next)
		if (c->id == id)
			append(h, c, text, len);
	pthread_mutex_unlock(&h->lock);
}

void hub_close(struct hub *h, uint64_t id, const char *last_event)
{
	pthread_mutex_lock(&h->lock);
	for (struct hub_client *c = h->clients; c; c = c->next)
		if (c->id == id) {
			pthread_mutex_lock(&c->lock);
			if (!c->closing) {
				if (last_event)
					put(c, last_event, strlen(last_event));
				c->closing = true;
				wake(c);
			}
			pthread_mutex_unlock(&c->lock);
		}
	pthread_mutex_unlock(&h->lock);
}

void hub_close_all(struct hub *h, const char *last_event)
{
	pthread_mutex_lock(&h->lock);
	for (struct hub_client *c = h->clients; c; c = c->next) {
		pthread_mutex_lock(&c->lock);
		if (!c->closing) {
			if (last_event)
				put(c, last_event, strlen(last_event));
			c->closing = true;
		}
		c->waiting = true;	/* wake even a reader that did not wait */
		wake(c);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&h->lock);
}

ssize_t hub_read(struct hub_client *c, char *buf, size_t max, void (*suspend)(void *ctx),
		 void *ctx)
{
	pthread_mutex_lock(&c->lock);
	size_t have = c->len - c->off;
	ssize_t n;
	if (have) {
		n = (ssize_t)(have < max ? have : max);
		memcpy(buf, c->buf + c->off, (size_t)n);
		c->off += (size_t)n;
	} else if (c->closing) {
		n = -1;
	} else {
		/* Suspended under the client's lock: a wake cannot come
		 * between the finding and the suspending and be lost. */
		c->waiting = true;
		suspend(ctx);
		n = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

bool hub_has(struct hub *h, uint64_t id)
{
	pthread_mutex_lock(&h->lock);
	bool found = false;
	for (struct hub_client *c = h->clients; c && !found; c = c->next)
		found = c->id == id && !c->closing;
	pthread_mutex_unlock(&h->lock);
	return found;
}

size_t hub_clients(struct hub *h)
{
	pthread_mutex_lock(&h->lock);
	size_t n = h->n;
	pthread_mutex_unlock(&h->lock);
	return n;
}

uint64_t hub_drops(struct hub *h)
{
	pthread_mutex_lock(&h->lock);
	uint64_t n = h->drops;
	pthread_mutex_unlock(&h->lock);
	return n;
}
