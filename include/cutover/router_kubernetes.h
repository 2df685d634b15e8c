/* router_kubernetes: the router driver that moves traffic and hands over
 * CronJobs through the Kubernetes API (src/k8s/), with libcurl and cJSON.
 *
 * router.kubeconfig (else $KUBECONFIG, else ~/.kube/config; "in-cluster"
 * for a pod's service account) and router.context (else the file's
 * current-context) say where the API is. A route, or a cronjob route's
 * side, may name another context: blue and green may be two clusters.
 *
 * Each service's route says which object carries its split (config.h,
 * struct kube_route_conf): a Service's selector (0 or 100), an HTTPRoute
 * rule's backendRefs weights, an ALB Ingress action's target-group
 * weights, or a job's two CronJobs (the side not suspended has it).
 * Writes carry the object's resourceVersion as their precondition and are
 * read again and retried a bounded number of times when another writer
 * wins. Errors name the context, the user, the verb and the object, with
 * the API's Status message verbatim.
 *
 * One instance, named "kubernetes". observe() reads every route with GET,
 * the ready endpoints of each side's Service from its EndpointSlices
 * (always: a plan's endpoints gate needs them), and each CronJob's Jobs;
 * it has no want_traffic switch. apply()
 * writes the changes in order and stops at the first failure. */
#ifndef CUTOVER_ROUTER_KUBERNETES_H
#define CUTOVER_ROUTER_KUBERNETES_H

#include "cutover/router.h"

extern const struct router_driver router_driver_kubernetes;

/* The Service whose EndpointSlices show side s's ready pods, or NULL. */
const char *router_kubernetes_endpoints(const struct kube_route_conf *k, enum side s);

#endif
