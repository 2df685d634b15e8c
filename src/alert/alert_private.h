/* alert_private: what the handle (alert.c), its workers (alert_worker.c),
 * the bodies (alert_body.c), webhooks (alert_webhook.c) and exec hooks
 * (alert_exec.c) share. Private to src/alert/. */
#ifndef CUTOVER_ALERT_PRIVATE_H
#define CUTOVER_ALERT_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "cutover/alert.h"
#include "cutover/config.h"

/* One event as posted, owned by the queue that holds it. */
struct alert_event {
	char *event;
	char *service;		/* "" when about no one service */
	char *detail;		/* "" when none was given */
	char time[40];		/* RFC 3339 UTC with ms, when it was posted */
	cJSON *figures;		/* an object, or NULL */
};

void alert_event_done(struct alert_event *ev);

/* The body a webhook of that format receives, malloc'ed; NULL when memory
 * ran out. */
char *alert_body(enum alert_format format, const struct alert_event *ev, const char *release);

/* Runs an exec hook once: its argv templates filled from ev, no shell,
 * killed at timeout_ms. Returns 0 when it exited 0, else -1 with why
 * saying how it ended (its stderr excerpt redacted of URL secrets). */
int alert_exec_once(char *const *tmpl, const struct alert_event *ev, const char *release,
		    int timeout_ms, char *why, size_t cap);

/* A webhook receiver's transport: one easy handle, reused so that its
 * connection is kept between POSTs, on a multi handle of its own. */
struct alert_webhook {
	CURL *easy;
	CURLM *multi;
	struct curl_slist *headers;
};

int alert_webhook_init(struct alert_webhook *h, const char *url);
void alert_webhook_done(struct alert_webhook *h);	/* zeroed or initialised */

/* Cuts a poll short so that the worker looks at time_left again at once.
 * Thread-safe. */
void alert_webhook_wake(struct alert_webhook *h);

/* POSTs body once. time_left(ctx) says how long the transfer may still go
 * on: -1 for as long as curl's own timeouts allow, 0 to give up now. 0 for
 * a 2xx answer, else -1 with why (which never holds the URL). */
int alert_webhook_post(struct alert_webhook *h, const char *body, long (*time_left)(void *),
		       void *ctx, char *why, size_t cap);

#define ALERT_QUEUE_MAX 256	/* events waiting per receiver */
#define ALERT_ATTEMPTS 4	/* per event, the first included */

/* What every worker of a handle reads and no one changes after start. */
struct alert_settings {
	char *release;
	int backoff_ms;		/* before the 2nd attempt; doubled after each */
	int exec_timeout_ms;
};

/* One receiver. Its thread owns the transport; the rest below mu is
 * shared with alerts_post, alerts_stop and the readers of counters. */
struct alert_worker {
	const struct alert_settings *set;
	char *url;			/* NULL for an exec hook; never shown */
	char name[256];			/* what errors and status call it */
	enum alert_format format;
	char **exec;			/* copies of the conf's arrays */
	char **events;
	struct alert_webhook hook;

	pthread_mutex_t mu;		/* guards everything below */
	pthread_cond_t wake;		/* an event came, or stop (monotonic clock) */
	struct alert_event q[ALERT_QUEUE_MAX];	/* a ring from head */
	size_t head, len;
	bool stop;
	uint64_t grace_until;		/* monotonic ms, once stop is set */
	struct alert_counters n;
	char last_error[512];

	pthread_t thread;
	bool started;
};

/* The worker's thread: delivers until stopped (see alert_worker.c). */
void *alert_worker_run(void *worker);

#endif
