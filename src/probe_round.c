/* probe_round: one bounded round of health probes on a libcurl multi
 * handle, results straight into the model (see probe_round.h). */
#include "cutover/probe_round.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/stats.h"
#include "probe_http.h"

struct round_target {
	size_t service;
	int tries;
};

struct round {
	struct model *m;
	enum side side;
	CURLM *multi;
	struct probe_http *slots;
	struct probe_http **free_slots;
	size_t n_slots, n_free;
	struct round_target *t;
	size_t n, next;		/* targets, and the next one not yet started */
	size_t *retry;		/* targets to try again, a stack */
	size_t n_retry;
	int in_flight;
};

static void publish(struct round *r, const struct round_target *t, bool ok, double ms,
		    const char *error)
{
	struct side_stats st;
	memset(&st, 0, sizeof(st));
	st.health = ok ? HEALTH_UP : HEALTH_DOWN;
	st.samples = ok ? 1 : 0;
	st.probes = (uint64_t)t->tries;
	st.p50_ms = st.p95_ms = st.p99_ms = ok ? ms : 0;
	st.error_pct = ok ? 0 : 100;
	if (!ok) {
		size_t len = strlen(error);
		if (len >= sizeof(st.last_error))
			len = sizeof(st.last_error) - 1;
		memcpy(st.last_error, error, len);
		st.last_error[len] = '\0';
	}
	model_set_side(r->m, t->service, r->side, &st);
}

/* Starts probes while there are free slots and targets waiting. */
static void start_some(struct round *r)
{
	while (r->n_free > 0 && (r->n_retry > 0 || r->next < r->n)) {
		size_t k = r->n_retry > 0 ? r->retry[--r->n_retry] : r->next++;
		struct round_target *t = &r->t[k];
		const struct endpoint_conf *ep = &r->m->cfg->services[t->service].side[r->side];
		struct probe_http *h = r->free_slots[r->n_free - 1];
		t->tries++;
		if (probe_http_arm(h, ep, t) < 0 || curl_multi_add_handle(r->multi, h->easy) != CURLM_OK) {
			publish(r, t, false, 0, "probe could not start (out of memory)");
			continue;
		}
		r->n_free--;
		r->in_flight++;
	}
}

static void reap(struct round *r)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(r->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;
		struct probe_http *h = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&h);
		curl_multi_remove_handle(r->multi, easy);
		r->in_flight--;
		r->free_slots[r->n_free++] = h;
		struct round_target *t = h->owner;
		char error[SIDE_ERROR_LEN];
		double ms = 0;
		bool ok = probe_http_judge(h, rc, r->m->cfg->probe.timeout_ms, &ms, error, sizeof(error));
		if (!ok && t->tries < r->m->cfg->probe.fall)
			r->retry[r->n_retry++] = (size_t)(t - r->t);
		else
			publish(r, t, ok, ms, error);
	}
}

static void round_done(struct round *r)
{
	for (size_t i = 0; i < r->n_slots; i++) {
		if (r->multi)
			curl_multi_remove_handle(r->multi, r->slots[i].easy);	/* no-op if idle */
		probe_http_done(&r->slots[i]);
	}
	if (r->multi)
		curl_multi_cleanup(r->multi);
	free(r->slots);
	free(r->free_slots);
	free(r->t);
	free(r->retry);
}

int probe_round_run(struct model *m, const size_t *services, size_t n, enum side side,
		    int max_in_flight, struct co_error *err)
{
	struct round r = { .m = m, .side = side, .n = n };
	if (n == 0)
		return 0;
	size_t slots = (size_t)(max_in_flight > 0 ? max_in_flight : 256);
	r.n_slots = slots < n ? slots : n;
	r.slots = calloc(r.n_slots, sizeof(*r.slots));
	r.free_slots = calloc(r.n_slots, sizeof(*r.free_slots));
	r.t = calloc(n, sizeof(*r.t));
	r.retry = calloc(n, sizeof(*r.retry));
	r.multi = curl_multi_init();
	int rc = -1;
	if (!r.slots || !r.free_slots || !r.t || !r.retry || !r.multi) {
		co_error_set(err, "probe round: out of memory");
		goto out;
	}
	for (size_t i = 0; i < r.n_slots; i++) {
		if (probe_http_init(&r.slots[i], &m->cfg->probe) < 0) {
			co_error_set(err, "probe round: libcurl could not make a handle");
			goto out;
		}
		r.free_slots[r.n_free++] = &r.slots[i];
	}
	curl_multi_setopt(r.multi, CURLMOPT_MAXCONNECTS, (long)r.n_slots + 16);
	for (size_t i = 0; i < n; i++)
		r.t[i].service = services[i];
	/* Every probe carries its own timeout, so the loop ends within
	 * fall x timeout even if a side never answers. */
	start_some(&r);
	while (r.in_flight > 0) {
		int running = 0;
		curl_multi_perform(r.multi, &running);
		reap(&r);
		start_some(&r);
		if (r.in_flight > 0)
			curl_multi_poll(r.multi, NULL, 0, 100, NULL);
	}
	rc = 0;
out:
	round_done(&r);
	return rc;
}
