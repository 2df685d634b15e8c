/* cli_router: one read of the router for a command that shows, not moves:
 * the observed weights, drift against the journal and the router's traffic
 * figures, published into the caller's model. */
#include "cli.h"

#include "cutover/journal_targets.h"
#include "cutover/router_poller.h"

void cli_router_warn(FILE *out, const struct router_view *view)
{
	for (size_t i = 0; i < view->n_instances; i++)
		if (!view->inst[i].ok)
			fprintf(out, "warning: router instance %s unreachable: %s\n",
				view->inst[i].name, router_instance_reason(&view->inst[i]));
}

/* Targets first: publish judges drift against them. */
static int observe_and_publish(const struct router_driver *drv, struct router *r,
			       const struct config *cfg, struct model *m, FILE *warn,
			       struct co_error *err)
{
	struct co_error jerr;
	if (journal_seed_targets(NULL, cfg, m, &jerr) < 0)
		fprintf(warn, "warning: drift against the journal not checked: %s\n", jerr.msg);
	struct router_view view = { 0 };
	int rc = router_observe_all(drv, r, cfg, &view, err);
	if (rc == 0) {
		cli_router_warn(warn, &view);
		rc = router_view_publish(&view, m, NULL, err);
	}
	router_view_done(&view);
	return rc;
}

int cli_router_read(const struct config *cfg, struct model *m, FILE *warn, struct co_error *err)
{
	const struct router_driver *drv = router_driver_for(cfg->router.driver);
	if (!drv) {
		co_error_set(err, "no router driver '%s'", driver_name(cfg->router.driver));
		return -1;
	}
	struct router *r = drv->open(cfg, err);
	if (!r)
		return -1;
	int rc = observe_and_publish(drv, r, cfg, m, warn, err);
	drv->close(r);
	return rc;
}
