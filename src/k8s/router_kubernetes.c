/* router_kubernetes: the kubernetes router driver (see router_kubernetes.h):
 * routes read and written through kube_route (traffic kinds) and
 * kube_cronjob (jobs), over the clients of kube_contexts. */
#include "cutover/router_kubernetes.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_contexts.h"
#include "kube_cronjob.h"
#include "kube_route.h"
#include "kube_write.h"

#define INSTANCE "kubernetes"

struct router {
	const struct config *cfg;
	struct kube_contexts kc;
	pthread_mutex_t mu;		/* guards runs: observe may run beside apply */
	struct kcron_runs (*runs)[2];	/* per service */
	char warning[160];		/* TLS not verified for a context, or "" */
};

/* insecure-skip-tls-verify is allowed (labs) but never quiet. */
static void find_insecure(struct router *r)
{
	for (size_t i = 0; i < r->kc.n; i++) {
		const struct kube_ctx *x = kube_client_ctx(r->kc.clients[i]);
		if (x->insecure) {
			snprintf(r->warning, sizeof r->warning, "TLS NOT VERIFIED (context %.60s: "
				 "insecure-skip-tls-verify)", x->context ? x->context : "?");
			return;
		}
	}
}

const char *router_kubernetes_endpoints(const struct kube_route_conf *k, enum side s)
{
	if (k->side[s].endpoints)
		return k->side[s].endpoints;
	return k->kind == KROUTE_HTTPROUTE || k->kind == KROUTE_ALB_INGRESS ? k->side[s].backend : NULL;
}

static struct router *k8s_open(const struct config *cfg, struct co_error *err)
{
	struct router *r = calloc(1, sizeof(*r));
	if (!r || !(r->runs = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(*r->runs)))) {
		free(r);
		co_error_set(err, "out of memory");
		return NULL;
	}
	r->cfg = cfg;
	if (kube_contexts_open(&r->kc, cfg, err) < 0) {
		free(r->runs);
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	find_insecure(r);
	return r;
}

static void k8s_close(struct router *r)
{
	if (!r)
		return;
	kube_contexts_close(&r->kc);
	pthread_mutex_destroy(&r->mu);
	free(r->runs);
	free(r);
}

static size_t k8s_n_instances(const struct router *r)
{
	(void)r;
	return 1;
}

/* --- observing ----------------------------------------------------------- */

/* Ready endpoints of svc in ns, over its EndpointSlices; -1 if unread. A
 * missing ready condition means ready (discovery.k8s.io/v1). */
static int ready_endpoints(struct kube_client *c, const char *ns, const char *svc)
{
	char path[512];
	cJSON *list;
	char why[256];
	snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices"
		 "?labelSelector=kubernetes.io%%2Fservice-name%%3D%s", ns, svc);
	if (kube_read(c, path, "endpointslices", &list, why, sizeof why) < 0)
		return -1;
	int ready = 0;
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items");
	for (const cJSON *sl = cJSON_IsArray(items) ? items->child : NULL; sl; sl = sl->next) {
		const cJSON *eps = cJSON_GetObjectItemCaseSensitive(sl, "endpoints");
		for (const cJSON *e = cJSON_IsArray(eps) ? eps->child : NULL; e; e = e->next) {
			const cJSON *rd = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(e, "conditions"), "ready");
			ready += !cJSON_IsFalse(rd);
		}
	}
	cJSON_Delete(list);
	return ready;
}

static void read_endpoints(struct router *r, const struct service_conf *sc,
			   struct route_observation *ob)
{
	const struct kube_route_conf *k = &sc->route.kube;
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		const char *svc = router_kubernetes_endpoints(k, (enum side)s);
		if (!svc)
			continue;
		ob->traffic[s].endpoints_known = true;
		ob->traffic[s].endpoints_ready = ready_endpoints(
			kube_contexts_side(&r->kc, sc, (enum side)s), k->namespace, svc);
	}
}

static const char *object_label(const struct kube_route_conf *k, char *out, size_t cap)
{
	const char *g = kroute_group(k->kind);
	snprintf(out, cap, "%s%s%s %s/%s", kroute_resource(k->kind), *g ? "." : "", g, k->namespace,
		 k->object);
	return out;
}

static void observe_route(struct router *r, size_t i, struct route_observation *ob)
{
	const struct service_conf *sc = &r->cfg->services[i];
	const struct kube_route_conf *k = &sc->route.kube;
	char path[512], object[400];
	cJSON *obj;
	kroute_path(k, path, sizeof path);
	object_label(k, object, sizeof object);
	if (kube_read(kube_contexts_side(&r->kc, sc, SIDE_BLUE), path, object, &obj, ob->detail,
		      sizeof ob->detail) == 0) {
		ob->weight = kroute_weight(k, obj, ob->detail, sizeof ob->detail);
		cJSON_Delete(obj);
	}
	/* Read even when traffic is not wanted (a command's plan): the
	 * endpoints gate needs them. */
	read_endpoints(r, sc, ob);
}

static void observe_job(struct router *r, size_t i, struct route_observation *ob)
{
	const struct service_conf *sc = &r->cfg->services[i];
	struct kube_client *c[2] = { kube_contexts_side(&r->kc, sc, SIDE_BLUE),
				     kube_contexts_side(&r->kc, sc, SIDE_GREEN) };
	struct kcron_runs runs[2];
	pthread_mutex_lock(&r->mu);
	memcpy(runs, r->runs[i], sizeof runs);
	pthread_mutex_unlock(&r->mu);
	if (kcron_observe(c, &sc->route.kube, runs, ob) < 0)
		return;
	pthread_mutex_lock(&r->mu);
	for (int s = 0; s < 2; s++)	/* never backwards: a later reading may have won */
		if (runs[s].last_scheduled > r->runs[i][s].last_scheduled || !r->runs[i][s].read)
			r->runs[i][s] = runs[s];
	for (int s = 0; s < 2; s++)
		ob->traffic[s].requests = r->runs[i][s].runs;
	pthread_mutex_unlock(&r->mu);
}

/* A failure that is the server's or our credentials', not one object's
 * (no answer, 401, 5xx), makes the instance unreachable: the gates then
 * block every move. A 403 or 404 is that object's. */
static bool whole_router(struct router *r, size_t i)
{
	const struct service_conf *sc = &r->cfg->services[i];
	return !kube_client_healthy(kube_contexts_side(&r->kc, sc, SIDE_BLUE)) ||
	       !kube_client_healthy(kube_contexts_side(&r->kc, sc, SIDE_GREEN));
}

static int k8s_observe(struct router *r, size_t instance, struct route_observation *obs,
		       struct instance_result *res)
{
	(void)instance;
	snprintf(res->name, sizeof res->name, INSTANCE);
	snprintf(res->warning, sizeof res->warning, "%s", r->warning);
	res->ok = true;
	for (size_t i = 0; i < r->cfg->n_services; i++) {
		struct route_observation *ob = &obs[i];
		memset(ob, 0, sizeof(*ob));
		ob->service = i;
		ob->weight = WEIGHT_UNKNOWN;
		if (r->cfg->services[i].route.kube.kind == KROUTE_CRONJOB)
			observe_job(r, i, ob);
		else
			observe_route(r, i, ob);
		if (ob->weight == WEIGHT_UNKNOWN && res->ok && whole_router(r, i)) {
			res->ok = false;
			snprintf(res->error, sizeof res->error, "%s %s: %s", INSTANCE, INSTANCE, ob->detail);
		}
	}
	return res->ok ? 0 : -1;
}

/* --- applying ------------------------------------------------------------ */

struct route_write {
	const struct kube_route_conf *k;
	int weight;
};

static char *route_patch(const cJSON *obj, void *ctx, const char **ctype, bool *done,
			 char *why, size_t cap)
{
	const struct route_write *w = ctx;
	char ignored[64];
	if (kroute_weight(w->k, obj, ignored, sizeof ignored) == w->weight) {
		*done = true;	/* re-read after a conflict: it already holds */
		return NULL;
	}
	return kroute_patch(w->k, obj, w->weight, ctype, why, cap);
}

static int apply_one(struct router *r, const struct weight_change *ch, char *why, size_t cap)
{
	const struct service_conf *sc = &r->cfg->services[ch->service];
	const struct kube_route_conf *k = &sc->route.kube;
	if (k->kind == KROUTE_CRONJOB) {
		struct kube_client *c[2] = { kube_contexts_side(&r->kc, sc, SIDE_BLUE),
					     kube_contexts_side(&r->kc, sc, SIDE_GREEN) };
		double wait_s = sc->job.max_run_s > 0 ? sc->job.max_run_s + 2 : 30;
		return kcron_handoff(c, k, ch->weight, wait_s, why, cap);
	}
	char path[512], object[400];
	struct route_write w = { k, ch->weight };
	kroute_path(k, path, sizeof path);
	object_label(k, object, sizeof object);
	return kube_write(kube_contexts_side(&r->kc, sc, SIDE_BLUE), path, NULL, object, route_patch,
			  &w, why, cap);
}

static int k8s_apply(struct router *r, size_t instance, const struct weight_change *changes,
		     size_t n, struct instance_result *res)
{
	(void)instance;
	snprintf(res->name, sizeof res->name, INSTANCE);
	res->ok = true;
	for (size_t i = 0; i < n; i++) {
		char why[sizeof res->error - 64];
		if (apply_one(r, &changes[i], why, sizeof why) < 0) {
			res->ok = false;
			snprintf(res->error, sizeof res->error, "%s %s: to %d: %s", INSTANCE, INSTANCE,
				 changes[i].weight, why);
			return -1;
		}
	}
	return 0;
}

const struct router_driver router_driver_kubernetes = {
	.name = "kubernetes",
	.open = k8s_open,
	.close = k8s_close,
	.n_instances = k8s_n_instances,
	.observe = k8s_observe,
	.apply = k8s_apply,
};
