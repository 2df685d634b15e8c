/* libFuzzer target: the event-stream parser must give the same events, and
 * the same outcome, whether a stream comes in one piece or in many, and
 * must hand out only NUL-free data of the length it states.
 *
 * Input: byte 0 picks the event limit, byte 1 seeds the piece sizes, the
 * rest is the stream. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct digest {
	uint64_t h;	/* FNV-1a over every event's fields */
	size_t n;
};

static void mix(struct digest *d, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		d->h = (d->h ^ (unsigned char)s[i]) * 1099511628211u;
	d->h = (d->h ^ 0xff) * 1099511628211u;	/* field separator */
}

static int on_event(const struct sse_event *ev, void *ctx)
{
	struct digest *d = ctx;
	if (!ev->event[0] || strlen(ev->data) != ev->data_len)
		abort();	/* a type is never empty; data holds no NUL */
	mix(d, ev->event, strlen(ev->event));
	mix(d, ev->id, strlen(ev->id));
	mix(d, ev->data, ev->data_len);
	d->n++;
	/* A callback that stops must stop both runs at the same event. */
	return strcmp(ev->event, "stop") == 0 ? 9 : 0;
}

static int run(const char *s, size_t len, size_t max_event, unsigned seed, bool split,
	       struct digest *d, unsigned long *comments)
{
	struct co_error err = { .msg = "" };
	struct sse_parser *p = sse_parser_new(max_event, on_event, d);
	if (!p)
		abort();
	int rc = 0;
	size_t at = 0;
	while (rc == 0 && at < len) {
		size_t n = len - at;
		if (split) {
			seed = seed * 1103515245u + 12345u;
			n = (seed >> 16) % 8;	/* 0..7 bytes: empty pieces too */
			n = n < len - at ? n : len - at;
		}
		rc = sse_feed(p, s + at, n, &err);
		at += n;
	}
	if (rc == -1) {
		if (strncmp(err.msg, "event-stream: ", 14) != 0)
			abort();	/* an error always says what and where */
		if (sse_feed(p, "\n\n", 2, &err) != -1)
			abort();	/* and the parser stays failed */
	}
	*comments = sse_comments(p);
	sse_parser_free(p);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max_event = (size_t)data[0] * 4;
	unsigned seed = data[1];
	const char *s = (const char *)data + 2;
	size_t len = size - 2;

	struct digest whole = { 14695981039346656037u, 0 }, split = whole;
	unsigned long c1, c2;
	int rc1 = run(s, len, max_event, seed, false, &whole, &c1);
	int rc2 = run(s, len, max_event, seed, true, &split, &c2);
	if (rc1 != rc2 || whole.n != split.n || whole.h != split.h)
		abort();
	/* Comments after a stop or an error are not read by either run. */
	if (rc1 == 0 && c1 != c2)
		abort();
	return 0;
}
