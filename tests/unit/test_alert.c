/* Alert delivery against a tiny HTTP receiver run inside the test (a
 * thread on 127.0.0.1 that records each request; it answers 200, answers
 * 500, or hangs until released), and exec hooks written as shell scripts
 * into a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cutover/alert.h"

#define RX_MAX 1100

enum rx_mode { RX_OK, RX_500, RX_HANG };

struct rx {
	int lfd;
	int port;
	int wake[2];		/* written by rx_stop: no blocking read outlives it */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;	/* a request came, a release, or stop */
	enum rx_mode mode;
	bool stop;
	size_t n;
	char *head[RX_MAX];	/* request line and headers */
	char *body[RX_MAX];
};

static char dir[64];

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

#define assert_contains(hay, needle) do { \
	if (!strstr((hay), (needle))) \
		fail_msg("'%s' does not contain '%s'", (hay), (needle)); \
} while (0)

/* Re-evaluates expr every 5 ms for up to ms, then asserts it. */
#define wait_until(expr, ms) do { \
	uint64_t end_ = now_ms() + (ms); \
	while (!(expr) && now_ms() < end_) \
		sleep_ms(5); \
	assert_true(expr); \
} while (0)

/* --- the receiver -------------------------------------------------------- */

/* Reads into buf, waiting for fd or for rx_stop; <= 0 at EOF or stop. */
static ssize_t rx_read(struct rx *r, int fd, char *buf, size_t cap)
{
	struct pollfd pf[2] = { { fd, POLLIN, 0 }, { r->wake[0], POLLIN, 0 } };
	if (poll(pf, 2, -1) < 0 || pf[1].revents)
		return -1;
	return read(fd, buf, cap);
}

/* One request: its head up to the blank line, then Content-Length bytes.
 * curl sends the next request only after our answer, so nothing is left
 * over. Returns 0, or -1 at EOF or stop. */
static int rx_request(struct rx *r, int fd, char **head, char **body)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *end = NULL;
	long clen = -1;
	while (buf) {
		if (len + 1 == cap && !(buf = realloc(buf, cap *= 2)))
			break;
		ssize_t k = rx_read(r, fd, buf + len, cap - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			/* Spelt as curl spells it. */
			char *cl = strstr(buf, "\r\nContent-Length:");
			clen = cl && cl < end ? strtol(cl + 17, NULL, 10) : 0;
		}
		if (end && len >= (size_t)(end - buf) + 4 + (size_t)clen) {
			*head = strndup(buf, (size_t)(end - buf));
			*body = strdup(end + 4);
			free(buf);
			return 0;
		}
	}
	free(buf);
	return -1;
}

static void rx_answer(struct rx *r, int fd)
{
	pthread_mutex_lock(&r->mu);
	while (r->mode == RX_HANG && !r->stop)
		pthread_cond_wait(&r->cond, &r->mu);
	bool ok = r->mode == RX_OK, stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	const char *a = ok ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom";
	if (!stop)
		send(fd, a, strlen(a), MSG_NOSIGNAL);
}

static void rx_serve(struct rx *r, int fd)
{
	char *head, *body;
	while (rx_request(r, fd, &head, &body) == 0) {
		pthread_mutex_lock(&r->mu);
		if (r->n < RX_MAX) {
			r->head[r->n] = head;
			r->body[r->n++] = body;
		} else {
			free(head);
			free(body);
		}
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->mu);
		rx_answer(r, fd);
	}
}

static void *rx_run(void *arg)
{
	struct rx *r = arg;
	for (;;) {
		struct pollfd pf[2] = { { r->lfd, POLLIN, 0 }, { r->wake[0], POLLIN, 0 } };
		if (poll(pf, 2, -1) < 0 || pf[1].revents)
			break;
		int fd = accept(r->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		rx_serve(r, fd);
		close(fd);
	}
	return NULL;
}

static void rx_start(struct rx *r, enum rx_mode mode)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->lfd >= 0);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r->lfd, 16), 0);
	assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&sa, &sl), 0);
	r->port = ntohs(sa.sin_port);
	assert_int_equal(pipe(r->wake), 0);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	assert_int_equal(pthread_create(&r->thread, NULL, rx_run, r), 0);
}

static void rx_set_mode(struct rx *r, enum rx_mode mode)
{
	pthread_mutex_lock(&r->mu);
	r->mode = mode;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

static size_t rx_count(struct rx *r)
{
	pthread_mutex_lock(&r->mu);
	size_t n = r->n;
	pthread_mutex_unlock(&r->mu);
	return n;
}

static void rx_stop(struct rx *r)
{
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	assert_int_equal(write(r->wake[1], "x", 1), 1);
	pthread_join(r->thread, NULL);
	for (size_t i = 0; i < r->n; i++) {
		free(r->head[i]);
		free(r->body[i]);
	}
	close(r->lfd);
	close(r->wake[0]);
	close(r->wake[1]);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mu);
}

/* Body i parsed (the receiver has it: wait for rx_count first). */
static cJSON *rx_json(struct rx *r, size_t i)
{
	pthread_mutex_lock(&r->mu);
	cJSON *o = cJSON_Parse(r->body[i]);
	pthread_mutex_unlock(&r->mu);
	assert_non_null(o);
	return o;
}

/* --- configs and handles ------------------------------------------------- */

static struct alert_conf confs[4];
static char urls[4][160], displays[4][160];
static struct config cfg;

static void webhook(size_t i, int port, const char *query, enum alert_format f, char **events)
{
	snprintf(urls[i], sizeof(urls[i]), "http://127.0.0.1:%d/hook%s", port, query);
	snprintf(displays[i], sizeof(displays[i]), "http://127.0.0.1:%d/hook%s", port,
		 *query ? "?token=***" : "");
	confs[i] = (struct alert_conf){ .webhook = urls[i], .webhook_display = displays[i],
					.format = f, .events = events };
	cfg.n_alerts = i + 1;
}

static void exec_hook(size_t i, char **argv)
{
	confs[i] = (struct alert_conf){ .exec = argv };
	cfg.n_alerts = i + 1;
}

static struct alerts *start(void)
{
	struct co_error err = { "" };
	cfg.release = "r1";
	cfg.alerts = confs;
	struct alerts *a = alerts_start(&cfg, &err);
	if (!a)
		fail_msg("alerts_start: %s", err.msg);
	return a;
}

static struct alert_counters counters(struct alerts *a)
{
	struct alert_counters c;
	alerts_get_counters(a, &c);
	return c;
}

static struct alert_receiver_status status(struct alerts *a, size_t i)
{
	struct alert_receiver_status s;
	assert_int_equal(alerts_receiver_status(a, i, &s), 0);
	return s;
}

static void write_script(const char *name, const char *body)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nD='%s'\n%s\n", dir, body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static char *slurp(const char *name)
{
	char path[128];
	static char buf[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

/* "2025-11-24T14:31:02.123Z" */
static void assert_rfc3339_ms_utc(const char *t)
{
	assert_int_equal(strlen(t), 24);
	assert_true(t[4] == '-' && t[10] == 'T' && t[13] == ':' && t[19] == '.' && t[23] == 'Z');
}

/* --- tests --------------------------------------------------------------- */

static void json_body_carries_event_release_service_time_detail_and_figures(void **state)
{
	struct rx r;
	rx_start(&r, RX_OK);
	webhook(0, r.port, "", ALERT_FORMAT_JSON, NULL);
	struct alerts *a = start();
	cJSON *fig = cJSON_CreateObject();
	cJSON_AddNumberToObject(fig, "p95_ms", 412);
	cJSON_AddStringToObject(fig, "side", "green");
	alerts_post(a, ALERT_ROLLED_BACK, "api", "p95 +40%", fig);
	cJSON_Delete(fig);	/* the post took a copy */
	alerts_post(a, ALERT_DRIFT, "", "weights differ", NULL);
	wait_until(counters(a).delivered == 2, 2000);

	cJSON *b = rx_json(&r, 0);
	assert_string_equal(cJSON_GetObjectItem(b, "event")->valuestring, "rolled_back");
	assert_string_equal(cJSON_GetObjectItem(b, "release")->valuestring, "r1");
	assert_string_equal(cJSON_GetObjectItem(b, "service")->valuestring, "api");
	assert_string_equal(cJSON_GetObjectItem(b, "detail")->valuestring, "p95 +40%");
	assert_rfc3339_ms_utc(cJSON_GetObjectItem(b, "time")->valuestring);
	cJSON *f = cJSON_GetObjectItem(b, "figures");
	assert_int_equal(cJSON_GetObjectItem(f, "p95_ms")->valueint, 412);
	assert_string_equal(cJSON_GetObjectItem(f, "side")->valuestring, "green");
	cJSON_Delete(b);
	b = rx_json(&r, 1);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(b, "service")));
	assert_null(cJSON_GetObjectItem(b, "figures"));
	cJSON_Delete(b);
	assert_contains(r.head[0], "POST /hook HTTP/1.1");
	assert_contains(r.head[0], "Content-Type: application/json");
	assert_int_equal(counters(a).posted, 2);
	alerts_stop(a);
	rx_stop(&r);
}

static void slack_body_has_text_colour_and_a_field_per_figure(void **state)
{
	struct rx r;
	rx_start(&r, RX_OK);
	webhook(0, r.port, "", ALERT_FORMAT_SLACK, NULL);
	struct alerts *a = start();
	cJSON *fig = cJSON_CreateObject();
	cJSON_AddNumberToObject(fig, "p95_ms", 412);
	cJSON_AddStringToObject(fig, "side", "green");
	alerts_post(a, ALERT_ROLLED_BACK, "api", "p95 <+40%> <!channel>", fig);
	cJSON_Delete(fig);
	alerts_post(a, ALERT_WAITING, "web", "", NULL);
	alerts_post(a, ALERT_COMPLETED, "", "", NULL);
	wait_until(counters(a).delivered == 3, 2000);

	cJSON *b = rx_json(&r, 0);
	/* <, > and & escaped: Slack would read "<!channel>" as a mention. */
	assert_string_equal(cJSON_GetObjectItem(b, "text")->valuestring,
			    "cutover r1: rolled_back api \xe2\x80\x94 "
			    "p95 &lt;+40%&gt; &lt;!channel&gt;");
	cJSON *att = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "attachments"), 0);
	assert_string_equal(cJSON_GetObjectItem(att, "color")->valuestring, "danger");
	cJSON *fields = cJSON_GetObjectItem(att, "fields");
	assert_int_equal(cJSON_GetArraySize(fields), 2);
	cJSON *f0 = cJSON_GetArrayItem(fields, 0), *f1 = cJSON_GetArrayItem(fields, 1);
	assert_string_equal(cJSON_GetObjectItem(f0, "title")->valuestring, "p95_ms");
	assert_string_equal(cJSON_GetObjectItem(f0, "value")->valuestring, "412");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(f0, "short")));
	assert_string_equal(cJSON_GetObjectItem(f1, "value")->valuestring, "green");
	cJSON_Delete(b);
	b = rx_json(&r, 1);
	assert_string_equal(cJSON_GetObjectItem(b, "text")->valuestring, "cutover r1: waiting web");
	att = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "attachments"), 0);
	assert_string_equal(cJSON_GetObjectItem(att, "color")->valuestring, "warning");
	cJSON_Delete(b);
	b = rx_json(&r, 2);
	assert_string_equal(cJSON_GetObjectItem(b, "text")->valuestring, "cutover r1: completed");
	att = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "attachments"), 0);
	assert_string_equal(cJSON_GetObjectItem(att, "color")->valuestring, "good");
	cJSON_Delete(b);
	alerts_stop(a);
	rx_stop(&r);
}

static void events_filter_skips_events_it_does_not_list(void **state)
{
	static char *only[] = { ALERT_HALTED, ALERT_COMPLETED, NULL };
	struct rx r;
	rx_start(&r, RX_OK);
	webhook(0, r.port, "", ALERT_FORMAT_JSON, only);
	struct alerts *a = start();
	alerts_post(a, ALERT_STARTED, "api", "", NULL);
	alerts_post(a, ALERT_HALTED, "api", "", NULL);
	alerts_post(a, ALERT_ADVANCED, "api", "", NULL);
	alerts_post(a, ALERT_COMPLETED, "api", "", NULL);
	wait_until(counters(a).delivered == 2, 2000);
	assert_int_equal(counters(a).posted, 2);	/* the others were never queued */
	assert_int_equal(rx_count(&r), 2);
	cJSON *b = rx_json(&r, 1);
	assert_string_equal(cJSON_GetObjectItem(b, "event")->valuestring, "completed");
	cJSON_Delete(b);
	alerts_stop(a);
	rx_stop(&r);
}

static void failing_receiver_is_tried_four_times_then_counted_failed(void **state)
{
	struct rx r;
	rx_start(&r, RX_500);
	webhook(0, r.port, "?token=SECRET", ALERT_FORMAT_JSON, NULL);
	struct alerts *a = start();
	uint64_t t0 = now_ms();
	alerts_post(a, ALERT_HALTED, "api", "", NULL);
	wait_until(counters(a).failed == 1, 3000);
	assert_true(now_ms() - t0 >= 20 + 40 + 80);	/* the backoff doubled */
	assert_int_equal(rx_count(&r), 4);
	assert_int_equal(counters(a).delivered, 0);
	struct alert_receiver_status s = status(a, 0);
	assert_contains(s.last_error, "HTTP 500 (attempt 4 of 4)");
	assert_contains(s.name, "token=***");
	assert_null(strstr(s.last_error, "SECRET"));
	assert_null(strstr(s.name, "SECRET"));
	alerts_stop(a);
	rx_stop(&r);
}

static void refused_connection_is_retried_then_counted_failed(void **state)
{
	struct rx r;
	rx_start(&r, RX_OK);
	int port = r.port;
	rx_stop(&r);	/* nothing listens there now */
	/* No display form given: the handle masks the URL itself, the path
	 * secret of a Mattermost-style hook included. */
	snprintf(urls[0], sizeof(urls[0]), "http://127.0.0.1:%d/hooks/SECRET?token=SECRET2", port);
	confs[0] = (struct alert_conf){ .webhook = urls[0], .format = ALERT_FORMAT_SLACK };
	cfg.n_alerts = 1;
	struct alerts *a = start();
	alerts_post(a, ALERT_HALTED, "api", "", NULL);
	wait_until(counters(a).failed == 1, 3000);
	struct alert_receiver_status s = status(a, 0);
	print_message("last error: %s\n", s.last_error);
	assert_contains(s.last_error, "connect");
	assert_contains(s.last_error, "attempt 4 of 4");
	assert_contains(s.last_error, "/hooks/***");
	assert_null(strstr(s.last_error, "SECRET"));
	alerts_stop(a);
}

static void hanging_receiver_delays_neither_posts_nor_another_receiver(void **state)
{
	struct rx hang, ok;
	rx_start(&hang, RX_HANG);
	rx_start(&ok, RX_OK);
	webhook(0, hang.port, "", ALERT_FORMAT_JSON, NULL);
	webhook(1, ok.port, "", ALERT_FORMAT_SLACK, NULL);
	struct alerts *a = start();
	alerts_post(a, ALERT_STARTED, "api", "first", NULL);
	wait_until(rx_count(&hang) == 1, 2000);	/* its worker now waits on the answer */
	uint64_t t0 = now_ms();
	for (int i = 0; i < 1000; i++)
		alerts_post(a, ALERT_ADVANCED, "api", "step", NULL);
	uint64_t took = now_ms() - t0;
	print_message("1000 posts took %llu ms\n", (unsigned long long)took);
	assert_true(took < 100);
	/* The healthy receiver gets everything it did not have to drop. */
	wait_until(status(a, 1).counters.delivered + status(a, 1).counters.dropped == 1001, 3000);
	assert_true(rx_count(&ok) >= 1);
	assert_int_equal(status(a, 0).counters.delivered, 0);
	assert_int_equal(status(a, 0).counters.dropped, 1000 - 256);
	rx_set_mode(&hang, RX_OK);	/* so that stopping need not wait out the grace */
	alerts_stop(a);
	rx_stop(&hang);
	rx_stop(&ok);
}

static void full_queue_drops_the_oldest_and_counts_it(void **state)
{
	struct rx r;
	char detail[16];
	rx_start(&r, RX_HANG);
	webhook(0, r.port, "", ALERT_FORMAT_JSON, NULL);
	struct alerts *a = start();
	alerts_post(a, ALERT_ADVANCED, "api", "0", NULL);
	wait_until(rx_count(&r) == 1, 2000);	/* event 0 is in flight, not queued */
	for (int i = 1; i <= 300; i++) {
		snprintf(detail, sizeof(detail), "%d", i);
		alerts_post(a, ALERT_ADVANCED, "api", detail, NULL);
	}
	assert_int_equal(counters(a).posted, 301);
	assert_int_equal(counters(a).dropped, 300 - 256);
	rx_set_mode(&r, RX_OK);
	wait_until(counters(a).delivered == 257, 3000);
	cJSON *b = rx_json(&r, 1);	/* 1..44 made room for the newer ones */
	assert_string_equal(cJSON_GetObjectItem(b, "detail")->valuestring, "45");
	cJSON_Delete(b);
	b = rx_json(&r, 256);
	assert_string_equal(cJSON_GetObjectItem(b, "detail")->valuestring, "300");
	cJSON_Delete(b);
	alerts_stop(a);
	rx_stop(&r);
}

static void stop_with_a_hanging_receiver_returns_within_3_s(void **state)
{
	struct rx r;
	rx_start(&r, RX_HANG);
	webhook(0, r.port, "", ALERT_FORMAT_JSON, NULL);
	struct alerts *a = start();
	for (int i = 0; i < 5; i++)
		alerts_post(a, ALERT_ADVANCED, "api", "", NULL);
	wait_until(rx_count(&r) == 1, 2000);
	uint64_t t0 = now_ms();
	alerts_stop(a);
	uint64_t took = now_ms() - t0;
	print_message("stop took %llu ms\n", (unsigned long long)took);
	assert_true(took < 3000);
	rx_stop(&r);
}

static void stop_wakes_a_worker_in_its_backoff(void **state)
{
	struct rx r;
	rx_start(&r, RX_500);
	webhook(0, r.port, "", ALERT_FORMAT_JSON, NULL);
	setenv("CUTOVER_ALERT_BACKOFF_MS", "5000", 1);
	struct alerts *a = start();
	setenv("CUTOVER_ALERT_BACKOFF_MS", "20", 1);
	alerts_post(a, ALERT_HALTED, "api", "", NULL);
	wait_until(rx_count(&r) == 1, 2000);
	sleep_ms(50);	/* past the answer, into the 5 s backoff */
	uint64_t t0 = now_ms();
	alerts_stop(a);
	assert_true(now_ms() - t0 < 500);
	assert_int_equal(rx_count(&r), 1);
	rx_stop(&r);
}

static void stop_still_sends_what_is_queued_to_a_healthy_receiver(void **state)
{
	struct rx r;
	rx_start(&r, RX_OK);
	webhook(0, r.port, "", ALERT_FORMAT_JSON, NULL);
	struct alerts *a = start();
	for (int i = 0; i < 3; i++)
		alerts_post(a, ALERT_COMPLETED, "api", "", NULL);
	alerts_stop(a);
	assert_int_equal(rx_count(&r), 3);
	rx_stop(&r);
}

static void exec_hook_gets_each_placeholder_as_one_literal_argument(void **state)
{
	char prog[128];
	snprintf(prog, sizeof(prog), "%s/args.sh", dir);
	char *argv[] = { prog, "{event}", "svc={service}", "{detail}", "{release}/{time}/{nope}",
			 NULL };
	write_script("args.sh", "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done >> \"$D/args\"");
	exec_hook(0, argv);
	struct alerts *a = start();
	alerts_post(a, ALERT_HALTED, "api", "; rm -rf /tmp/x $(id)", NULL);
	wait_until(counters(a).delivered == 1, 3000);
	char *got = slurp("args");
	const char *want = "[halted]\n[svc=api]\n[; rm -rf /tmp/x $(id)]\n[r1/";
	assert_int_equal(strncmp(got, want, strlen(want)), 0);
	char *t = got + strlen(want);
	assert_int_equal(strlen(t), 24 + strlen("/{nope}]\n"));
	assert_string_equal(t + 24, "/{nope}]\n");
	t[24] = '\0';
	assert_rfc3339_ms_utc(t);
	alerts_stop(a);
}

static void failing_exec_hook_is_retried_then_counted_failed(void **state)
{
	char prog[128];
	snprintf(prog, sizeof(prog), "%s/fail.sh", dir);
	char *argv[] = { prog, "--token=hunter2", NULL };
	write_script("fail.sh", "echo x >> \"$D/tries\"\n"
		     "echo 'cannot reach https://bot:hunter2@chat.example/hook' >&2\nexit 3");
	exec_hook(0, argv);
	struct alerts *a = start();
	alerts_post(a, ALERT_HALTED, "api", "", NULL);
	wait_until(counters(a).failed == 1, 3000);
	assert_string_equal(slurp("tries"), "x\nx\nx\nx\n");
	struct alert_receiver_status s = status(a, 0);
	print_message("last error: %s\n", s.last_error);
	assert_contains(s.last_error, "fail.sh: exit 3: cannot reach https://bot:***@");
	assert_null(strstr(s.last_error, "hunter2"));
	alerts_stop(a);
}

static void sleeping_exec_hook_is_killed(void **state)
{
	char prog[128];
	snprintf(prog, sizeof(prog), "%s/sleep.sh", dir);
	char *argv[] = { prog, NULL };
	write_script("sleep.sh", "echo $$ >> \"$D/pids\"\nexec sleep 30");
	exec_hook(0, argv);
	struct alerts *a = start();
	uint64_t t0 = now_ms();
	alerts_post(a, ALERT_HALTED, "api", "", NULL);
	wait_until(counters(a).failed == 1, 4000);
	print_message("4 killed attempts took %llu ms\n", (unsigned long long)(now_ms() - t0));
	assert_contains(status(a, 0).last_error, "killed after 250 ms (attempt 4 of 4)");
	int pids = 0;
	for (char *p = slurp("pids"), *end; *p; p = end, pids++) {
		long pid = strtol(p, &end, 10);
		assert_true(pid > 0 && *end == '\n');
		end++;
		assert_int_equal(kill((pid_t)pid, 0), -1);	/* killed and reaped */
		assert_int_equal(errno, ESRCH);
	}
	assert_int_equal(pids, 4);
	alerts_stop(a);
}

static void no_receivers_and_null_handles_are_harmless(void **state)
{
	struct alert_counters c;
	cfg.n_alerts = 0;
	struct alerts *a = start();
	alerts_post(a, ALERT_STARTED, "api", "", NULL);
	assert_int_equal(counters(a).posted, 0);
	assert_int_equal(alerts_receivers(a), 0);
	alerts_stop(a);
	alerts_post(NULL, ALERT_STARTED, "api", "", NULL);
	alerts_get_counters(NULL, &c);
	assert_int_equal(c.posted, 0);
	alerts_stop(NULL);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cutover-alert-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* Short waits, read by alerts_start: the real ones are 1 s and 10 s. */
	setenv("CUTOVER_ALERT_BACKOFF_MS", "20", 1);
	setenv("CUTOVER_ALERT_EXEC_TIMEOUT_MS", "250", 1);
	/* The receivers are on 127.0.0.1: a proxy from the environment must
	 * not take the requests elsewhere. */
	static const char *const proxies[] = { "http_proxy", "HTTP_PROXY", "https_proxy",
					       "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_body_carries_event_release_service_time_detail_and_figures),
		cmocka_unit_test(slack_body_has_text_colour_and_a_field_per_figure),
		cmocka_unit_test(events_filter_skips_events_it_does_not_list),
		cmocka_unit_test(failing_receiver_is_tried_four_times_then_counted_failed),
		cmocka_unit_test(refused_connection_is_retried_then_counted_failed),
		cmocka_unit_test(hanging_receiver_delays_neither_posts_nor_another_receiver),
		cmocka_unit_test(full_queue_drops_the_oldest_and_counts_it),
		cmocka_unit_test(stop_with_a_hanging_receiver_returns_within_3_s),
		cmocka_unit_test(stop_wakes_a_worker_in_its_backoff),
		cmocka_unit_test(stop_still_sends_what_is_queued_to_a_healthy_receiver),
		cmocka_unit_test(exec_hook_gets_each_placeholder_as_one_literal_argument),
		cmocka_unit_test(failing_exec_hook_is_retried_then_counted_failed),
		cmocka_unit_test(sleeping_exec_hook_is_killed),
		cmocka_unit_test(no_receivers_and_null_handles_are_harmless),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
