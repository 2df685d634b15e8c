/* source_standalone: probing on its own, as every screen did before the
 * engine: for watch when no engine answers, and for a console while a
 * command holds the release's lock. Read-only: it has no executor, and the
 * lock's holder is read from its file to be named on screen. */
#include "source.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/journal.h"
#include "cutover/journal_targets.h"
#include "cutover/prober.h"
#include "cutover/router_poller.h"

#define ROUTER_POLL_MS 1000
#define OWNER_MS 2000

struct standalone {
	struct source base;
	struct model m;
	struct prober *prober;
	const struct router_driver *drv;
	struct router *router;
	struct router_poller *poller;
	uint64_t owner_ms;
	int lock_state;
	struct lock_owner owner;
};

static void poll_standalone(struct source *s, struct source_view *v)
{
	struct standalone *a = (struct standalone *)s;
	uint64_t now = monotonic_ms();
	if (!a->owner_ms || now - a->owner_ms >= OWNER_MS) {
		struct co_error err;
		a->lock_state = lock_read_owner(s->cfg->state_dir, s->cfg->release, &a->owner, &err);
		a->owner_ms = now;
	}
	v->mode = "standalone";
	v->lever_held = a->lock_state == 1;
	snprintf(v->holder, sizeof v->holder, "%s pid %ld (%.60s) since %.19s", a->owner.actor,
		 a->owner.pid, a->owner.command, a->owner.since);
}

static bool current_standalone(struct source *s)
{
	return false;	/* always worth trying for an engine */
}

static void close_standalone(struct source *s, const char *why)
{
	struct standalone *a = (struct standalone *)s;
	router_poller_stop(a->poller);
	if (a->router)
		a->drv->close(a->router);
	prober_stop(a->prober);
	model_done(&a->m);
	free(s->journal_file);
	free(a);
}

static const struct source_ops standalone_ops = {
	.name = "standalone",
	.poll = poll_standalone,
	.current = current_standalone,
	.close = close_standalone,
};

/* Workers start with every signal blocked: the screen's thread takes them. */
static int workers_start(struct standalone *a, struct co_error *err)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = -1;
	const struct config *cfg = a->base.cfg;
	if (!(a->prober = prober_start(&a->m, err)))
		goto out;
	a->drv = router_driver_for(cfg->router.driver);
	if (!a->drv || !(a->router = a->drv->open(cfg, err)))
		goto out;
	if (!(a->poller = router_poller_start(&a->m, a->drv, a->router, ROUTER_POLL_MS, err)))
		goto out;
	rc = 0;
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

struct source *source_standalone_open(const struct config *cfg, struct co_error *err)
{
	struct standalone *a = calloc(1, sizeof *a);
	if (!a || model_init(&a->m, cfg, err) < 0) {
		co_error_set(err, "out of memory");
		free(a);
		return NULL;
	}
	a->base.ops = &standalone_ops;
	a->base.cfg = cfg;
	a->base.model = &a->m;
	a->base.journal_file = journal_state_path(cfg->state_dir, cfg->release, "journal.jsonl", err);
	/* Targets before the first router pass, so drift shows from the
	 * start; a journal that cannot be read only leaves drift unjudged. */
	journal_seed_targets(NULL, cfg, &a->m, err);
	if (!a->base.journal_file || workers_start(a, err) < 0) {
		close_standalone(&a->base, NULL);
		return NULL;
	}
	return &a->base;
}
