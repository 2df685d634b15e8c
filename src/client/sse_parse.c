/* sse_parse: the text/event-stream parser behind cutover/sse.h, after the
 * WHATWG "server-sent events" interpretation rules, with two deliberate
 * differences: a NUL byte is an error (data is handed out NUL-ended), and
 * memory is bounded by max_event instead of growing with the stream. */
#include "cutover/sse.h"

#include <stdlib.h>
#include <string.h>

struct sse_parser {
	size_t max_event;
	sse_event_cb cb;
	void *ctx;

	char *line;		/* the line being read, not NUL-ended */
	size_t line_len, line_cap;
	char *data;		/* data lines joined with '\n', NUL-ended */
	size_t data_len, data_cap;
	bool has_data;		/* a data line was seen: "data:" alone counts */
	char *event;		/* NULL: "message" */
	char *id;		/* the last id seen, kept across events */

	unsigned long line_no;	/* 1-based line being read, for messages */
	unsigned long comments;
	unsigned bom_seen;	/* bytes of a leading BOM matched so far */
	bool bom_done;
	bool cr_pending;	/* the last byte was '\r': a '\n' next is the same end */
	bool failed;
};

static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };

struct sse_parser *sse_parser_new(size_t max_event, sse_event_cb cb, void *ctx)
{
	struct sse_parser *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->max_event = max_event;
	p->cb = cb;
	p->ctx = ctx;
	p->line_no = 1;
	p->id = strdup("");
	p->data = malloc(1);
	if (!p->id || !p->data) {
		sse_parser_free(p);
		return NULL;
	}
	p->data[0] = '\0';
	p->data_cap = 1;
	return p;
}

void sse_parser_free(struct sse_parser *p)
{
	if (!p)
		return;
	free(p->line);
	free(p->data);
	free(p->event);
	free(p->id);
	free(p);
}

unsigned long sse_comments(const struct sse_parser *p)
{
	return p->comments;
}

/* Grows *buf to hold at least need bytes; the callers bound need by
 * max_event + 1 before asking, so this never grows with the stream. */
static int grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n = n > (size_t)-1 / 2 ? need : n * 2;
	char *b = realloc(*buf, n);
	if (!b)
		return -1;
	*buf = b;
	*cap = n;
	return 0;
}

static int fail(struct sse_parser *p)
{
	p->failed = true;
	return -1;
}

static void reset_event(struct sse_parser *p)
{
	p->data_len = 0;
	p->data[0] = '\0';
	p->has_data = false;
	free(p->event);
	p->event = NULL;
}

static char *copy_value(const char *v, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, v, n);
		s[n] = '\0';
	}
	return s;
}

static int add_data(struct sse_parser *p, const char *v, size_t n, struct co_error *err)
{
	size_t sep = p->has_data ? 1 : 0;
	size_t len = p->data_len + sep + n;
	/* The line is already within max_event; this bounds the event, whose
	 * data may be spread over many short lines. */
	if (len > p->max_event) {
		co_error_set(err, "event-stream: event of %zu bytes exceeds the limit of %zu"
			     " (line %lu of the stream)", len, p->max_event, p->line_no);
		return fail(p);
	}
	if (grow(&p->data, &p->data_cap, len + 1) < 0) {
		co_error_set(err, "event-stream: out of memory for an event of %zu bytes", len);
		return fail(p);
	}
	if (sep)
		p->data[p->data_len] = '\n';
	memcpy(p->data + p->data_len + sep, v, n);
	p->data_len = len;
	p->data[len] = '\0';
	p->has_data = true;
	return 0;
}

static int dispatch(struct sse_parser *p)
{
	if (!p->has_data) {	/* the spec drops an event without data */
		reset_event(p);
		return 0;
	}
	struct sse_event ev = {
		/* "event:" with no value names no type either (the spec). */
		.event = p->event && p->event[0] ? p->event : "message",
		.id = p->id,
		.data = p->data,
		.data_len = p->data_len,
	};
	int rc = p->cb ? p->cb(&ev, p->ctx) : 0;
	reset_event(p);
	return rc;
}

/* One complete line, without its line end. */
static int take_line(struct sse_parser *p, struct co_error *err)
{
	const char *l = p->line;
	size_t n = p->line_len;

	p->line_len = 0;
	if (n == 0)
		return dispatch(p);
	if (l[0] == ':') {
		p->comments++;
		return 0;
	}
	const char *colon = memchr(l, ':', n);
	size_t fn = colon ? (size_t)(colon - l) : n;
	const char *v = colon ? colon + 1 : l + n;
	size_t vn = (size_t)(l + n - v);
	if (vn > 0 && v[0] == ' ') {
		v++;
		vn--;
	}
	if (fn == 4 && memcmp(l, "data", 4) == 0)
		return add_data(p, v, vn, err);
	char **slot = fn == 5 && memcmp(l, "event", 5) == 0 ? &p->event
		    : fn == 2 && memcmp(l, "id", 2) == 0 ? &p->id : NULL;
	if (!slot)
		return 0;	/* retry and unknown fields: nothing to keep */
	char *s = copy_value(v, vn);
	if (!s) {
		co_error_set(err, "event-stream: out of memory for a field of %zu bytes", vn);
		return fail(p);
	}
	free(*slot);
	*slot = s;
	return 0;
}

/* Appends buf[0..n) (no line ends, no NUL) to the current line. */
static int add_bytes(struct sse_parser *p, const char *buf, size_t n, struct co_error *err)
{
	if (n == 0)	/* line may still be NULL: NULL + 0 is undefined */
		return 0;
	if (n > p->max_event - p->line_len) {
		co_error_set(err, "event-stream: line of %zu bytes exceeds the limit of %zu"
			     " (line %lu of the stream)", p->line_len + n, p->max_event, p->line_no);
		return fail(p);
	}
	if (grow(&p->line, &p->line_cap, p->line_len + n) < 0) {
		co_error_set(err, "event-stream: out of memory for a line of %zu bytes",
			     p->line_len + n);
		return fail(p);
	}
	memcpy(p->line + p->line_len, buf, n);
	p->line_len += n;
	return 0;
}

/* Skips a UTF-8 BOM at the very start, which may arrive split over pieces;
 * returns how many bytes of buf it took. A prefix that turns out not to be
 * a BOM goes back to the line as ordinary bytes. */
static size_t skip_bom(struct sse_parser *p, const char *buf, size_t len,
		       struct co_error *err, int *rc)
{
	size_t i = 0;
	while (!p->bom_done && i < len) {
		if ((unsigned char)buf[i] == bom[p->bom_seen]) {
			i++;
			if (++p->bom_seen == sizeof(bom))
				p->bom_done = true;
			continue;
		}
		p->bom_done = true;
		*rc = add_bytes(p, (const char *)bom, p->bom_seen, err);
	}
	return i;
}

int sse_feed(struct sse_parser *p, const char *buf, size_t len, struct co_error *err)
{
	int rc = 0;

	if (p->failed) {
		co_error_set(err, "event-stream: the parser failed earlier; drop the stream");
		return -1;
	}
	size_t i = skip_bom(p, buf, len, err, &rc);
	if (rc)
		return rc;
	while (i < len) {
		if (p->cr_pending) {
			p->cr_pending = false;
			if (buf[i] == '\n') {
				i++;
				continue;
			}
		}
		/* The run of ordinary bytes up to the next '\r', '\n' or NUL. */
		size_t j = i;
		while (j < len && buf[j] != '\r' && buf[j] != '\n' && buf[j] != '\0')
			j++;
		if (j > i && (rc = add_bytes(p, buf + i, j - i, err)) != 0)
			return rc;
		if (j == len)
			break;
		if (buf[j] == '\0') {
			co_error_set(err, "event-stream: NUL byte in the stream (line %lu, byte %zu"
				     " of the line)", p->line_no, p->line_len + 1);
			return fail(p);
		}
		p->cr_pending = buf[j] == '\r';
		i = j + 1;
		rc = take_line(p, err);
		p->line_no++;
		/* A stop from the callback leaves the rest of this piece unread;
		 * the caller is dropping the stream. */
		if (rc)
			return rc;
	}
	return 0;
}
