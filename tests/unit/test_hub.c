/* test_hub: the engine's event queues: every client gets every event in
 * order, a reader that found nothing is woken by the next event, and one
 * that stops reading is dropped with a last event while the others go on. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cutover/hub.h"

struct waker {
	int wakes;
	int suspends;
};

static void on_wake(void *ctx)
{
	((struct waker *)ctx)->wakes++;
}

static void on_suspend(void *ctx)
{
	((struct waker *)ctx)->suspends++;
}

static size_t drain(struct hub_client *c, struct waker *w, char *out, size_t cap)
{
	size_t n = 0;
	ssize_t k;
	while (n < cap - 1 && (k = hub_read(c, out + n, cap - 1 - n, on_suspend, w)) > 0)
		n += (size_t)k;
	out[n] = '\0';
	return n;
}

static void every_client_gets_every_event_in_order(void **state)
{
	struct hub *h = hub_new(1 << 20);
	struct waker w1 = { 0 }, w2 = { 0 };
	struct hub_client *a = hub_attach_locked(h, 1, "first\n", 6, on_wake, &w1);
	struct hub_client *b = hub_attach_locked(h, 2, "", 0, on_wake, &w2);
	hub_broadcast(h, "one\n", 4);
	hub_send(h, 2, "only-b\n", 7);
	hub_broadcast(h, "two\n", 4);
	char buf[256];
	drain(a, &w1, buf, sizeof buf);
	assert_string_equal(buf, "first\none\ntwo\n");
	drain(b, &w2, buf, sizeof buf);
	assert_string_equal(buf, "one\nonly-b\ntwo\n");
	assert_int_equal(hub_clients(h), 2);
	assert_true(hub_has(h, 1));
	assert_false(hub_has(h, 3));
	hub_detach(h, a);
	hub_detach(h, b);
	assert_int_equal(hub_clients(h), 0);
	hub_free(h);
}

static void a_reader_that_found_nothing_is_woken_once_by_the_next_event(void **state)
{
	struct hub *h = hub_new(1 << 20);
	struct waker w = { 0 };
	struct hub_client *c = hub_attach_locked(h, 1, "", 0, on_wake, &w);
	char buf[64];
	assert_int_equal(hub_read(c, buf, sizeof buf, on_suspend, &w), 0);
	assert_int_equal(w.suspends, 1);
	hub_broadcast(h, "x\n", 2);
	hub_broadcast(h, "y\n", 2);
	assert_int_equal(w.wakes, 1);	/* woken once, not per event */
	assert_int_equal(drain(c, &w, buf, sizeof buf), 4);
	hub_detach(h, c);
	hub_free(h);
}

static void a_client_that_stops_reading_is_dropped_with_a_last_event(void **state)
{
	struct hub *h = hub_new(1000);
	struct waker ws = { 0 }, wf = { 0 };
	struct hub_client *slow = hub_attach_locked(h, 1, "snap\n", 5, on_wake, &ws);
	struct hub_client *fast = hub_attach_locked(h, 2, "snap\n", 5, on_wake, &wf);
	char line[100], buf[4096];
	memset(line, 'd', sizeof line - 1);
	line[sizeof line - 1] = '\n';
	size_t fast_got = 0;
	for (int i = 0; i < 50; i++) {
		hub_broadcast(h, line, sizeof line);
		fast_got += drain(fast, &wf, buf, sizeof buf);
	}
	assert_int_equal(fast_got, 5 + 50 * sizeof line);	/* never noticed */
	assert_int_equal(hub_drops(h), 1);
	size_t n = drain(slow, &ws, buf, sizeof buf);
	assert_true(n < 300);	/* the backlog was let go... */
	assert_non_null(strstr(buf, "event: drop"));	/* ...for one last word */
	assert_non_null(strstr(buf, "client too slow"));
	assert_int_equal(hub_read(slow, buf, sizeof buf, on_suspend, &ws), -1);
	hub_detach(h, slow);
	hub_detach(h, fast);
	hub_free(h);
}

static void closing_all_ends_every_stream_after_a_last_event(void **state)
{
	struct hub *h = hub_new(1 << 20);
	struct waker w = { 0 };
	struct hub_client *c = hub_attach_locked(h, 7, "", 0, on_wake, &w);
	char buf[256];
	assert_int_equal(hub_read(c, buf, sizeof buf, on_suspend, &w), 0);
	hub_close_all(h, "event: bye\ndata: {}\n\n");
	assert_true(w.wakes >= 1);
	drain(c, &w, buf, sizeof buf);
	assert_non_null(strstr(buf, "event: bye"));
	assert_int_equal(hub_read(c, buf, sizeof buf, on_suspend, &w), -1);
	hub_broadcast(h, "late\n", 5);	/* nothing after the end */
	assert_int_equal(hub_read(c, buf, sizeof buf, on_suspend, &w), -1);
	hub_detach(h, c);
	hub_free(h);
}

/* Publishers and readers on their own threads, as the engine runs them. */
struct pump {
	struct hub *h;
	struct hub_client *c;
	size_t got;
};

static void nop(void *ctx)
{
	(void)ctx;
}

static void *reader_main(void *arg)
{
	struct pump *p = arg;
	char buf[512];
	ssize_t k;
	while ((k = hub_read(p->c, buf, sizeof buf, nop, NULL)) >= 0)
		p->got += (size_t)k;
	return NULL;
}

static void concurrent_publishers_and_readers_lose_nothing(void **state)
{
	struct hub *h = hub_new(64u << 20);
	struct pump p[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		p[i] = (struct pump){ h, hub_attach_locked(h, (uint64_t)i + 1, "", 0, nop, NULL), 0 };
		pthread_create(&t[i], NULL, reader_main, &p[i]);
	}
	for (int k = 0; k < 20000; k++)
		hub_broadcast(h, "0123456789\n", 11);
	hub_close_all(h, NULL);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(p[i].got, 20000 * 11);
		hub_detach(h, p[i].c);
	}
	hub_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_client_gets_every_event_in_order),
		cmocka_unit_test(a_reader_that_found_nothing_is_woken_once_by_the_next_event),
		cmocka_unit_test(a_client_that_stops_reading_is_dropped_with_a_last_event),
		cmocka_unit_test(closing_all_ends_every_stream_after_a_last_event),
		cmocka_unit_test(concurrent_publishers_and_readers_lose_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
