/* config_internal: the parts of the config loader split across files. */
#ifndef CUTOVER_CONFIG_INTERNAL_H
#define CUTOVER_CONFIG_INTERNAL_H

#include "config_read.h"
#include "cutover/config.h"

/* services[]: each entry, then names, backends and groups across entries. */
void config_read_services(struct cfg_reader *r, const cJSON *root, struct config *cfg);
/* router{}: driver, sockets, exec templates. */
void config_read_router(struct cfg_reader *r, const cJSON *root, struct config *cfg);
void config_free_services(struct config *cfg);
void config_free_router(struct router_conf *rc);

#endif
