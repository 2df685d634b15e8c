/* kube_contexts: the API clients a config needs, one per context it names
 * (router.context, a route's context, a cronjob side's context), loaded
 * once from router.kubeconfig or in-cluster. Private to src/k8s. */
#ifndef CUTOVER_KUBE_CONTEXTS_H
#define CUTOVER_KUBE_CONTEXTS_H

#include <stddef.h>

#include "cutover/config.h"
#include "kube_client.h"

struct kube_contexts {
	char **names;			/* NULL entry: router.context / current-context */
	struct kube_client **clients;
	size_t n;
};

/* Loads every context cfg names. Returns 0, or -1 with err naming the
 * kubeconfig, the context and what is wrong. */
int kube_contexts_open(struct kube_contexts *kc, const struct config *cfg, struct co_error *err);
void kube_contexts_close(struct kube_contexts *kc);

/* The client of a context name (NULL: the default). */
struct kube_client *kube_contexts_get(const struct kube_contexts *kc, const char *name);

/* The client of side s of service sc's route. */
struct kube_client *kube_contexts_side(const struct kube_contexts *kc, const struct service_conf *sc,
				       enum side s);

#endif
