/* operate: lock, journal, recovery and executor for an interactive console. */
#include "operate.h"

#include <stdio.h>
#include <stdlib.h>

#include "cutover/journal.h"
#include "cutover/recovery.h"
#include "cutover/router_poller.h"

struct operate {
	struct lock *lk;
	struct journal *j;
	struct executor *exec;
};

/* A crash left intents open: one router pass, then reconcile them. */
static int recover(struct operate *op, struct model *m, const struct router_driver *drv,
		   struct router *r, void (*report)(const char *, void *), void *ctx,
		   struct co_error *err)
{
	int need = recovery_needed(op->j, err);
	if (need <= 0)
		return need;
	struct router_view view = { 0 };
	int rc = -1;
	if (router_observe_all(drv, r, m->cfg, &view, err) == 0 &&
	    recovery_run(op->j, m->cfg, &view, report, ctx, err) >= 0)
		rc = 0;
	router_view_done(&view);
	return rc;
}

int operate_open(struct operate **out, struct model *m, const struct router_driver *drv,
		 struct router *r, struct lock_owner *holder,
		 void (*report)(const char *line, void *ctx), void *ctx, struct co_error *err)
{
	const struct config *cfg = m->cfg;
	struct operate *op = calloc(1, sizeof *op);
	if (!op) {
		co_error_set(err, "out of memory");
		return -1;
	}
	int lr = lock_acquire(cfg->state_dir, cfg->release, "cutover (console)", &op->lk, holder,
			      err);
	if (lr != 0) {
		free(op);
		return lr;
	}
	op->j = journal_open(cfg->state_dir, cfg->release, err);
	if (!op->j || recover(op, m, drv, r, report, ctx, err) < 0)
		goto fail;
	op->exec = executor_start(m, drv, r, op->j, err);
	if (!op->exec)
		goto fail;
	*out = op;
	return 0;
fail:
	journal_close(op->j);
	lock_release(op->lk);
	free(op);
	return -1;
}

void operate_close(struct operate *op)
{
	if (!op)
		return;
	executor_stop(op->exec);
	journal_close(op->j);
	lock_release(op->lk);
	free(op);
}

int operate_submit(struct operate *op, const struct plan *p, bool force, const char *reason,
		   struct co_error *err)
{
	return executor_submit(op->exec, p, force, reason, err);
}

void operate_progress(struct operate *op, struct executor_progress *out)
{
	executor_get_progress(op->exec, out);
}

const char *operate_actor(const struct operate *op)
{
	return journal_actor(op->j);
}
