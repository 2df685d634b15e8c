/* engine_follow: the event stream into a client model (see engine_follow.h). */
#include "cutover/engine_follow.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/sse.h"
#include "cutover/state_json.h"

#define MAX_EVENT (64u << 20)		/* a snapshot of a large fleet is big */
#define RETRY_MS 500			/* between attempts to reconnect */
#define SILENCE_S 40			/* heartbeats come every 15 s */
#define JOURNAL_KEEP 64

struct engine_follow {
	struct engine_link *link;
	struct model *m;
	bool operate;
	pthread_t thread;
	pthread_mutex_t lock;
	bool stop;
	struct follow_state st;
	bool resynced;
	char *journal[JOURNAL_KEEP];	/* the newest records, as JSON lines */
	uint64_t journal_n;		/* records ever received */
	struct sse_parser *parser;
};

static void set_link(struct engine_follow *f, enum follow_link l, const char *why)
{
	pthread_mutex_lock(&f->lock);
	if (f->st.link != l)
		f->st.since_ms = monotonic_ms();
	f->st.link = l;
	if (why)
		snprintf(f->st.why, sizeof f->st.why, "%s", why);
	pthread_mutex_unlock(&f->lock);
}

static void apply_services(struct engine_follow *f, const cJSON *arr)
{
	const struct config *cfg = f->m->cfg;
	for (const cJSON *s = arr ? arr->child : NULL; s; s = s->next) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "name");
		long i = cJSON_IsString(name) ? config_find_service(cfg, name->valuestring) : -1;
		if (i < 0)
			continue;	/* not in our copy of the config: nothing to draw it in */
		struct service_state st;
		pthread_mutex_lock(&f->m->lock);
		st = f->m->svc[i];
		pthread_mutex_unlock(&f->m->lock);
		struct co_error err;
		if (state_service_from_json(s, &st, &err) == 0)
			model_put(f->m, (size_t)i, &st);
	}
}

static void apply_router(struct engine_follow *f, const cJSON *r)
{
	const cJSON *up = cJSON_GetObjectItemCaseSensitive(r, "up");
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(r, "total");
	if (cJSON_IsNumber(up) && cJSON_IsNumber(total))
		model_set_routers(f->m, (int)up->valuedouble, (int)total->valuedouble);
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(r, "warning");
	model_set_router_warning(f->m, cJSON_IsString(w) ? w->valuestring : "");
}

static void str_into(const cJSON *o, const char *k, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	snprintf(out, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Caller holds f->lock. */
static void apply_progress(struct engine_follow *f, const cJSON *p)
{
	if (!cJSON_IsObject(p))
		return;
	struct executor_progress *g = &f->st.prog;
	str_into(p, "plan", g->plan_id, sizeof g->plan_id);
	str_into(p, "result", g->result, sizeof g->result);
	str_into(p, "waiting", g->waiting, sizeof g->waiting);
	g->cancelled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "cancelled"));
	g->plan_seq = (uint64_t)num(p, "seq");
	g->running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "running"));
	g->finished = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "finished"));
	g->ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "ok"));
	g->done = (size_t)num(p, "done");
	g->total = (size_t)num(p, "total");
}

/* Caller holds f->lock. */
static void apply_lever(struct engine_follow *f, const cJSON *l)
{
	if (!cJSON_IsObject(l))
		return;
	struct lever_state *v = &f->st.lever;
	v->held = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "held"));
	str_into(l, "holder", v->holder, sizeof v->holder);
	str_into(l, "kind", v->kind, sizeof v->kind);
	str_into(l, "since", v->since, sizeof v->since);
	const cJSON *y = cJSON_GetObjectItemCaseSensitive(l, "yours");
	if (y)	/* the broadcast form says nothing of ours */
		f->st.lever_yours = cJSON_IsTrue(y);
	else if (!v->held)
		f->st.lever_yours = false;
}

static void on_state(struct engine_follow *f, const cJSON *d, bool whole)
{
	apply_services(f, cJSON_GetObjectItemCaseSensitive(d, "services"));
	apply_router(f, cJSON_GetObjectItemCaseSensitive(d, "router"));
	pthread_mutex_lock(&f->lock);
	apply_progress(f, cJSON_GetObjectItemCaseSensitive(d, "progress"));
	apply_lever(f, cJSON_GetObjectItemCaseSensitive(d, "lever"));
	if (whole) {
		f->st.client = (uint64_t)num(d, "client");
		str_into(d, "engine", f->st.engine, sizeof f->st.engine);
		f->resynced = true;
	}
	pthread_mutex_unlock(&f->lock);
}

static void on_journal(struct engine_follow *f, const char *data)
{
	char *copy = strdup(data);
	if (!copy)
		return;
	pthread_mutex_lock(&f->lock);
	size_t slot = f->journal_n++ % JOURNAL_KEEP;
	free(f->journal[slot]);
	f->journal[slot] = copy;
	pthread_mutex_unlock(&f->lock);
}

static int on_event(const struct sse_event *ev, void *ctx)
{
	struct engine_follow *f = ctx;
	if (strcmp(ev->event, "journal") == 0) {
		on_journal(f, ev->data);
		return 0;
	}
	cJSON *d = cJSON_ParseWithLength(ev->data, ev->data_len);
	if (!cJSON_IsObject(d)) {
		cJSON_Delete(d);
		return 0;	/* a bad event is skipped, not fatal */
	}
	bool snap = strcmp(ev->event, "snapshot") == 0;
	if (snap) {
		set_link(f, FOLLOW_ATTACHED, "");
		pthread_mutex_lock(&f->lock);
		f->st.bye = false;
		pthread_mutex_unlock(&f->lock);
	}
	if (snap || strcmp(ev->event, "delta") == 0) {
		on_state(f, d, snap);
	} else if (strcmp(ev->event, "lever") == 0) {
		pthread_mutex_lock(&f->lock);
		apply_lever(f, d);
		pthread_mutex_unlock(&f->lock);
	} else if (strcmp(ev->event, "notice") == 0 || strcmp(ev->event, "bye") == 0 ||
		   strcmp(ev->event, "drop") == 0) {
		pthread_mutex_lock(&f->lock);
		const char *k = strcmp(ev->event, "notice") == 0 ? "text" : "reason";
		str_into(d, k, f->st.notice, sizeof f->st.notice);
		f->st.notice_seq++;
		if (strcmp(ev->event, "notice") != 0)
			snprintf(f->st.why, sizeof f->st.why, "%s", f->st.notice);
		f->st.bye |= strcmp(ev->event, "bye") == 0;
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_lock(&f->lock);
	f->st.events++;
	pthread_mutex_unlock(&f->lock);
	cJSON_Delete(d);
	return 0;
}

static size_t on_bytes(char *p, size_t size, size_t n, void *ctx)
{
	struct engine_follow *f = ctx;
	struct co_error err;
	if (sse_feed(f->parser, p, size * n, &err) != 0) {
		set_link(f, FOLLOW_LOST, err.msg);
		return 0;
	}
	return size * n;
}

static int on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct engine_follow *f = ctx;
	pthread_mutex_lock(&f->lock);
	bool stop = f->stop;
	pthread_mutex_unlock(&f->lock);
	return stop;	/* non-zero aborts the transfer */
}

/* One connection, until it ends. */
static void follow_once(struct engine_follow *f)
{
	struct curl_slist *hd = NULL;
	CURL *h = engine_link_easy(f->link, f->operate ? "/v1/events?lever=1" : "/v1/events",
				   (void **)&hd);
	f->parser = sse_parser_new(MAX_EVENT, on_event, f);
	if (!h || !f->parser) {
		set_link(f, FOLLOW_LOST, "out of memory");
	} else {
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_bytes);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, f);
		/* A peer that goes silent (a network cut) is lost too. */
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)SILENCE_S);
		CURLcode rc = curl_easy_perform(h);
		long status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		char why[256];
		if (status && status != 200)
			snprintf(why, sizeof why, "engine answered %ld", status);
		else
			snprintf(why, sizeof why, "%s", rc == CURLE_OK ? "the engine closed the stream"
					   : curl_easy_strerror(rc));
		pthread_mutex_lock(&f->lock);
		bool keep = f->st.why[0] && f->st.link == FOLLOW_ATTACHED;	/* bye/drop said why */
		pthread_mutex_unlock(&f->lock);
		set_link(f, FOLLOW_LOST, keep ? NULL : why);
	}
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hd);
	sse_parser_free(f->parser);
	f->parser = NULL;
}

static bool sleep_or_stop(struct engine_follow *f, int ms)
{
	for (int i = 0; i < ms / 50; i++) {
		pthread_mutex_lock(&f->lock);
		bool stop = f->stop;
		pthread_mutex_unlock(&f->lock);
		if (stop)
			return true;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void *follow_main(void *arg)
{
	struct engine_follow *f = arg;
	for (;;) {
		pthread_mutex_lock(&f->lock);
		bool stop = f->stop;
		f->st.why[0] = '\0';
		pthread_mutex_unlock(&f->lock);
		if (stop)
			break;
		follow_once(f);
		if (sleep_or_stop(f, RETRY_MS))
			break;
	}
	return NULL;
}

struct engine_follow *engine_follow_start(struct engine_link *link, struct model *m, bool operate,
					  struct co_error *err)
{
	struct engine_follow *f = calloc(1, sizeof *f);
	if (!f) {
		co_error_set(err, "out of memory");
		engine_link_free(link);
		return NULL;
	}
	f->link = link;
	f->m = m;
	f->operate = operate;
	f->st.since_ms = monotonic_ms();
	pthread_mutex_init(&f->lock, NULL);
	if (pthread_create(&f->thread, NULL, follow_main, f) != 0) {
		co_error_set(err, "cannot start the event-stream thread");
		pthread_mutex_destroy(&f->lock);
		engine_link_free(link);
		free(f);
		return NULL;
	}
	return f;
}

void engine_follow_stop(struct engine_follow *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	for (size_t i = 0; i < JOURNAL_KEEP; i++)
		free(f->journal[i]);
	engine_link_free(f->link);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void engine_follow_get(struct engine_follow *f, struct follow_state *out)
{
	pthread_mutex_lock(&f->lock);
	*out = f->st;
	pthread_mutex_unlock(&f->lock);
}

bool engine_follow_journal(struct engine_follow *f, uint64_t *cursor, char *out, size_t cap)
{
	pthread_mutex_lock(&f->lock);
	if (*cursor + JOURNAL_KEEP < f->journal_n)
		*cursor = f->journal_n - JOURNAL_KEEP;	/* fell behind: the newest kept */
	bool got = *cursor < f->journal_n;
	if (got) {
		snprintf(out, cap, "%s", f->journal[*cursor % JOURNAL_KEEP]);
		(*cursor)++;
	}
	pthread_mutex_unlock(&f->lock);
	return got;
}

bool engine_follow_resynced(struct engine_follow *f)
{
	pthread_mutex_lock(&f->lock);
	bool r = f->resynced;
	f->resynced = false;
	pthread_mutex_unlock(&f->lock);
	return r;
}
