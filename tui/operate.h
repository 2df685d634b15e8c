/* operate: the console's hands. An interactive console that gets the
 * operator lock opens the journal, reconciles what a crash left, and starts
 * the executor; confirmed requests go there and nowhere else. Watch mode
 * and a console that finds the lock held never have one, so no key of
 * theirs can reach a router. */
#ifndef TUI_OPERATE_H
#define TUI_OPERATE_H

#include <stdbool.h>

#include "cutover/executor.h"
#include "cutover/lock.h"
#include "cutover/router.h"

struct operate;

/* Recovery lines (what a crash left, and what the router says now) are
 * handed to report before this returns. Returns 0 with *out, 1 when another
 * process holds the lock (holder filled; nothing opened), -1 with err. */
int operate_open(struct operate **out, struct model *m, const struct router_driver *drv,
		 struct router *r, struct lock_owner *holder,
		 void (*report)(const char *line, void *ctx), void *ctx, struct co_error *err);

/* Waits for a plan in flight to finish (it is never cut), then lets go of
 * the executor, the journal and the lock. NULL: no-op. */
void operate_close(struct operate *op);

int operate_submit(struct operate *op, const struct plan *p, bool force, const char *reason,
		   struct co_error *err);
void operate_progress(struct operate *op, struct executor_progress *out);
const char *operate_actor(const struct operate *op);

#endif
