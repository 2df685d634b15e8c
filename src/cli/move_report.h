/* move_report: what `move`, `rollback` and `reapply` tell, as lines for
 * people or (--json) one JSON document for scripts, printed at the end:
 *   {"command": "rollback", "plan": {...} | null, "recovered": [...],
 *    "nothing_to_do": bool, "result": {"ok": bool, "detail": "..."} | null,
 *    "readback": {SERVICE: {INSTANCE: weight | null}} | null,
 *    "error": "..." | null, "exit": N} */
#ifndef CUTOVER_CLI_MOVE_REPORT_H
#define CUTOVER_CLI_MOVE_REPORT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "cutover/executor.h"
#include "cutover/plan.h"
#include "cutover/router_poller.h"

struct move_report {
	bool json;
	cJSON *doc;		/* json only */
};

int move_report_init(struct move_report *r, bool json, const char *command);
/* One recovery line (src/recovery.c's words). */
void move_report_recovered(struct move_report *r, const char *line);
void move_report_nothing(struct move_report *r, const char *why);
void move_report_plan(struct move_report *r, const struct plan *p, const struct snapshot *snap);
void move_report_result(struct move_report *r, const struct executor_progress *pr);
/* The driver read every weight back during the apply: no second read. */
void move_report_verified(struct move_report *r, size_t instances);
/* What each instance says now about each service the plan moved. */
void move_report_readback(struct move_report *r, const struct plan *p, const struct router_view *v);
/* Prints the JSON document (error NULL when none) and frees it. */
void move_report_finish(struct move_report *r, const char *error, int exit_code);

#endif
