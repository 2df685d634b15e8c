/* engine: the one long-lived owner of a release. It holds the operator lock
 * for as long as it runs, and owns the model, the prober, the router poller,
 * the journal, crash recovery and the executor; clients (consoles, wall
 * screens, the CLI, scripts) reach it through its API (api.h) or, for the
 * console that hosts it, by these calls. It never prints: what it has to say
 * goes to the report callback and to its clients as notices. */
#ifndef CUTOVER_ENGINE_H
#define CUTOVER_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cutover/executor.h"
#include "cutover/lock.h"
#include "cutover/metrics.h"
#include "cutover/model.h"
#include "cutover/plan_request.h"

struct engine;
struct hub;

struct engine_opts {
	const char *command;	/* recorded in the lock: "cutover serve" */
	bool hosted;		/* inside a console: stops with it */
	const char *socket_path;	/* NULL: STATE_DIR/RELEASE.sock; "" : none */
	const char *listen;		/* "HOST:PORT" for remote clients, or NULL */
	const char *tokens_path;	/* required with listen */
	const char *tls_cert, *tls_key;	/* PEM files; both or neither */
	bool insecure_plaintext;	/* allow listen beyond loopback without TLS */
	int max_clients;		/* 0: 256 */
	/* Lines worth telling whoever started the engine (recovery, the
	 * previous engine's stop): called from the starting thread. */
	void (*report)(const char *line, void *ctx);
	void *report_ctx;
};

/* Results engine_start can give besides success. */
enum { ENGINE_OK = 0, ENGINE_FAILED = -1, ENGINE_BUSY = 1 };

/* Starts everything. ENGINE_BUSY when another process holds the release's
 * lock: holder is filled and err says "an engine (or a cutover command)
 * already runs for RELEASE: user@host pid N since T: COMMAND". cfg must
 * outlive the engine. */
int engine_start(const struct config *cfg, const struct engine_opts *o, struct engine **out,
		 struct lock_owner *holder, struct co_error *err);

/* Stops clean: refuses new plans, lets one that is applying finish, tells
 * every client why, journals "engine.stop" with why, and lets go of the
 * lock. NULL: no-op. */
void engine_stop(struct engine *e, const char *why);

const struct config *engine_config(const struct engine *e);
struct model *engine_model(struct engine *e);
const char *engine_socket_path(const struct engine *e);	/* "" when none */
const char *engine_actor(const struct engine *e);	/* user@host of the engine */
const char *engine_journal_path(const struct engine *e);
void engine_counters(struct engine *e, struct engine_counters *out);

/* --- Plans -------------------------------------------------------------- */

/* Who asks: the journal's actor for what they do, their kind, and for
 * lever checks their client id (0: a one-shot client like the CLI). */
struct engine_actor {
	char name[128];		/* "ana@ops1" or a token's NAME */
	char kind[16];		/* "console", "cli", "api" */
	uint64_t client;	/* the event stream (or in-process client) it holds */
	bool may_operate;
	bool by_token;		/* a TCP client: the journal's actor is the token's NAME alone */
};

/* Answers as the API does: an HTTP status and a JSON body (*out, owned by
 * the caller). 200/201 with the plan, 400 bad request, 404 unknown plan,
 * 409 stale (the body carries the new plan under "plan") or blocked. */
int engine_plan_make(struct engine *e, const struct plan_request *rq, const struct engine_actor *who,
		     cJSON **out);
/* force (with a reason) may be given here, once the plan was seen. */
int engine_plan_apply(struct engine *e, const char *id, const struct engine_actor *who,
		      bool force, const char *reason, cJSON **out);
/* A plan and, once applied, its progress (kept after it ends); brief: id,
 * state and progress only, for a client polling an apply. 404 unknown. */
int engine_plan_get(struct engine *e, const char *id, bool brief, cJSON **out);
void engine_progress(struct engine *e, struct executor_progress *out);

/* --- Rollouts: the autopilot ------------------------------------------------ */

/* POST /v1/rollouts/ACTION with body: parsed, checked against the lever
 * (a dry run needs none), carried out in who's name. Answers as
 * rollouts_control (rollout.h), or 400/403/409 with {"error", "code"}. */
int engine_rollout_control(struct engine *e, const char *action, const char *body, size_t len,
			   const struct engine_actor *who, cJSON **out);
/* GET /v1/rollouts (rollouts_status_json). */
cJSON *engine_rollouts_json(struct engine *e);
/* GET /v1/jobs (jobs.h). */
cJSON *engine_jobs_json(struct engine *e);
/* POST /v1/plans/ID/cancel: lets go of a plan still waiting for a job's
 * gap. 200, 403 (may not act), 404 (no such plan) or 409 (not waiting). */
int engine_plan_cancel(struct engine *e, const char *id, const struct engine_actor *who,
		       cJSON **out);

/* --- The lever: one operator at a time ----------------------------------- */

struct lever_state {
	bool held;
	uint64_t client;
	char holder[128];	/* actor */
	char kind[16];
	char since[40];		/* RFC 3339 */
};

uint64_t engine_client_id(struct engine *e);	/* a fresh client id */
/* The id of the console that hosts the engine, in-process (no stream). */
uint64_t engine_hosted_client(struct engine *e);
/* An operator client that wants the lever gets it when it is free, else
 * waits in line for it. Returns true when it holds it now. */
bool engine_lever_want(struct engine *e, uint64_t client, const char *actor, const char *kind);
/* Takes it from whoever holds it: journaled, and the previous holder told.
 * 1 (err says why) when client is no live stream nor the hosting console. */
int engine_lever_take(struct engine *e, uint64_t client, const char *actor, const char *kind,
		      struct co_error *err);
/* A client went away: lets go of the lever (the next in line gets it) and
 * of its place in line. */
void engine_lever_drop(struct engine *e, uint64_t client);
void engine_lever_get(struct engine *e, struct lever_state *out);
cJSON *engine_lever_json(struct engine *e, uint64_t asking_client);

/* --- What clients are told ----------------------------------------------- */

/* A line every client sees (the message line, a notice event). */
void engine_notice(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The newest notice after seq (0: any), copied into out; returns its seq, or
 * seq when none is newer. For the in-process console. */
uint64_t engine_notice_since(struct engine *e, uint64_t seq, char *out, size_t cap);

struct hub *engine_hub(struct engine *e);

/* A new event stream: the whole state as its first event, attached in one
 * step under the hub's lock so no delta falls between (hub.h). An operator
 * stream (operate) asks for the lever as it attaches. */
struct hub_client;
struct hub_client *engine_attach(struct engine *e, uint64_t client, bool operate,
				 const char *actor, const char *kind,
				 void (*wake)(void *), void *wake_ctx);

#endif
