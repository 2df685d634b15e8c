/* kube_route: the three traffic route kinds as pure functions over the
 * object's JSON: where it lives, the weight it holds, and the patch that
 * sets another. Private to src/k8s; the driver does the calls. */
#ifndef CUTOVER_KUBE_ROUTE_H
#define CUTOVER_KUBE_ROUTE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "cutover/config.h"

/* "/api/v1/namespaces/shop/services/web". */
void kroute_path(const struct kube_route_conf *k, char *out, size_t cap);

/* For errors and RBAC: "services", "httproutes", "ingresses", and their
 * API groups ("", "gateway.networking.k8s.io", "networking.k8s.io"). */
const char *kroute_resource(enum kube_route_kind kind);
const char *kroute_group(enum kube_route_kind kind);

/* The share on green the object holds, or WEIGHT_UNKNOWN with why. */
int kroute_weight(const struct kube_route_conf *k, const cJSON *obj, char *why, size_t cap);

/* The patch that puts weight on obj (as read, with its resourceVersion as
 * the precondition): a merge patch for a selector or an annotation, a JSON
 * patch starting with a test of the resourceVersion for backendRefs.
 * Sets *content_type. NULL with why when obj cannot take it (weight not 0
 * or 100 on a selector; a backend missing from the rule). */
char *kroute_patch(const struct kube_route_conf *k, const cJSON *obj, int weight,
		   const char **content_type, char *why, size_t cap);

/* The ALB actions annotation's key: "alb.ingress.kubernetes.io/actions.ACTION". */
void kroute_alb_key(const struct kube_route_conf *k, char *out, size_t cap);

#endif
