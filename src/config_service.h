/* config_service: reading one services[] entry. Internal to src/. */
#ifndef CUTOVER_CONFIG_SERVICE_H
#define CUTOVER_CONFIG_SERVICE_H

#include "config_read.h"
#include "cutover/config.h"

/* driver: the router's, read before services (a route's shape depends on it). */
void config_read_service(struct cfg_reader *r, const cJSON *svc, const char *path,
			 struct service_conf *sc, enum driver_kind driver);
/* The route of the kubernetes driver (config_kube_route.c); kind_ok: the
 * service's kind was read cleanly, so the route's kind is checked against it. */
void config_read_kube_route(struct cfg_reader *r, const cJSON *svc, const char *path,
			    struct service_conf *sc, bool kind_ok);
void config_free_kube_route(struct kube_route_conf *k);
void config_free_service(struct service_conf *sc);

#endif
