/* state_json: a snapshot as JSON, the document `cutover status --json`
 * prints and GET /v1/status serves, and each service's state both ways, so
 * an engine's clients rebuild exactly the state it holds. */
#ifndef CUTOVER_STATE_JSON_H
#define CUTOVER_STATE_JSON_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "cutover/model.h"

/* Latency figures mean something: samples, and not every one failed. */
bool state_has_latency(const struct side_stats *s);

/* One service. full adds what only a live screen needs (target weight,
 * busy, probe counts, sparkline): the event stream's form. */
/* A service's rollout for screens and status: phase, step, steps, moving,
 * bake_left_s, failed_checks, max_failed_checks, wave, last_failed_check. */
cJSON *state_rollout_json(const struct rollout_view *rv);
cJSON *state_service_json(const struct snapshot *snap, size_t i, bool full);
/* {"driver", "up", "total"}: up and total null when the router was not read. */
cJSON *state_router_json(const struct snapshot *snap);
/* The status document: release, driver, labels, probed_s, router,
 * rehearsal, services. */
cJSON *state_doc_json(const struct snapshot *snap, double probed_s, bool full);

/* Reads one service object (either form) into out, starting from out's
 * current contents, so fields the short form lacks keep their values.
 * -1 with err naming the field when it does not hold what it should. */
int state_service_from_json(const cJSON *o, struct service_state *out, struct co_error *err);

#endif
