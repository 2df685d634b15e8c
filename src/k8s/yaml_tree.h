/* yaml_tree: a YAML file as libyaml's document tree, with lookups that
 * remember where each node stands, so an error can name file:line:col and
 * the key path. Internal to src/k8s/. */
#ifndef CUTOVER_YAML_TREE_H
#define CUTOVER_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "cutover/error.h"

struct ytree {
	yaml_document_t doc;
	const char *file;
	bool loaded;
};

/* Reads and parses file (at most 4 MiB). -1 with err naming the place. */
int ytree_load(struct ytree *t, const char *file, struct co_error *err);
void ytree_free(struct ytree *t);

yaml_node_t *ytree_root(struct ytree *t);
/* map[key], or NULL (also when map is not a mapping). */
yaml_node_t *ytree_get(struct ytree *t, yaml_node_t *map, const char *key);
/* The i-th item of a sequence, or NULL. */
yaml_node_t *ytree_item(struct ytree *t, yaml_node_t *seq, size_t i);
/* A scalar's text (NUL-terminated by libyaml), or NULL. */
const char *ytree_text(const yaml_node_t *n);

/* err = "FILE:LINE:COL: PATH: WHY" at node n (or the file alone). */
void ytree_error(const struct ytree *t, const yaml_node_t *n, const char *path, struct co_error *err,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
