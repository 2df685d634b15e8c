/* engine_cli: the CLI's side of a release's engine: finding it (or knowing
 * there is none, so a command works standalone), rebuilding a snapshot from
 * its status document, plans made, applied and waited for through it, and
 * its journal copied out. Messages name the engine; only the commands turn
 * them into exit codes. */
#ifndef CUTOVER_CLI_ENGINE_CLI_H
#define CUTOVER_CLI_ENGINE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cutover/engine_link.h"
#include "cutover/executor.h"
#include "cutover/model.h"
#include "cutover/plan_request.h"
#include "cutover/router_poller.h"

/* The long options every engine-aware command takes, and their codes. */
#define ENGINE_CLI_OPT_URL 0x1e01
#define ENGINE_CLI_OPT_TOKEN 0x1e02
#define ENGINE_CLI_OPTIONS                                                     \
	{ "engine", required_argument, NULL, ENGINE_CLI_OPT_URL },             \
	{ "token-file", required_argument, NULL, ENGINE_CLI_OPT_TOKEN }

/* Takes an ENGINE_CLI_OPT_* code into w; false for any other code. */
bool engine_cli_option(int code, const char *arg, struct engine_where *w);

/* The config and the engine for command cmd: with w->url the engine's
 * config and the engine is required; else the file at config_path (or the
 * located one) and the release's socket, where *link stays NULL when no
 * engine listens (the command then works standalone). Returns EXIT_OK, or
 * an exit code after printing why ("cutover CMD: ..."). */
int engine_cli_attach(const char *cmd, const char *config_path, const struct engine_where *w,
		      struct config **cfg, struct engine_link **link);

/* err from an engine's answer that was not a success: its "error" words,
 * or the status when it gave none. */
void engine_cli_answer_error(const struct engine_link *l, int status, const cJSON *resp,
			     struct co_error *err);

/* GET /v1/status: the document, the caller's. -1 with err. */
int engine_cli_status(struct engine_link *l, cJSON **doc, struct co_error *err);

/* The status document as a snapshot over cfg, the way the engine holds it.
 * -1 with err when the document names services cfg does not have (an
 * engine started from another version of the file). */
int engine_cli_snapshot(const struct config *cfg, const cJSON *doc, struct snapshot *snap,
			struct co_error *err);

/* The engine's state now as a router pass of one instance named "engine",
 * for a read-back after a plan: the CLI reads no router where an engine
 * owns them, so this says what the engine holds, not what a router says.
 * view starts zeroed; free it with router_view_done. -1 with err. */
int engine_cli_view(struct engine_link *l, const struct config *cfg, struct router_view *view,
		    struct co_error *err);

/* POST /v1/plans: the plan as the engine made it (201), the caller's. */
/* The plan answer's fleet reach ("router": {"up", "total"}) into snap,
 * with cfg: all the plan report needs of a snapshot. */
void engine_cli_plan_router(const cJSON *plan, const struct config *cfg, struct snapshot *snap);
int engine_cli_plan_make(struct engine_link *l, const struct plan_request *rq, cJSON **plan,
			 struct co_error *err);

/* POST /v1/plans/ID/apply. 0 when it is applying; 1 when the plan's inputs
 * changed, with the engine's new plan in *fresh (the caller's); -1 with
 * err for any other refusal (a blocker, the lever held by a console). */
int engine_cli_plan_apply(struct engine_link *l, const char *id, bool force, const char *reason,
			  cJSON **fresh, struct co_error *err);

/* Polls GET /v1/plans/ID until the plan ran, and fills out with how it
 * went. -1 with err when the engine could not tell. */
int engine_cli_plan_wait(struct engine_link *l, const char *id, struct executor_progress *out,
			 struct co_error *err);

/* Copies the journal's records, one JSON line each, to out, in pages of
 * GET /v1/journal. Returns the records copied, or -1 with err. */
long engine_cli_journal_copy(struct engine_link *l, FILE *out, struct co_error *err);

#endif
