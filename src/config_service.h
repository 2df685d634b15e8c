/* config_service: reading one services[] entry. Internal to src/. */
#ifndef CUTOVER_CONFIG_SERVICE_H
#define CUTOVER_CONFIG_SERVICE_H

#include "config_read.h"
#include "cutover/config.h"

void config_read_service(struct cfg_reader *r, const cJSON *svc, const char *path,
			 struct service_conf *sc);
void config_free_service(struct service_conf *sc);

#endif
