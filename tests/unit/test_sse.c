/* The event-stream parser: the same events however the bytes are split,
 * every line end, comments, multi-line data, ids, and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cutover/sse.h"

/* What the callback saw, flattened to one string per event so a test can
 * compare a whole stream's worth in one assert. */
struct seen {
	char text[16][256];
	size_t n;
	int stop_after;	/* non-zero: return 7 from this event on */
};

static int record(const struct sse_event *ev, void *ctx)
{
	struct seen *s = ctx;
	assert_true(s->n < 16);
	assert_int_equal(strlen(ev->data), ev->data_len);
	snprintf(s->text[s->n], sizeof(s->text[0]), "%s|%s|%s", ev->event, ev->id, ev->data);
	s->n++;
	return s->stop_after && (int)s->n >= s->stop_after ? 7 : 0;
}

/* Feeds the stream in pieces cut at the given offsets (none: one piece). */
static int feed_split(struct seen *s, const char *text, size_t len, size_t cut1, size_t cut2,
		      unsigned long *comments, struct co_error *err)
{
	struct sse_parser *p = sse_parser_new(4096, record, s);
	assert_non_null(p);
	size_t cuts[] = { 0, cut1, cut2, len };
	int rc = 0;
	for (size_t k = 0; k + 1 < 4 && rc == 0; k++)
		rc = sse_feed(p, text + cuts[k], cuts[k + 1] - cuts[k], err);
	if (comments)
		*comments = sse_comments(p);
	sse_parser_free(p);
	return rc;
}

static const char stream[] =
	"\xef\xbb\xbf: hello\r\n"
	"event: plan\r\n"
	"id: 41\r\n"
	"data: {\"step\": 5}\r\n"
	"\r\n"
	"data:first\r"
	"data: second\r"
	"\r"
	":heartbeat\n"
	"id: 42\n"
	"event: verdict\n"
	"data\n"
	"retry: 3000\n"
	"colour: blue\n"
	"\n";

static void expect_stream_events(const struct seen *s)
{
	assert_int_equal(s->n, 3);
	assert_string_equal(s->text[0], "plan|41|{\"step\": 5}");
	assert_string_equal(s->text[1], "message|41|first\nsecond");
	assert_string_equal(s->text[2], "verdict|42|");
}

static void split_at_every_byte_boundary_gives_the_same_events(void **state)
{
	size_t len = sizeof(stream) - 1;
	for (size_t a = 0; a <= len; a++) {
		for (size_t b = a; b <= len; b++) {
			struct seen s = { .n = 0 };
			struct co_error err = { .msg = "" };
			unsigned long comments = 0;
			assert_int_equal(feed_split(&s, stream, len, a, b, &comments, &err), 0);
			expect_stream_events(&s);
			assert_int_equal(comments, 2);
		}
	}
}

static void crlf_cr_and_lf_line_ends_including_cr_at_a_piece_end(void **state)
{
	static const char *const ends[] = { "\n", "\r\n", "\r" };
	for (size_t e = 0; e < 3; e++) {
		char text[128];
		int len = snprintf(text, sizeof(text), "data: a%sdata: b%s%sdata: c%s%s",
				   ends[e], ends[e], ends[e], ends[e], ends[e]);
		/* Cut right after every '\r', so a CRLF is split across pieces. */
		for (int cut = 0; cut <= len; cut++) {
			struct seen s = { .n = 0 };
			struct co_error err = { .msg = "" };
			assert_int_equal(feed_split(&s, text, (size_t)len, (size_t)cut, (size_t)cut,
						    NULL, &err), 0);
			assert_int_equal(s.n, 2);
			assert_string_equal(s.text[0], "message||a\nb");
			assert_string_equal(s.text[1], "message||c");
		}
	}
	/* "\r" then "\n" in the next piece is one line end, not a blank line:
	 * the event is dispatched once, by the real blank line after it. */
	struct seen s = { .n = 0 };
	struct co_error err = { .msg = "" };
	struct sse_parser *p = sse_parser_new(64, record, &s);
	assert_int_equal(sse_feed(p, "data: x\r", 8, &err), 0);
	assert_int_equal(sse_feed(p, "\ndata: y\r", 9, &err), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(sse_feed(p, "\n\r\n", 3, &err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0], "message||x\ny");
	sse_parser_free(p);
}

static void comments_are_counted_and_never_dispatched(void **state)
{
	struct seen s = { .n = 0 };
	struct co_error err = { .msg = "" };
	struct sse_parser *p = sse_parser_new(64, record, &s);
	const char text[] = ":\n\n: keep-alive\n\n:x\n";
	assert_int_equal(sse_feed(p, text, sizeof(text) - 1, &err), 0);
	assert_int_equal(sse_comments(p), 3);
	assert_int_equal(s.n, 0);
	sse_parser_free(p);
}

static void multi_line_data_is_joined_with_newlines(void **state)
{
	struct seen s = { .n = 0 };
	struct co_error err = { .msg = "" };
	const char text[] = "data: one\ndata:two\ndata:  three\ndata:\ndata: \n\n";
	assert_int_equal(feed_split(&s, text, sizeof(text) - 1, 0, 0, NULL, &err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0], "message||one\ntwo\n three\n\n");
}

static void event_without_data_is_not_dispatched(void **state)
{
	struct seen s = { .n = 0 };
	struct co_error err = { .msg = "" };
	const char text[] = "event: plan\nid: 3\n\n" "data: later\n\n";
	assert_int_equal(feed_split(&s, text, sizeof(text) - 1, 0, 0, NULL, &err), 0);
	/* The dropped event's name does not leak into the next one. */
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0], "message|3|later");
}

static void empty_event_name_means_message(void **state)
{
	struct seen s = { .n = 0 };
	struct co_error err = { .msg = "" };
	const char text[] = "event: plan\nevent:\ndata: a\n\n";
	assert_int_equal(feed_split(&s, text, sizeof(text) - 1, 0, 0, NULL, &err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text[0], "message||a");
}

static void id_is_kept_until_the_stream_names_another(void **state)
{
	struct seen s = { .n = 0 };
	struct co_error err = { .msg = "" };
	const char text[] = "id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 9\ndata: d\n\n";
	assert_int_equal(feed_split(&s, text, sizeof(text) - 1, 0, 0, NULL, &err), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.text[0], "message|7|a");
	assert_string_equal(s.text[1], "message|7|b");
	assert_string_equal(s.text[2], "message||c");
	assert_string_equal(s.text[3], "message|9|d");
}

static void oversized_line_is_refused_with_an_error(void **state)
{
	struct seen s = { .n = 0 };
	struct co_error err = { .msg = "" };
	struct sse_parser *p = sse_parser_new(16, record, &s);
	/* Exactly the limit is fine, one byte more is not, even across pieces. */
	assert_int_equal(sse_feed(p, "data: 0123456789\n\n", 18, &err), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(sse_feed(p, "data: 01234", 11, &err), 0);
	assert_int_equal(sse_feed(p, "567890", 6, &err), -1);
	assert_non_null(strstr(err.msg, "event-stream: line of 17 bytes exceeds the limit of 16"));
	assert_non_null(strstr(err.msg, "line 3"));
	/* After an error the parser is unusable, and says so. */
	assert_int_equal(sse_feed(p, "\n\n", 2, &err), -1);
	assert_non_null(strstr(err.msg, "failed earlier"));
	assert_int_equal(s.n, 1);
	sse_parser_free(p);

	/* Short lines still cannot add up to an event above the limit. */
	p = sse_parser_new(16, record, &s);
	assert_int_equal(sse_feed(p, "data: 01234567\ndata: 01234567\n", 30, &err), -1);
	assert_non_null(strstr(err.msg, "event of 17 bytes exceeds the limit of 16"));
	sse_parser_free(p);
}

static void nul_byte_is_refused(void **state)
{
	struct seen s = { .n = 0 };
	struct co_error err = { .msg = "" };
	struct sse_parser *p = sse_parser_new(64, record, &s);
	assert_int_equal(sse_feed(p, "data: a\n\ndata: b\0c\n\n", 20, &err), -1);
	assert_non_null(strstr(err.msg, "NUL byte in the stream"));
	assert_non_null(strstr(err.msg, "line 3"));
	assert_int_equal(s.n, 1);
	sse_parser_free(p);
}

static void callback_non_zero_stops_the_feed_and_is_returned(void **state)
{
	struct seen s = { .n = 0, .stop_after = 2 };
	struct co_error err = { .msg = "" };
	const char text[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
	assert_int_equal(feed_split(&s, text, sizeof(text) - 1, 0, 0, NULL, &err), 7);
	assert_int_equal(s.n, 2);
}

static void bom_prefix_that_is_not_a_bom_is_kept(void **state)
{
	struct seen s = { .n = 0 };
	struct co_error err = { .msg = "" };
	/* "\xef\xbb" then "d": not a BOM, so those bytes start the field name,
	 * which is then unknown and ignored; a BOM in mid-stream is data. */
	const char text[] = "\xef\xbb" "data: x\n\ndata: \xef\xbb\xbfy\n\n";
	for (size_t cut = 0; cut <= sizeof(text) - 1; cut++) {
		s.n = 0;
		assert_int_equal(feed_split(&s, text, sizeof(text) - 1, cut, cut, NULL, &err), 0);
		assert_int_equal(s.n, 1);
		assert_string_equal(s.text[0], "message||\xef\xbb\xbfy");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_at_every_byte_boundary_gives_the_same_events),
		cmocka_unit_test(crlf_cr_and_lf_line_ends_including_cr_at_a_piece_end),
		cmocka_unit_test(comments_are_counted_and_never_dispatched),
		cmocka_unit_test(multi_line_data_is_joined_with_newlines),
		cmocka_unit_test(event_without_data_is_not_dispatched),
		cmocka_unit_test(empty_event_name_means_message),
		cmocka_unit_test(id_is_kept_until_the_stream_names_another),
		cmocka_unit_test(oversized_line_is_refused_with_an_error),
		cmocka_unit_test(nul_byte_is_refused),
		cmocka_unit_test(callback_non_zero_stops_the_feed_and_is_returned),
		cmocka_unit_test(bom_prefix_that_is_not_a_bom_is_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
