/* api_routes: each path of the API, a few lines that call the engine. */
#include "api_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/journal.h"
#include "cutover/metrics.h"
#include "cutover/state_json.h"

#define JOURNAL_PAGE_MAX 10000

static enum MHD_Result queue(struct MHD_Connection *c, unsigned int code, char *text, size_t len,
			     const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result res = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return res;
}

enum MHD_Result api_json(struct MHD_Connection *c, unsigned int code, const cJSON *body)
{
	char *text = cJSON_PrintUnformatted(body);
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	char *nl = realloc(text, len + 2);
	if (nl) {
		text = nl;
		text[len++] = '\n';
		text[len] = '\0';
	}
	return queue(c, code, text, len, "application/json");
}

enum MHD_Result api_error(struct MHD_Connection *c, unsigned int code, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	cJSON_AddNumberToObject(o, "code", code);
	enum MHD_Result r = api_json(c, code, o);
	cJSON_Delete(o);
	return r;
}

static enum MHD_Result answer(struct MHD_Connection *c, int code, cJSON *body)
{
	enum MHD_Result r = api_json(c, (unsigned int)code, body);
	cJSON_Delete(body);
	return r;
}

static enum MHD_Result get_status(struct api *a, struct MHD_Connection *c)
{
	struct snapshot s = { 0 };
	if (model_snapshot(engine_model(a->e), &s) < 0)
		return api_error(c, 500, "out of memory");
	struct engine_counters k;
	engine_counters(a->e, &k);
	cJSON *doc = state_doc_json(&s, k.uptime_s, false);
	snapshot_done(&s);
	return answer(c, 200, doc);
}

static enum MHD_Result get_metrics(struct api *a, struct MHD_Connection *c)
{
	struct snapshot s = { 0 };
	if (model_snapshot(engine_model(a->e), &s) < 0)
		return api_error(c, 500, "out of memory");
	struct engine_counters k;
	engine_counters(a->e, &k);
	char *text = NULL;
	size_t len = 0;
	int rc = metrics_render(&s, &k, &text, &len);
	snapshot_done(&s);
	if (rc < 0)
		return api_error(c, 500, "out of memory");
	return queue(c, 200, text, len, "text/plain; version=0.0.4; charset=utf-8");
}

/* GET /v1/config: the release file as the engine read it, with every
 * health URL's password masked, so a client on another host draws the
 * same services, groups and labels without the file. */
static void redact_side(cJSON *svc, const char *side)
{
	cJSON *h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(svc, side), "health");
	if (!cJSON_IsString(h))
		return;
	char out[2048];
	journal_redact_url(h->valuestring, out, sizeof out);
	cJSON_SetValuestring(h, out);
}

/* A webhook carries its secret in the path (Slack, Mattermost) or the
 * query; every "webhook" member of an entry, in case the file was edited
 * since it was checked and now says one twice. */
static void redact_alerts(cJSON *o)
{
	cJSON *alerts = cJSON_GetObjectItemCaseSensitive(o, "alerts");
	for (cJSON *e = cJSON_IsArray(alerts) ? alerts->child : NULL; e; e = e->next)
		for (cJSON *m = cJSON_IsObject(e) ? e->child : NULL; m; m = m->next) {
			if (!m->string || strcmp(m->string, "webhook") != 0 || !cJSON_IsString(m))
				continue;
			char *shown = config_webhook_display(m->valuestring);
			cJSON_SetValuestring(m, shown ? shown : "***");
			free(shown);
		}
}

static enum MHD_Result get_config(struct api *a, struct MHD_Connection *c)
{
	const struct config *cfg = engine_config(a->e);
	FILE *f = fopen(cfg->path, "r");
	char *text = f ? malloc(16u << 20) : NULL;
	size_t n = text ? fread(text, 1, (16u << 20) - 1, f) : 0;
	if (f)
		fclose(f);
	cJSON *o = n ? cJSON_ParseWithLength(text, n) : NULL;
	free(text);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return api_error(c, 500, "the engine's config file cannot be read back");
	}
	cJSON *svcs = cJSON_GetObjectItemCaseSensitive(o, "services");
	for (cJSON *s = svcs ? svcs->child : NULL; s; s = s->next) {
		redact_side(s, "blue");
		redact_side(s, "green");
	}
	redact_alerts(o);
	/* Where the engine keeps its files means nothing on another host. */
	cJSON_DeleteItemFromObjectCaseSensitive(o, "state_dir");
	return answer(c, 200, o);
}

static enum MHD_Result post_plan(struct api *a, struct MHD_Connection *c, struct request *rq,
				 const struct engine_actor *who)
{
	if (!who->may_operate)
		return api_error(c, 403, "a watch token may read but not act");
	struct plan_request pr;
	struct co_error err;
	if (plan_request_parse(rq->body ? rq->body : "", rq->len, &pr, &err) < 0)
		return api_error(c, 400, err.msg);
	cJSON *out = NULL;
	int code = engine_plan_make(a->e, &pr, who, &out);
	plan_request_done(&pr);
	return answer(c, code, out);
}

/* GET /v1/journal?after=SEQ&limit=N: the records after SEQ, in order. */
struct page {
	long long after;
	long limit;
	cJSON *arr;
	long n;
	long long last;
	bool more;
};

static int page_add(const cJSON *rec, long line, void *ctx)
{
	struct page *p = ctx;
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
	if (!cJSON_IsNumber(seq) || seq->valuedouble <= (double)p->after)
		return 0;
	if (p->n >= p->limit) {
		p->more = true;
		return 1;
	}
	cJSON_AddItemToArray(p->arr, cJSON_Duplicate(rec, true));
	p->n++;
	p->last = (long long)seq->valuedouble;
	return 0;
}

static bool number_arg(struct MHD_Connection *c, const char *key, long long lo, long long hi,
		       long long *out)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
	if (!v)
		return true;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (!*v || *end || n < lo || n > hi)
		return false;
	*out = n;
	return true;
}

static enum MHD_Result get_journal(struct api *a, struct MHD_Connection *c)
{
	struct page p = { .after = 0, .limit = 1000 };
	long long limit = 1000;
	if (!number_arg(c, "after", 0, (long long)1 << 53, &p.after))
		return api_error(c, 400, "after: expected a record seq, 0 or more");
	if (!number_arg(c, "limit", 1, JOURNAL_PAGE_MAX, &limit))
		return api_error(c, 400, "limit: expected 1..10000");
	p.limit = (long)limit;
	p.last = p.after;
	p.arr = cJSON_CreateArray();
	struct co_error err;
	if (journal_read(engine_journal_path(a->e), page_add, &p, &err) < 0) {
		cJSON_Delete(p.arr);
		return api_error(c, 500, err.msg);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "records", p.arr);
	cJSON_AddNumberToObject(o, "last_seq", (double)p.last);
	cJSON_AddBoolToObject(o, "more", p.more);
	return answer(c, 200, o);
}

static enum MHD_Result post_lever(struct api *a, struct MHD_Connection *c, struct request *rq,
				  const struct engine_actor *who)
{
	if (!who->may_operate)
		return api_error(c, 403, "a watch token may read but not act");
	cJSON *b = rq->len ? cJSON_ParseWithLength(rq->body, rq->len) : NULL;
	const cJSON *take = cJSON_GetObjectItemCaseSensitive(b, "take");
	bool ok = cJSON_IsObject(b) && cJSON_IsTrue(take);
	cJSON_Delete(b);
	if (!ok)
		return api_error(c, 400, "body: expected {\"take\": true}");
	if (!who->client)
		return api_error(c, 400, "X-Cutover-Stream: the lever goes to an attached event stream; "
				 "give its client id");
	struct co_error err;
	int rc = engine_lever_take(a->e, who->client, who->name, who->kind, &err);
	if (rc)
		return api_error(c, rc > 0 ? 409 : 500, err.msg);
	return answer(c, 200, engine_lever_json(a->e, who->client));
}

/* "/v1/plans/ID", "/v1/plans/ID/apply" or "/v1/plans/ID/cancel": the id,
 * and the action ("" for none). */
static bool plan_path(const char *url, char *id, size_t cap, const char **action)
{
	const char *p = url + strlen("/v1/plans/");
	const char *slash = strchr(p, '/');
	size_t n = slash ? (size_t)(slash - p) : strlen(p);
	*action = !slash ? "" : strcmp(slash, "/apply") == 0 ? "apply"
		: strcmp(slash, "/cancel") == 0 ? "cancel" : NULL;
	if (!n || n >= cap || !*action)
		return false;
	memcpy(id, p, n);
	id[n] = '\0';
	return true;
}

/* An apply's optional body: {"force": true, "reason": "..."}. */
static int apply_body(const struct request *rq, bool *force, char *reason, size_t cap)
{
	if (!rq->len)
		return 0;
	cJSON *b = cJSON_ParseWithLength(rq->body, rq->len);
	int rc = cJSON_IsObject(b) ? 0 : -1;
	for (const cJSON *k = b ? b->child : NULL; rc == 0 && k; k = k->next) {
		if (strcmp(k->string, "force") == 0 && cJSON_IsBool(k))
			*force = cJSON_IsTrue(k);
		else if (strcmp(k->string, "reason") == 0 && cJSON_IsString(k) && strlen(k->valuestring) < cap)
			snprintf(reason, cap, "%s", k->valuestring);
		else
			rc = -1;
	}
	cJSON_Delete(b);
	return rc;
}

static enum MHD_Result method_not_allowed(struct MHD_Connection *c, const char *allow)
{
	cJSON *o = cJSON_CreateObject();
	char msg[96];
	snprintf(msg, sizeof msg, "method not allowed here; allowed: %s", allow);
	cJSON_AddStringToObject(o, "error", msg);
	cJSON_AddNumberToObject(o, "code", 405);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result res = MHD_queue_response(c, 405, r);
	MHD_destroy_response(r);
	return res;
}

enum MHD_Result api_route(struct listener *l, struct MHD_Connection *c, const char *url,
			  const char *method, struct request *rq, const struct engine_actor *who)
{
	struct api *a = l->api;
	/* HEAD is GET without the body; libmicrohttpd leaves the body out. */
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;
	if (strcmp(url, "/v1/status") == 0)
		return get ? get_status(a, c) : method_not_allowed(c, "GET");
	if (strcmp(url, "/v1/config") == 0)
		return get ? get_config(a, c) : method_not_allowed(c, "GET");
	if (strcmp(url, "/metrics") == 0)
		return get ? get_metrics(a, c) : method_not_allowed(c, "GET");
	if (strcmp(url, "/v1/events") == 0) {
		const char *lv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lever");
		return get ? api_events(l, c, who, lv && who->may_operate) : method_not_allowed(c, "GET");
	}
	if (strcmp(url, "/v1/journal") == 0)
		return get ? get_journal(a, c) : method_not_allowed(c, "GET");
	if (strcmp(url, "/v1/plans") == 0)
		return post ? post_plan(a, c, rq, who) : method_not_allowed(c, "POST");
	if (strcmp(url, "/v1/lever") == 0)
		return post ? post_lever(a, c, rq, who) : method_not_allowed(c, "POST");
	if (strcmp(url, "/v1/rollouts") == 0)
		return get ? answer(c, 200, engine_rollouts_json(a->e)) : method_not_allowed(c, "GET");
	if (strncmp(url, "/v1/rollouts/", 13) == 0) {
		if (!post)
			return method_not_allowed(c, "POST");
		cJSON *out = NULL;
		int code = engine_rollout_control(a->e, url + 13, rq->body ? rq->body : "{}",
						  rq->body ? rq->len : 2, who, &out);
		return answer(c, code, out);
	}
	if (strcmp(url, "/v1/jobs") == 0)
		return get ? answer(c, 200, engine_jobs_json(a->e)) : method_not_allowed(c, "GET");
	char id[64];
	const char *action;
	if (strncmp(url, "/v1/plans/", 10) == 0 && plan_path(url, id, sizeof id, &action)) {
		bool apply = *action != '\0';
		if (strcmp(action, "cancel") == 0) {
			if (!post)
				return method_not_allowed(c, "POST");
			cJSON *out = NULL;
			int code = engine_plan_cancel(a->e, id, who, &out);
			return answer(c, code, out);
		}
		if (apply ? !post : !get)
			return method_not_allowed(c, apply ? "POST" : "GET");
		cJSON *out = NULL;
		int code;
		if (!apply) {
			const char *b = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "brief");
			code = engine_plan_get(a->e, id, b && strcmp(b, "0") != 0, &out);
			return answer(c, code, out);
		}
		bool force = false;
		char reason[401] = "";
		if (apply_body(rq, &force, reason, sizeof reason) < 0)
			return api_error(c, 400, "body: expected {} or {\"force\": true, \"reason\": TEXT} "
					 "(reason at most 400 characters)");
		code = engine_plan_apply(a->e, id, who, force, reason, &out);
		return answer(c, code, out);
	}
	return api_error(c, 404, "no such path (see cutover(1), ENGINE API)");
}
