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

/* rollout{} and groups{}: each service's rollout resolved (release-wide,
 * then its group's, then its own). Needs the services and their groups. */
void config_read_rollout(struct cfg_reader *r, const cJSON *root, struct config *cfg);
/* plan{}: waves of services and @groups. Needs the services and groups. */
void config_read_plan(struct cfg_reader *r, const cJSON *root, struct config *cfg);
void config_free_plan(struct release_plan_conf *plan);
/* alerts[]: webhooks and exec hooks. */
void config_read_alerts(struct cfg_reader *r, const cJSON *root, struct config *cfg);
void config_free_alerts(struct config *cfg);

/* Checks an http(s) URL with libcurl's parser and makes its display form
 * (password and token parameters masked). Returns why it is refused, or
 * NULL with *display set (NULL when out of memory). */
const char *config_check_url(const char *url, char **display);

/* The one of names[0..n) nearest to name, for a "did you mean" hint; NULL
 * when none is near enough to be a likely typo. */
const char *config_nearest_name(const char *name, const char *const *names, size_t n);

#endif
