/* plan_request: what a client asks the engine to plan (POST /v1/plans),
 * parsed from JSON with errors that name the JSON path, and a plan as JSON
 * both ways, so the engine's answer and a client's copy say the same. */
#ifndef CUTOVER_PLAN_REQUEST_H
#define CUTOVER_PLAN_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cutover/plan.h"

enum plan_kind { PLAN_MOVE, PLAN_ROLLBACK, PLAN_REAPPLY };

/* Bodies beyond this are refused before parsing (413). */
#define PLAN_REQUEST_MAX_BYTES (1u << 20)

struct plan_request {
	enum plan_kind kind;
	char **targets;		/* names and @groups, as given */
	size_t n_targets;
	bool all;		/* rollback/reapply: every service */
	enum move_goal goal;
	int weight;
	bool force;
	char *reason;		/* NULL when none */
};

/* {"targets": [...], "to": "green"|"blue", "weight": N | "step": true,
 *  "force": true, "reason": "..."}, or {"kind": "rollback"|"reapply",
 *  "targets": [...] | "all": true, ...}. Unknown keys, wrong types, a
 * weight outside 0..100, --force without a reason are errors naming the
 * path ("weight: expected an integer 0..100, found 250"). */
int plan_request_parse(const char *body, size_t len, struct plan_request *out,
		       struct co_error *err);
void plan_request_done(struct plan_request *r);

/* A request body as one JSON object: bounded, and nothing after it. NULL
 * with err naming the byte. */
cJSON *plan_body_parse(const char *body, size_t len, struct co_error *err);
/* Refuses a key not in known (NULL-terminated, at most 32), naming it and
 * what was expected, and a key given twice. */
int plan_body_keys(const cJSON *o, const char *const *known, const char *expected,
		   struct co_error *err);
/* "targets": an array of names and @groups, copied NULL-terminated into
 * *out (freed by the caller even on failure, *n entries). */
int plan_targets_parse(const cJSON *t, char ***out, size_t *n, struct co_error *err);
/* The request as JSON (a client's POST body). */
cJSON *plan_request_json(const struct plan_request *r);
const char *plan_kind_name(enum plan_kind k);	/* "move" / "rollback" / "reapply" */

/* {"id", "kind", "actor", "moves": [{"service", "from", "to"}],
 *  "gates": [{"service": NAME|null, "gate", "level", "detail"}],
 *  "blockers", "warnings"}. */
cJSON *plan_json(const struct plan *p, const struct config *cfg);
/* The reverse, for a client: services are looked up by name in cfg. */
int plan_from_json(const cJSON *o, const struct config *cfg, struct plan *out,
		   struct co_error *err);

#endif
