/* engine_cli: the CLI through a release's engine (see engine_cli.h). */
#include "engine_cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cutover/state_json.h"
#include "plan_wait.h"

/* A plan's progress is polled this often: the engine applies a rehearsal
 * fleet in a few ms, and a unix-socket request costs well under one. */
#define PLAN_POLL_NS 5000000L
/* The API's largest page (src/api/api_routes.c). */
#define JOURNAL_PAGE 10000

bool engine_cli_option(int code, const char *arg, struct engine_where *w)
{
	if (code == ENGINE_CLI_OPT_URL)
		w->url = arg;
	else if (code == ENGINE_CLI_OPT_TOKEN)
		w->token_file = arg;
	else
		return false;
	return true;
}

/* --engine: the engine is the release, so its config is the one that
 * counts; the local file (if any) could be another version of it. */
static int attach_remote(const char *cmd, const struct engine_where *w, struct config **cfg,
			 struct engine_link **link)
{
	struct co_error err;
	if (engine_link_open(NULL, w, link, &err) == 0 && (*cfg = engine_link_config(*link, &err)))
		return EXIT_OK;
	fprintf(stderr, "cutover %s: --engine %s is required and cannot be used: %s\n", cmd, w->url,
		err.msg);
	engine_link_free(*link);
	*link = NULL;
	return EXIT_FAILED;
}

int engine_cli_attach(const char *cmd, const char *config_path, const struct engine_where *w,
		      struct config **cfg, struct engine_link **link)
{
	*cfg = NULL;
	*link = NULL;
	if (w->token_file && !w->url) {
		fprintf(stderr, "cutover %s: --token-file goes with --engine URL\n", cmd);
		return EXIT_USAGE;
	}
	if (w->url)
		return attach_remote(cmd, w, cfg, link);
	if (!(*cfg = cli_load_config(config_path, stderr)))
		return EXIT_USAGE;
	struct co_error err;
	if (engine_link_open(*cfg, w, link, &err) >= 0)
		return EXIT_OK;	/* 1: nobody listens, standalone */
	fprintf(stderr, "cutover %s: %s\n", cmd, err.msg);
	config_free(*cfg);
	*cfg = NULL;
	return EXIT_FAILED;
}

void engine_cli_answer_error(const struct engine_link *l, int status, const cJSON *resp,
			     struct co_error *err)
{
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "error"));
	if (msg)
		co_error_set(err, "%s", msg);
	else
		co_error_set(err, "engine at %s answered %d", engine_link_name(l), status);
}

/* One call that must answer want; else -1 with err (a transport error is
 * already in err). */
static int call(struct engine_link *l, const char *method, const char *path, const cJSON *body,
		int want, cJSON **resp, struct co_error *err)
{
	int st = engine_link_call(l, method, path, body, resp, err);
	if (st == want)
		return 0;
	if (st > 0)
		engine_cli_answer_error(l, st, *resp, err);
	cJSON_Delete(*resp);
	*resp = NULL;
	return -1;
}

int engine_cli_status(struct engine_link *l, cJSON **doc, struct co_error *err)
{
	return call(l, "GET", "/v1/status", NULL, 200, doc, err);
}

/* Each service of the document into m, over the state model_init gave it,
 * so what the short form lacks keeps its starting value. */
static int put_services(struct model *m, const cJSON *doc, struct co_error *err)
{
	const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(doc, "services");
	const cJSON *s;
	cJSON_ArrayForEach(s, svcs) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "name"));
		long i = name ? config_find_service(m->cfg, name) : -1;
		if (i < 0) {
			co_error_set(err, "the engine has service '%s', which this config does not: it "
				     "runs another version of the config", name ? name : "(no name)");
			return -1;
		}
		struct service_state st = m->svc[i];	/* no other thread has m yet */
		if (state_service_from_json(s, &st, err) < 0)
			return -1;
		model_put(m, (size_t)i, &st);
	}
	return 0;
}

int engine_cli_snapshot(const struct config *cfg, const cJSON *doc, struct snapshot *snap,
			struct co_error *err)
{
	struct model m;
	if (model_init(&m, cfg, err) < 0)
		return -1;
	int rc = put_services(&m, doc, err);
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(doc, "router");
	const cJSON *up = cJSON_GetObjectItemCaseSensitive(rt, "up");
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(rt, "total");
	/* null: the engine has not read the router yet, and the header says so. */
	if (rc == 0 && cJSON_IsNumber(up) && cJSON_IsNumber(total))
		model_set_routers(&m, up->valueint, total->valueint);
	if (rc == 0 && model_snapshot(&m, snap) < 0) {
		co_error_set(err, "out of memory");
		rc = -1;
	}
	model_done(&m);
	return rc;
}

int engine_cli_view(struct engine_link *l, const struct config *cfg, struct router_view *view,
		    struct co_error *err)
{
	cJSON *doc = NULL;
	struct snapshot now = { 0 };
	if (engine_cli_status(l, &doc, err) < 0 || engine_cli_snapshot(cfg, doc, &now, err) < 0) {
		cJSON_Delete(doc);
		snapshot_done(&now);
		return -1;
	}
	cJSON_Delete(doc);
	view->cfg = cfg;
	view->n_instances = 1;
	view->inst = calloc(1, sizeof *view->inst);
	view->obs = calloc(cfg->n_services ? cfg->n_services : 1, sizeof *view->obs);
	int rc = view->inst && view->obs ? 0 : -1;
	if (rc < 0) {
		co_error_set(err, "out of memory");
		router_view_done(view);
	} else {
		snprintf(view->inst->name, sizeof view->inst->name, "engine");
		view->inst->ok = true;
		view->up = 1;
		for (size_t s = 0; s < cfg->n_services; s++) {
			view->obs[s].service = s;
			view->obs[s].weight = now.svc[s].weight;
		}
	}
	snapshot_done(&now);
	return rc;
}

void engine_cli_plan_router(const cJSON *plan, const struct config *cfg, struct snapshot *snap)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(plan, "router");
	const cJSON *up = cJSON_GetObjectItemCaseSensitive(r, "up");
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(r, "total");
	snap->cfg = cfg;
	snap->router_known = cJSON_IsNumber(up) && cJSON_IsNumber(total);
	snap->routers_up = snap->router_known ? (int)up->valuedouble : 0;
	snap->routers_total = snap->router_known ? (int)total->valuedouble : 0;
}

int engine_cli_plan_make(struct engine_link *l, const struct plan_request *rq, cJSON **plan,
			 struct co_error *err)
{
	cJSON *body = plan_request_json(rq);
	if (!body) {
		co_error_set(err, "out of memory");
		return -1;
	}
	int rc = call(l, "POST", "/v1/plans", body, 201, plan, err);
	cJSON_Delete(body);
	return rc;
}

int engine_cli_plan_apply(struct engine_link *l, const char *id, bool force, const char *reason,
			  cJSON **fresh, struct co_error *err)
{
	*fresh = NULL;
	char path[128];
	snprintf(path, sizeof path, "/v1/plans/%s/apply", id);
	cJSON *body = cJSON_CreateObject();
	if (body && force) {
		cJSON_AddTrueToObject(body, "force");
		cJSON_AddStringToObject(body, "reason", reason ? reason : "");
	}
	cJSON *resp = NULL;
	int st = body ? engine_link_call(l, "POST", path, body, &resp, err) : -1;
	if (!body)
		co_error_set(err, "out of memory");
	cJSON_Delete(body);
	cJSON *plan = cJSON_GetObjectItemCaseSensitive(resp, "plan");
	int rc = st == 202 ? 0 : -1;
	if (st == 409 && cJSON_IsObject(plan)) {
		*fresh = cJSON_DetachItemViaPointer(resp, plan);
		rc = 1;
	} else if (st > 0 && st != 202) {
		engine_cli_answer_error(l, st, resp, err);
	}
	cJSON_Delete(resp);
	return rc;
}

static void progress_from_json(const cJSON *p, struct executor_progress *out)
{
	memset(out, 0, sizeof *out);
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "plan"));
	const char *res = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "result"));
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(p, "seq");
	const cJSON *done = cJSON_GetObjectItemCaseSensitive(p, "done");
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(p, "total");
	snprintf(out->plan_id, sizeof out->plan_id, "%s", id ? id : "");
	snprintf(out->result, sizeof out->result, "%s", res ? res : "");
	const char *w = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "waiting"));
	snprintf(out->waiting, sizeof out->waiting, "%s", w ? w : "");
	out->cancelled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "cancelled"));
	out->plan_seq = cJSON_IsNumber(seq) ? (uint64_t)seq->valuedouble : 0;
	out->done = cJSON_IsNumber(done) ? (size_t)done->valuedouble : 0;
	out->total = cJSON_IsNumber(total) ? (size_t)total->valuedouble : 0;
	out->running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "running"));
	out->finished = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "finished"));
	out->ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "ok"));
}

/* 1 when the plan's state says it ran, with out filled; 0 while it runs. */
static int plan_ran(const cJSON *plan, struct executor_progress *out)
{
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(plan, "state"));
	if (!state || strcmp(state, "planned") == 0 || strcmp(state, "applying") == 0)
		return 0;
	if (strcmp(state, "finished") == 0) {
		/* A later plan ran before this one's outcome was read: the
		 * engine keeps only the latest progress, the journal the rest. */
		memset(out, 0, sizeof *out);
		snprintf(out->result, sizeof out->result,
			 "the engine ran a later plan before this one's outcome was read; "
			 "see cutover journal");
		return 1;
	}
	progress_from_json(cJSON_GetObjectItemCaseSensitive(plan, "progress"), out);
	return 1;
}

int engine_cli_plan_wait(struct engine_link *l, const char *id, struct executor_progress *out,
			 struct co_error *err)
{
	char path[128];
	/* brief: state and progress only, not the plan's thousand gates on
	 * every poll. */
	snprintf(path, sizeof path, "/v1/plans/%s?brief=1", id);
	/* No deadline, as without an engine: a plan on a large fleet takes
	 * what the routers take, and the executor bounds every call. */
	struct plan_wait w;
	plan_wait_begin(&w);
	for (;;) {
		cJSON *plan = NULL;
		if (call(l, "GET", path, NULL, 200, &plan, err) < 0) {
			plan_wait_end(&w);
			char why[sizeof err->msg - 100];
			snprintf(why, sizeof why, "%s", err->msg);
			co_error_set(err, "lost track of plan %s (%s); see cutover journal", id, why);
			return -1;
		}
		int ran = plan_ran(plan, out);
		struct executor_progress now;
		progress_from_json(cJSON_GetObjectItemCaseSensitive(plan, "progress"), &now);
		cJSON_Delete(plan);
		if (ran) {
			plan_wait_end(&w);
			return 0;
		}
		if (plan_wait_tick(&w, now.waiting)) {
			char cancel[128];
			cJSON *resp = NULL;
			snprintf(cancel, sizeof cancel, "/v1/plans/%s/cancel", id);
			cJSON *none = cJSON_CreateObject();
			struct co_error cerr;
			if (engine_link_call(l, "POST", cancel, none, &resp, &cerr) != 200)
				fprintf(stderr, "cancel refused: %s\n",
					cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "error"))
					? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "error")) : cerr.msg);
			cJSON_Delete(none);
			cJSON_Delete(resp);
		}
		struct timespec ts = { 0, PLAN_POLL_NS };
		nanosleep(&ts, NULL);
	}
}

/* One page of records after *after, written to out; *more when the
 * engine has others beyond it. Returns the records, or -1 with err. */
static long journal_page(struct engine_link *l, long long *after, bool *more, FILE *out,
			 struct co_error *err)
{
	char path[96];
	snprintf(path, sizeof path, "/v1/journal?after=%lld&limit=%d", *after, JOURNAL_PAGE);
	cJSON *page = NULL;
	if (call(l, "GET", path, NULL, 200, &page, err) < 0)
		return -1;
	long n = 0;
	const cJSON *rec;
	cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(page, "records")) {
		char *line = cJSON_PrintUnformatted(rec);
		if (!line || fprintf(out, "%s\n", line) < 0)
			n = -1;
		free(line);
		if (n < 0)
			break;
		n++;
	}
	const cJSON *last = cJSON_GetObjectItemCaseSensitive(page, "last_seq");
	*more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(page, "more"));
	/* A page that says "more" must also move on, or this would loop. */
	if (n >= 0 && *more && !(cJSON_IsNumber(last) && last->valuedouble > (double)*after)) {
		co_error_set(err, "engine at %s: journal page after seq %lld did not advance",
			     engine_link_name(l), *after);
		n = -1;
	} else if (n < 0) {
		co_error_set(err, "cannot write the journal's copy: out of memory or disk");
	}
	if (cJSON_IsNumber(last))
		*after = (long long)last->valuedouble;
	cJSON_Delete(page);
	return n;
}

long engine_cli_journal_copy(struct engine_link *l, FILE *out, struct co_error *err)
{
	long long after = 0;
	long total = 0;
	bool more = true;
	while (more) {
		long n = journal_page(l, &after, &more, out, err);
		if (n < 0)
			return -1;
		total += n;
	}
	if (fflush(out) != 0) {
		co_error_set(err, "cannot write the journal's copy");
		return -1;
	}
	return total;
}
