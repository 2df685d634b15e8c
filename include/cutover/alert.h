/* alert: tells people what a release does, through webhooks (Slack and
 * Mattermost incoming hooks, or plain JSON) and exec hooks, each receiver
 * on a thread of its own with a bounded queue, so that a slow or failing
 * receiver never delays the engine, a rollback, or another receiver. */
#ifndef CUTOVER_ALERT_H
#define CUTOVER_ALERT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "cutover/config.h"
#include "cutover/error.h"

/* Event names, as webhooks, exec hooks and "events" filters spell them. */
#define ALERT_STARTED "started"			/* a rollout started */
#define ALERT_ADVANCED "advanced"		/* it reached its next step */
#define ALERT_WAITING "waiting"			/* it waits for a human (pause) */
#define ALERT_HALTED "halted"			/* a breach held it (on_breach: halt) */
#define ALERT_ROLLED_BACK "rolled_back"		/* a breach (or abort) put it back to 0 */
#define ALERT_COMPLETED "completed"		/* it reached 100 and baked */
#define ALERT_HEALTH_DOWN "health_down"		/* a side's health went down */
#define ALERT_HEALTH_UP "health_up"		/* ... and up again */
#define ALERT_ROUTER_UNREACHABLE "router_unreachable"
#define ALERT_ROUTER_REACHABLE "router_reachable"
#define ALERT_DRIFT "drift"
#define ALERT_JOB_DOUBLE "job.double"		/* both sides ran one tick of a job */
#define ALERT_JOB_MISSED "job.missed"		/* neither side ran it */

struct alerts;

struct alert_counters {
	uint64_t posted;	/* events handed to alerts_post that the receiver's filter took */
	uint64_t delivered;	/* delivered, possibly after retries */
	uint64_t failed;	/* given up on: after the last retry, or at alerts_stop */
	uint64_t dropped;	/* dropped because a receiver's queue was full */
};

/* Starts one worker per cfg->alerts entry (none: a handle that drops
 * everything, so callers need no special case). NULL only when memory or
 * threads ran out, with err filled. */
struct alerts *alerts_start(const struct config *cfg, struct co_error *err);

/* Queues an event for every receiver whose filter takes it; copies all it
 * is given (figures may be NULL) and never blocks on delivery. service ""
 * when the event is about no one service. Thread-safe. NULL a: no-op. */
void alerts_post(struct alerts *a, const char *event, const char *service, const char *detail,
		 const cJSON *figures);

/* Stops the workers: what is queued gets at most a few seconds more (2 s
 * for all receivers together: a webhook transfer still going then is cut),
 * then is abandoned (counted as failed). An exec hook already running is
 * not interrupted: it ends, or is killed at its 10 s timeout. NULL: no-op. */
void alerts_stop(struct alerts *a);

/* The counters summed over every receiver (zeros for NULL a). */
void alerts_get_counters(struct alerts *a, struct alert_counters *out);

/* One receiver, for status screens and /metrics. */
struct alert_receiver_status {
	char name[256];		/* webhook_display, or "exec PROGRAM": never a secret */
	struct alert_counters counters;
	/* "NAME: HTTP 500 (attempt 4 of 4)" of the last failed attempt; "" once
	 * an attempt succeeds. */
	char last_error[512];
};

/* Receivers, in cfg->alerts order (0 for NULL a). */
size_t alerts_receivers(struct alerts *a);

/* Fills out for receiver i; -1 when there is no such receiver. */
int alerts_receiver_status(struct alerts *a, size_t i, struct alert_receiver_status *out);

#endif
