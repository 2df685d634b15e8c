/* router_exec: the exec router driver (see router_exec.h): argv templates
 * filled per service, tools run by exec_run, their words carried into
 * errors, `get`'s JSON read with cJSON. */
#include "cutover/router_exec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "exec_run.h"

struct router {
	const struct config *cfg;
};

/* --- argv templates ---------------------------------------------------- */

static char **argv_build(char *const *tmpl, const struct service_conf *s, const char *weight)
{
	const struct exec_var vars[] = {
		{ "{service}", s->name }, { "{weight}", weight },
		{ "{backend}", s->route.backend ? s->route.backend : s->name },
		{ "{group}", s->group ? s->group : "" }, { "{kind}", kind_name(s->kind) },
	};
	return exec_argv_expand(tmpl, vars, sizeof vars / sizeof vars[0]);
}

/* --- what went wrong -------------------------------------------------- */

/* Describes a run that failed, or returns false if it exited 0. */
static bool describe_failure(const struct exec_job *j, const char *what, int timeout_ms,
			     char *out, size_t cap)
{
	char said[200] = "";
	const struct exec_buf *b = j->err.len ? &j->err : &j->out;
	if (b->len)
		exec_excerpt(b->data, b->len, said, sizeof(said));
	const char *sep = said[0] ? ": " : "";
	switch (j->end) {
	case EXEC_EXITED:
		if (j->code == 0)
			return false;
		snprintf(out, cap, "%s: exit %d%s%s", what, j->code, sep, said);
		break;
	case EXEC_SIGNALED:
		snprintf(out, cap, "%s: killed by signal %d (%s)%s%s", what, j->code,
			 strsignal(j->code), sep, said);
		break;
	case EXEC_TIMED_OUT:
		snprintf(out, cap, "%s: timed out after %d ms (killed)%s%s", what, timeout_ms, sep, said);
		break;
	case EXEC_SPAWN_FAILED:
	case EXEC_PENDING: {
		char prog[160];
		exec_excerpt(j->argv[0], strlen(j->argv[0]), prog, sizeof(prog));
		snprintf(out, cap, "%s: cannot run %s: %s", what, prog, strerror(j->code));
		break;
	}
	}
	return true;
}

/* --- get's answer ------------------------------------------------------ */

static double num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : dflt;
}

static void read_traffic(const cJSON *root, struct side_traffic t[2])
{
	const cJSON *tr = cJSON_GetObjectItemCaseSensitive(root, "traffic");
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(tr, side_name((enum side)s));
		memset(&t[s], 0, sizeof(t[s]));
		if (!cJSON_IsObject(o))
			continue;
		t[s].known = true;
		t[s].rtime_ms = num(o, "rtime_ms", 0);
		t[s].err5xx_pct = num(o, "err5xx_pct", 0);
		t[s].sessions = (long)num(o, "sessions", 0);
		t[s].requests = (uint64_t)num(o, "requests", 0);
	}
	/* A job's sides: {"active": {"blue": K, ...}, "runs": {"blue": N, ...}}
	 * are its runs in progress and started (model.h, struct job_view). */
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "active");
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "runs");
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(act, side_name((enum side)s));
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(runs, side_name((enum side)s));
		if (!cJSON_IsNumber(a) || !cJSON_IsNumber(r) || a->valuedouble < 0 || r->valuedouble < 0 ||
		    r->valuedouble > 9e15)
			continue;
		t[s].known = true;
		t[s].sessions = (long)a->valuedouble;
		t[s].requests = (uint64_t)r->valuedouble;
	}
}

/* The weight get printed, or WEIGHT_UNKNOWN with why filled. */
static int parse_get(const struct exec_job *j, const char *what, struct route_observation *ob)
{
	char said[120] = "";
	const char *end = NULL;
	cJSON *root = NULL;
	if (j->out.len && !j->out.cut)
		root = cJSON_ParseWithLengthOpts(j->out.data, j->out.len, &end, false);
	if (root && end)
		end += strspn(end, " \t\r\n");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "weight");
	int weight = WEIGHT_UNKNOWN;
	if (j->out.len)
		exec_excerpt(j->out.data, j->out.len, said, sizeof(said));
	if (!j->out.len)
		snprintf(ob->detail, sizeof(ob->detail), "%s: printed nothing (expected {\"weight\": N})", what);
	else if (j->out.cut)
		snprintf(ob->detail, sizeof(ob->detail), "%s: printed more than %d KiB", what, EXEC_OUT_MAX / 1024);
	else if (!cJSON_IsObject(root) || (end && *end) || !cJSON_IsNumber(w))
		snprintf(ob->detail, sizeof(ob->detail), "%s: printed garbage: %s", what, said);
	else if (w->valuedouble != floor(w->valuedouble) || w->valuedouble < 0 || w->valuedouble > 100)
		snprintf(ob->detail, sizeof(ob->detail), "%s: printed weight %g, not a whole number 0..100",
			 what, w->valuedouble);
	else
		weight = (int)w->valuedouble;
	if (weight != WEIGHT_UNKNOWN)
		read_traffic(root, ob->traffic);
	cJSON_Delete(root);
	return weight;
}

/* --- the driver -------------------------------------------------------- */

static struct router *exec_open(const struct config *cfg, struct co_error *err)
{
	if (!cfg->router.exec_set || !cfg->router.exec_set[0] ||
	    !cfg->router.exec_get || !cfg->router.exec_get[0]) {
		co_error_set(err, "exec driver: router.exec needs both \"set\" and \"get\" argv templates");
		return NULL;
	}
	struct router *r = calloc(1, sizeof(*r));
	if (!r) {
		co_error_set(err, "exec driver: out of memory");
		return NULL;
	}
	r->cfg = cfg;
	return r;
}

static void exec_close(struct router *r)
{
	free(r);
}

static size_t exec_n_instances(const struct router *r)
{
	return 1;
}

static int timeout_of(const struct router *r)
{
	return r->cfg->router.exec_timeout_ms > 0 ? r->cfg->router.exec_timeout_ms : 10000;
}

static int begin(size_t instance, struct instance_result *res)
{
	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "exec");
	if (instance == 0)
		return 0;
	snprintf(res->error, sizeof(res->error), "exec: no instance #%zu (there is one)", instance);
	return -1;
}

static void observe_one(const struct router *r, size_t i, const struct exec_job *j,
			struct route_observation *ob)
{
	const struct service_conf *s = &r->cfg->services[i];
	char what[160], why[256];
	memset(ob, 0, sizeof(*ob));
	ob->service = i;
	ob->weight = WEIGHT_UNKNOWN;
	snprintf(what, sizeof(what), "exec get %s", s->name);
	if (!j->argv)
		snprintf(ob->detail, sizeof(ob->detail), "%s: out of memory", what);
	else if (describe_failure(j, what, timeout_of(r), why, sizeof(why)))
		snprintf(ob->detail, sizeof(ob->detail), "%s", why);
	else
		ob->weight = parse_get(j, what, ob);
}

static int exec_observe(struct router *r, size_t instance, struct route_observation *obs,
			struct instance_result *res)
{
	const struct config *cfg = r->cfg;
	size_t n = cfg->n_services, failed = 0;
	struct exec_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	if (begin(instance, res) < 0 || !jobs) {
		snprintf(res->error, sizeof(res->error), "%s", jobs ? res->error : "exec: out of memory");
		free(jobs);
		return -1;
	}
	/* Tools that cannot be built are left out of the run (argv NULL) and
	 * reported one by one below. */
	size_t k = 0, *idx = calloc(n ? n : 1, sizeof(*idx));
	for (size_t i = 0; idx && i < n; i++) {
		char **argv = argv_build(cfg->router.exec_get, &cfg->services[i], "");
		if (argv) {
			jobs[k].argv = argv;
			idx[k++] = i;
		}
	}
	exec_run(jobs, k, ROUTER_EXEC_PARALLEL, timeout_of(r));
	struct exec_job none = { .argv = NULL };
	for (size_t i = 0, j = 0; i < n; i++) {
		bool ran = idx && j < k && idx[j] == i;
		observe_one(r, i, ran ? &jobs[j] : &none, &obs[i]);
		if (obs[i].weight == WEIGHT_UNKNOWN && !failed++)
			snprintf(res->error, sizeof(res->error), "%s", obs[i].detail);
		if (ran) {
			exec_argv_free((char **)jobs[j].argv);
			exec_job_done(&jobs[j++]);
		}
	}
	free(idx);
	free(jobs);
	/* The instance is down only if the tool answered for no service at
	 * all; one service it cannot read is that service's unknown weight. */
	res->ok = n == 0 || failed < n;
	if (res->ok)
		res->error[0] = '\0';
	return res->ok ? 0 : -1;
}

static int apply_one(struct router *r, const struct weight_change *c, char *out, size_t cap)
{
	const struct config *cfg = r->cfg;
	if (c->service >= cfg->n_services || c->weight < 0 || c->weight > 100) {
		snprintf(out, cap, "exec set: no service #%zu or weight %d outside 0..100",
			 c->service, c->weight);
		return -1;
	}
	const struct service_conf *s = &cfg->services[c->service];
	char weight[16], what[160];
	snprintf(weight, sizeof(weight), "%d", c->weight);
	snprintf(what, sizeof(what), "exec set %s %d", s->name, c->weight);
	struct exec_job job = { .argv = argv_build(cfg->router.exec_set, s, weight) };
	if (!job.argv) {
		snprintf(out, cap, "%s: out of memory", what);
		return -1;
	}
	exec_run(&job, 1, 1, timeout_of(r));
	bool failed = describe_failure(&job, what, timeout_of(r), out, cap);
	exec_argv_free((char **)job.argv);
	exec_job_done(&job);
	return failed ? -1 : 0;
}

static int exec_apply(struct router *r, size_t instance, const struct weight_change *changes,
		      size_t n, struct instance_result *res)
{
	if (begin(instance, res) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char why[240];
		if (apply_one(r, &changes[i], why, sizeof(why)) < 0) {
			snprintf(res->error, sizeof(res->error), "%s (%zu of %zu changes applied)",
				 why, i, n);
			return -1;
		}
	}
	res->ok = true;
	return 0;
}

const struct router_driver router_driver_exec = {
	.name = "exec",
	.open = exec_open,
	.close = exec_close,
	.n_instances = exec_n_instances,
	.observe = exec_observe,
	.apply = exec_apply,
};
