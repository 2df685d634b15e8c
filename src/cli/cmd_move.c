/* cmd_move: `cutover move` and `cutover rollback` — take the lock, recover
 * what a crash left unfinished, read the router and probe, print the plan
 * with every gate, confirm, apply through the executor, read back. With an
 * engine for the release, the engine plans and applies, and this asks. */
#include "cli.h"

#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cutover/executor.h"
#include "cutover/jobs.h"
#include "cutover/journal.h"
#include "cutover/journal_targets.h"
#include "cutover/lock.h"
#include "cutover/plan.h"
#include "cutover/probe_burst.h"
#include "cutover/probe_round.h"
#include "cutover/prober.h"
#include "cutover/recovery.h"
#include "cutover/router_poller.h"
#include "engine_cli.h"
#include "plan_wait.h"
#include "move_report.h"

struct move_opts {
	const char *config;
	bool rollback;
	bool reapply;
	bool all;
	bool yes;
	bool force;
	const char *reason;
	enum move_goal goal;
	int weight;
	bool have_to;
	bool step;
	bool have_weight;
	bool json;
	struct engine_where where;
};

struct move_run {
	struct config *cfg;
	const char *cmd;
	struct lock *lk;
	struct journal *j;
	const struct router_driver *drv;
	struct router *r;
	struct model m;
	bool model_ok;
	struct router_view view;
	struct snapshot snap;
	struct plan plan;
	struct move_report rep;
	struct co_error err;
	struct engine_link *link;	/* NULL: standalone */
};

static int usage(const char *cmd, FILE *out, int rc)
{
	if (strcmp(cmd, "rollback") == 0)
		fprintf(out, "usage: cutover rollback [-c FILE] (TARGET...|--all) [--yes]"
			" [--force --reason TEXT] [--json]\n"
			"       [--engine URL --token-file F]\n"
			"Puts services or @groups (or every service) back on blue, fast and\n"
			"best effort on every router instance.\n");
	else if (strcmp(cmd, "reapply") == 0)
		fprintf(out, "usage: cutover reapply [-c FILE] (TARGET...|--all) [--yes]"
			" [--force --reason TEXT] [--json]\n"
			"       [--engine URL --token-file F]\n"
			"Sets the weight the journal last recorded again, on every instance, for\n"
			"services whose router drifted from it (a reload without a state file).\n");
	else
		fprintf(out, "usage: cutover move [-c FILE] TARGET... --to green|blue"
			" [--weight N | --step]\n"
			"                    [--yes] [--force --reason TEXT] [--json]\n"
			"                    [--engine URL --token-file F]\n"
			"TARGET is a service name or @group. --to green is 100, --to blue 0,\n"
			"--weight N exactly N, --step the next value of steps toward the side.\n");
	fprintf(out, "With an engine for the release (or --engine), the engine plans and applies.\n");
	return rc;
}

static char *join_args(int argc, char **argv)
{
	size_t len = strlen("cutover") + 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	strcpy(s, "cutover");
	for (int i = 0; i < argc; i++) {
		strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int parse(int argc, char **argv, struct move_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 't' },
		{ "weight", required_argument, NULL, 'w' },
		{ "step", no_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "yes", no_argument, NULL, 'y' },
		{ "force", no_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		ENGINE_CLI_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	char *end;
	long w;
	int c;
	o->rollback = strcmp(cmd, "rollback") == 0;
	o->reapply = strcmp(cmd, "reapply") == 0;
	bool fixed_goal = o->rollback || o->reapply;	/* no --to, --weight, --step */
	/* 0, not 1: glibc then forgets main's '+' (stop at the first
	 * non-option), so TARGETs and options may come in any order. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "c:yh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 't':
			if (fixed_goal)
				return usage(cmd, stderr, EXIT_USAGE);
			if (strcmp(optarg, "green") == 0)
				o->goal = GOAL_GREEN;
			else if (strcmp(optarg, "blue") == 0)
				o->goal = GOAL_BLUE;
			else {
				fprintf(stderr, "cutover %s: --to takes green or blue, not '%s'\n", cmd, optarg);
				return EXIT_USAGE;
			}
			o->have_to = true;
			break;
		case 'w':
			w = strtol(optarg, &end, 10);
			if (fixed_goal)
				return usage(cmd, stderr, EXIT_USAGE);
			if (*end || end == optarg || w < 0 || w > 100) {
				fprintf(stderr, "cutover %s: --weight takes 0 to 100, not '%s'\n", cmd, optarg);
				return EXIT_USAGE;
			}
			o->weight = (int)w;
			o->have_weight = true;
			break;
		case 's':
			if (fixed_goal)
				return usage(cmd, stderr, EXIT_USAGE);
			o->step = true;
			break;
		case 'a':
			if (!fixed_goal) {
				fprintf(stderr, "cutover move: --all is for rollback and reapply\n");
				return EXIT_USAGE;
			}
			o->all = true;
			break;
		case 'y': o->yes = true; break;
		case 'f': o->force = true; break;
		case 'r': o->reason = optarg; break;
		case 'j': o->json = true; break;
		case 'h': return usage(cmd, stdout, EXIT_OK) + 100;
		default:
			if (!engine_cli_option(c, optarg, &o->where))
				return usage(cmd, stderr, EXIT_USAGE);
		}
	}
	if (fixed_goal) {
		o->goal = o->rollback ? GOAL_BLUE : GOAL_JOURNAL;
		if (o->all == (optind < argc)) {
			fprintf(stderr, "cutover %s: name TARGETs or --all (not both)\n", cmd);
			return EXIT_USAGE;
		}
	} else {
		if (optind >= argc) {
			fprintf(stderr, "cutover move: name at least one TARGET (service or @group)\n");
			return EXIT_USAGE;
		}
		if (!o->have_to) {
			fprintf(stderr, "cutover move: say --to green or --to blue\n");
			return EXIT_USAGE;
		}
		if (o->have_weight && o->step) {
			fprintf(stderr, "cutover move: --weight and --step exclude each other\n");
			return EXIT_USAGE;
		}
		if (o->step)
			o->goal = o->goal == GOAL_GREEN ? GOAL_STEP_GREEN : GOAL_STEP_BLUE;
		else if (o->have_weight)
			o->goal = GOAL_WEIGHT;
	}
	if (o->force && (!o->reason || !o->reason[0])) {
		fprintf(stderr, "cutover %s: --force needs --reason TEXT (it is journaled)\n", cmd);
		return EXIT_USAGE;
	}
	return -1;
}

/* Crash recovery, told before anything else (src/recovery.c). */
static void print_recovered(const char *line, void *ctx)
{
	move_report_recovered(ctx, line);
}

static int recover(struct move_run *mr)
{
	return recovery_run(mr->j, mr->cfg, &mr->view, print_recovered, &mr->rep, &mr->err) < 0 ? -1 : 0;
}

/* The services named need min_samples per side before their verdict can
 * say anything, and at the config's interval (1 s by default) that is
 * twenty seconds away: a move would go on with "verdict nodata", a warning,
 * however much slower green was. So a move probes the services it names,
 * and only those, in a burst until each has a verdict (probe_burst.h). */
#define GATE_WAIT_MAX_MS 15000

static void probe_for_gates(struct move_run *mr, const size_t *svc, size_t n)
{
	struct probe_burst b;
	if (probe_burst_start(&b, &mr->m, svc, n, GATE_WAIT_MAX_MS, &mr->err) < 0) {
		fprintf(stderr, "warning: probes did not start (%s); health gates will say unknown\n",
			mr->err.msg);
		return;
	}
	probe_burst_wait(&b, &mr->m);
	probe_burst_stop(&b);
}

/* A rollback's only gate is blue health, and an emergency cannot wait the
 * intervals the prober needs to call a side up: one round of blue probes
 * over every service named (the router has not been read yet when it
 * starts, so those already at 0 are probed too). */
struct blue_round {
	struct move_run *mr;
	const size_t *svc;
	size_t n;
	pthread_t thread;
};

static void *blue_round_main(void *arg)
{
	struct blue_round *br = arg;
	struct co_error err;
	/* 128 at once: measured faster than 256 or 1,024 on 2 cores, where
	 * the probes share the CPU with the router read (make bench). */
	if (probe_round_run(&br->mr->m, br->svc, br->n, SIDE_BLUE, 128, &err) < 0)
		fprintf(stderr, "warning: blue probes did not run (%s); blue health will say unknown\n",
			err.msg);
	return NULL;
}

static bool confirm(void)
{
	char line[64];
	printf("Type yes to apply: ");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "yes") == 0;
}

static int apply(struct move_run *mr, const struct move_opts *o)
{
	struct executor *e = executor_start(&mr->m, mr->drv, mr->r, mr->j, &mr->err);
	if (!e)
		return -1;
	/* A job's move waits for its gap here too; with no poller, only its
	 * runs URLs or max_run_s say when a run ends. */
	struct jobs_deps jd = { &mr->m, mr->j, NULL, false };
	struct jobs *js = jobs_start(mr->cfg, &jd, &mr->err);
	if (!js) {
		executor_stop(e);
		return -1;
	}
	struct executor_gate g = { jobs_handoff_wait, jobs_handoff_took, js };
	executor_set_gate(e, &g);
	if (executor_submit(e, &mr->plan, o->force, o->reason, &mr->err) < 0) {
		executor_stop(e);
		jobs_stop(js);
		return -1;
	}
	struct executor_progress pr;
	struct plan_wait w;
	plan_wait_begin(&w);
	while (executor_wait(e, 200) < 0) {
		executor_get_progress(e, &pr);
		if (plan_wait_tick(&w, pr.waiting))
			executor_cancel(e, NULL, &(struct co_error){ 0 });
	}
	plan_wait_end(&w);
	executor_get_progress(e, &pr);
	executor_stop(e);
	jobs_stop(js);
	move_report_result(&mr->rep, &pr);
	/* The haproxy driver reads every weight back on every instance as
	 * part of the apply (show servers state in the same batch); a second
	 * read is for people, and a rollback has no time for it unless
	 * something failed. */
	if (pr.ok && mr->cfg->router.driver == DRIVER_HAPROXY &&
	    (mr->plan.rollback || mr->plan.n_moves > 20))
		move_report_verified(&mr->rep, mr->drv->n_instances(mr->r));
	else if (router_observe_all(mr->drv, mr->r, mr->cfg, &mr->view, &mr->err) == 0)
		move_report_readback(&mr->rep, &mr->plan, &mr->view);
	return pr.ok ? 0 : 1;
}

/* The services named: TARGETs, or every one with --all. */
static int resolve(struct move_run *mr, const struct move_opts *o, char **targets, size_t n_targets,
		   size_t **svc, size_t *n_svc)
{
	if (!o->all)
		return plan_resolve_targets(mr->cfg, targets, n_targets, svc, n_svc, &mr->err);
	*svc = calloc(mr->cfg->n_services ? mr->cfg->n_services : 1, sizeof(**svc));
	if (!*svc) {
		co_error_set(&mr->err, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < mr->cfg->n_services; i++)
		(*svc)[i] = i;
	*n_svc = mr->cfg->n_services;
	return 0;
}

/* Opens the journal and the driver, reads the fleet, reconciles what a
 * crash left (told first), and publishes weights and drift into the model. */
static int open_and_read(struct move_run *mr, const struct move_opts *o)
{
	mr->j = journal_open(mr->cfg->state_dir, mr->cfg->release, &mr->err);
	if (!mr->j)
		return -1;
	mr->drv = router_driver_for(mr->cfg->router.driver);
	if (!mr->drv || !(mr->r = mr->drv->open(mr->cfg, &mr->err)))
		return -1;
	if (mr->drv->want_traffic)	/* plans judge weights, not traffic */
		mr->drv->want_traffic(mr->r, false);
	if (router_observe_all(mr->drv, mr->r, mr->cfg, &mr->view, &mr->err) < 0)
		return -1;
	if (recover(mr) < 0)
		return -1;
	cli_router_warn(stderr, &mr->view);
	/* After recover(): its reconcile outcomes are the latest targets. So
	 * a router that lost a weight the journal set shows as drift. A
	 * rollback needs no targets: it sets 0 wherever any instance differs,
	 * and that shows without them. */
	if (!o->rollback && journal_seed_targets(journal_path(mr->j), mr->cfg, &mr->m, &mr->err) < 0)
		return -1;
	return router_view_publish(&mr->view, &mr->m, NULL, &mr->err);
}

static const char *nothing_why(const struct move_opts *o)
{
	return o->reapply ? "no service named has drifted from the journal"
			  : "every service named is already at its target";
}

/* What stands between a plan shown and its apply: blockers without
 * --force, and the operator's yes. -1 with err when refused. */
static int refuse_unconfirmed(struct move_run *mr, const struct move_opts *o)
{
	if (mr->plan.n_blockers && !o->force) {
		co_error_set(&mr->err, "refusing: %zu blocker%s; pass --force --reason TEXT to override",
			     mr->plan.n_blockers, mr->plan.n_blockers == 1 ? "" : "s");
		return -1;
	}
	if (o->yes)
		return 0;
	if (o->json) {
		co_error_set(&mr->err, "refusing: --json does not ask; pass --yes");
		return -1;
	}
	if (!isatty(STDIN_FILENO)) {
		co_error_set(&mr->err, "refusing: no terminal to confirm; pass --yes");
		return -1;
	}
	if (!confirm()) {
		co_error_set(&mr->err, "not confirmed; nothing changed");
		return -1;
	}
	return 0;
}

static int run(struct move_run *mr, const struct move_opts *o, char **targets, size_t n_targets)
{
	struct lock_owner holder;
	int lr = lock_acquire(mr->cfg->state_dir, mr->cfg->release, mr->cmd, &mr->lk, &holder,
			      &mr->err);
	if (lr == 1) {
		co_error_set(&mr->err, "another cutover holds the lock: %s (pid %ld) since %s: %s",
			     holder.actor, holder.pid, holder.since, holder.command);
		return -1;
	}
	if (lr < 0)
		return -1;
	if (model_init(&mr->m, mr->cfg, &mr->err) < 0)
		return -1;
	mr->model_ok = true;
	size_t *svc = NULL, n_svc = 0;
	if (resolve(mr, o, targets, n_targets, &svc, &n_svc) < 0)
		return -1;
	/* A rollback must be fast: blue's one probe round starts as soon as
	 * the lock is ours, and runs while the journal is opened, the router
	 * read and what a crash left reconciled, not after. */
	struct blue_round br = { .mr = mr, .svc = svc, .n = n_svc };
	bool probing = o->rollback && pthread_create(&br.thread, NULL, blue_round_main, &br) == 0;
	if (o->rollback && !probing)
		blue_round_main(&br);
	int rc = open_and_read(mr, o);
	if (probing)
		pthread_join(br.thread, NULL);
	if (rc < 0) {
		free(svc);
		return -1;
	}
	if (!o->rollback)
		probe_for_gates(mr, svc, n_svc);
	if (model_snapshot(&mr->m, &mr->snap) < 0) {
		free(svc);
		co_error_set(&mr->err, "out of memory");
		return -1;
	}
	rc = plan_build(&mr->snap, svc, n_svc, o->goal, o->weight, &mr->plan, &mr->err);
	free(svc);
	if (rc < 0)
		return -1;
	mr->plan.rollback = o->rollback;
	if (mr->plan.n_moves == 0) {
		move_report_nothing(&mr->rep, nothing_why(o));
		if (o->rollback && mr->view.up < mr->view.n_instances) {
			/* A rollback vouches for the whole fleet: say who it could not see. */
			char names[400] = "";
			for (size_t i = 0; i < mr->view.n_instances; i++) {
				size_t len = strlen(names);
				if (!mr->view.inst[i].ok && len < sizeof(names) - 1)
					snprintf(names + len, sizeof(names) - len, "%s%s unreachable",
						 len ? "; " : "", mr->view.inst[i].name);
			}
			co_error_set(&mr->err, "not confirmed on every instance: %s", names);
			return -1;
		}
		return 0;
	}
	move_report_plan(&mr->rep, &mr->plan, &mr->snap);
	if (refuse_unconfirmed(mr, o) < 0)
		return -1;
	rc = apply(mr, o);
	if (rc < 0)
		return -1;
	return rc;
}

/* --- Through the engine ------------------------------------------------- */

/* The request as the engine takes it. Force is not part of it: it goes
 * with the apply, once the plan and its blockers were seen. */
static void request_of(const struct move_opts *o, char **targets, size_t n_targets,
		       struct plan_request *rq)
{
	memset(rq, 0, sizeof *rq);
	rq->kind = o->rollback ? PLAN_ROLLBACK : o->reapply ? PLAN_REAPPLY : PLAN_MOVE;
	rq->all = o->all;
	rq->targets = o->all ? NULL : targets;
	rq->n_targets = o->all ? 0 : n_targets;
	rq->goal = o->goal;
	rq->weight = o->weight;
}

/* A rollback vouches for the whole fleet, so with nothing to do it still
 * fails when the engine's last read did not reach every instance. */
static int engine_nothing(struct move_run *mr, const struct move_opts *o)
{
	move_report_nothing(&mr->rep, nothing_why(o));
	if (o->rollback && mr->snap.router_known && mr->snap.routers_up < mr->snap.routers_total) {
		co_error_set(&mr->err, "not confirmed on every instance: %d of %d unreachable at the "
			     "engine's last read", mr->snap.routers_total - mr->snap.routers_up,
			     mr->snap.routers_total);
		return -1;
	}
	return 0;
}

/* A confirmed plan must be exactly what runs: one that changed is shown
 * and refused, never applied on the strength of the first yes. */
static int engine_plan_changed(struct move_run *mr, cJSON *fresh)
{
	plan_done(&mr->plan);
	int rc = plan_from_json(fresh, mr->cfg, &mr->plan, &mr->err);
	cJSON_Delete(fresh);
	if (rc < 0)
		return -1;
	if (!mr->rep.json)
		printf("the plan changed since it was shown:\n");
	move_report_plan(&mr->rep, &mr->plan, &mr->snap);
	co_error_set(&mr->err, "refusing: the plan changed since it was confirmed; nothing changed; "
		     "run the command again to confirm the plan as it stands");
	return -1;
}

/* As apply() tells it: the haproxy driver (in the engine now) read every
 * weight back during the apply; else what the engine holds after it. */
static void engine_readback(struct move_run *mr, const struct executor_progress *pr)
{
	if (pr->ok && mr->cfg->router.driver == DRIVER_HAPROXY &&
	    (mr->plan.rollback || mr->plan.n_moves > 20)) {
		move_report_verified(&mr->rep, (size_t)mr->snap.routers_total);
		return;
	}
	struct co_error err;
	if (engine_cli_view(mr->link, mr->cfg, &mr->view, &err) < 0)
		fprintf(stderr, "warning: not read back: %s\n", err.msg);
	else
		move_report_readback(&mr->rep, &mr->plan, &mr->view);
}

static int engine_apply(struct move_run *mr, const struct move_opts *o)
{
	cJSON *fresh = NULL;
	int rc = engine_cli_plan_apply(mr->link, mr->plan.id, o->force, o->reason, &fresh, &mr->err);
	if (rc == 1)
		return engine_plan_changed(mr, fresh);
	struct executor_progress pr;
	if (rc < 0 || engine_cli_plan_wait(mr->link, mr->plan.id, &pr, &mr->err) < 0)
		return -1;
	move_report_result(&mr->rep, &pr);
	engine_readback(mr, &pr);
	return pr.ok ? 0 : 1;
}

/* The engine holds the lock, the probes' windows and the router: it
 * plans, this shows, asks as run() does, and the engine applies. */
static int run_engine(struct move_run *mr, const struct move_opts *o, char **targets,
		      size_t n_targets)
{
	struct plan_request rq;
	request_of(o, targets, n_targets, &rq);
	cJSON *pj = NULL;
	int rc = engine_cli_plan_make(mr->link, &rq, &pj, &mr->err);
	if (rc == 0)
		rc = plan_from_json(pj, mr->cfg, &mr->plan, &mr->err);
	/* The report needs the config and the fleet's reach, which the plan
	 * answer carries: no second read of the whole state (an emergency
	 * rollback of a thousand services spent a sixth of its time on it). */
	if (rc == 0)
		engine_cli_plan_router(pj, mr->cfg, &mr->snap);
	cJSON_Delete(pj);
	if (rc < 0)
		return -1;
	if (mr->plan.n_moves == 0)
		return engine_nothing(mr, o);
	move_report_plan(&mr->rep, &mr->plan, &mr->snap);
	if (refuse_unconfirmed(mr, o) < 0)
		return -1;
	return engine_apply(mr, o);
}

static int cmd_move_common(int argc, char **argv)
{
	struct move_opts o = { 0 };
	const char *cmd = argv[0];
	int prc = parse(argc, argv, &o);
	if (prc >= 100)
		return prc - 100;
	if (prc >= 0)
		return prc;
	struct move_run mr = { 0 };
	o.where.kind = "cli";
	int arc = engine_cli_attach(cmd, o.config, &o.where, &mr.cfg, &mr.link);
	if (arc != EXIT_OK)
		return arc;
	char *line = join_args(argc, argv);
	mr.cmd = line ? line : cmd;
	int rc = move_report_init(&mr.rep, o.json, cmd);
	if (rc < 0)
		co_error_set(&mr.err, "out of memory");
	else if (mr.link)
		rc = run_engine(&mr, &o, argv + optind, (size_t)(argc - optind));
	else
		rc = run(&mr, &o, argv + optind, (size_t)(argc - optind));
	if (rc < 0)
		fprintf(stderr, "cutover %s: %s\n", cmd, mr.err.msg);
	move_report_finish(&mr.rep, rc < 0 ? mr.err.msg : NULL, rc == 0 ? EXIT_OK : EXIT_FAILED);
	plan_done(&mr.plan);
	snapshot_done(&mr.snap);
	router_view_done(&mr.view);
	if (mr.model_ok)
		model_done(&mr.m);
	if (mr.r)
		mr.drv->close(mr.r);
	journal_close(mr.j);
	lock_release(mr.lk);
	engine_link_free(mr.link);
	free(line);
	config_free(mr.cfg);
	return rc == 0 ? EXIT_OK : EXIT_FAILED;
}

int cmd_move(int argc, char **argv)
{
	return cmd_move_common(argc, argv);
}

int cmd_rollback(int argc, char **argv)
{
	return cmd_move_common(argc, argv);
}

int cmd_reapply(int argc, char **argv)
{
	return cmd_move_common(argc, argv);
}
