/* kube_rbac: the least a config's kubernetes routes need from RBAC, as
 * Roles per context and namespace (`cutover check --rbac`). */
#ifndef CUTOVER_KUBE_RBAC_H
#define CUTOVER_KUBE_RBAC_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "cutover/config.h"

/* [{"context": NAME|null, "namespace": NS, "rules": [{"apiGroups": [G],
 * "resources": [R], "resourceNames": [N...] (absent for list), "verbs":
 * [V...]}]}], sorted by context and namespace. NULL when the config routes
 * nothing through the kubernetes driver. */
cJSON *kube_rbac_roles(const struct config *cfg);

/* The same as Role manifests (YAML, one document per context and
 * namespace), each headed by a comment naming its context. */
void kube_rbac_print_yaml(FILE *out, const struct config *cfg, const cJSON *roles);

#endif
