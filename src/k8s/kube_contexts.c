/* kube_contexts: one client per context a config names (see
 * kube_contexts.h). */
#include "kube_contexts.h"

#include <stdlib.h>
#include <string.h>

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const char *side_context(const struct service_conf *sc, enum side s)
{
	const struct kube_route_conf *k = &sc->route.kube;
	if (k->kind == KROUTE_CRONJOB && k->side[s].context)
		return k->side[s].context;
	return k->context;
}

static int index_of(const struct kube_contexts *kc, const char *name)
{
	for (size_t i = 0; i < kc->n; i++)
		if (same(kc->names[i], name))
			return (int)i;
	return -1;
}

static int load(struct kube_contexts *kc, const struct config *cfg, const char *file,
		const char *name, struct co_error *err)
{
	struct kube_ctx ctx;
	const struct router_conf *rc = &cfg->router;
	const char *want = name ? name : rc->context;
	int rc_load = file ? kubeconfig_load(file, want, &ctx, err)
		: kubeconfig_in_cluster(NULL, &ctx, err);
	if (rc_load < 0)
		return -1;
	if (!file && want) {
		co_error_set(err, "context %s: the in-cluster config has no named contexts "
			     "(router.kubeconfig is \"in-cluster\")", want);
		kube_ctx_free(&ctx);
		return -1;
	}
	struct kube_client *c = kube_client_open(&ctx, rc->timeout_ms, err);
	if (!c)
		return -1;
	kc->names[kc->n] = name ? strdup(name) : NULL;
	kc->clients[kc->n++] = c;
	return 0;
}

/* The kubeconfig file, or NULL for in-cluster: router.kubeconfig, else the
 * default search, else in-cluster when the pod's environment says so. */
static int locate(const struct router_conf *rc, char **file, struct co_error *err)
{
	*file = NULL;
	if (rc->kubeconfig && strcmp(rc->kubeconfig, "in-cluster") == 0)
		return 0;
	*file = kubeconfig_path(rc->kubeconfig, err);
	if (*file)
		return 0;
	if (!rc->kubeconfig && getenv("KUBERNETES_SERVICE_HOST"))
		return 0;
	return -1;
}

int kube_contexts_open(struct kube_contexts *kc, const struct config *cfg, struct co_error *err)
{
	char *file;
	memset(kc, 0, sizeof(*kc));
	if (locate(&cfg->router, &file, err) < 0)
		return -1;
	size_t cap = 1 + 2 * cfg->n_services;
	kc->names = calloc(cap, sizeof(char *));
	kc->clients = calloc(cap, sizeof(struct kube_client *));
	int rc = kc->names && kc->clients ? load(kc, cfg, file, NULL, err) : -1;
	for (size_t i = 0; rc == 0 && i < cfg->n_services; i++)
		for (int s = SIDE_BLUE; rc == 0 && s <= SIDE_GREEN; s++) {
			const char *name = side_context(&cfg->services[i], (enum side)s);
			if (name && index_of(kc, name) < 0)
				rc = load(kc, cfg, file, name, err);
		}
	free(file);
	if (rc < 0)
		kube_contexts_close(kc);
	return rc;
}

void kube_contexts_close(struct kube_contexts *kc)
{
	for (size_t i = 0; i < kc->n; i++) {
		free(kc->names[i]);
		kube_client_free(kc->clients[i]);
	}
	free(kc->names);
	free(kc->clients);
	memset(kc, 0, sizeof(*kc));
}

struct kube_client *kube_contexts_get(const struct kube_contexts *kc, const char *name)
{
	int i = index_of(kc, name);
	return i < 0 ? kc->clients[0] : kc->clients[i];
}

struct kube_client *kube_contexts_side(const struct kube_contexts *kc, const struct service_conf *sc,
				       enum side s)
{
	return kube_contexts_get(kc, side_context(sc, s));
}
