/* yaml_tree: libyaml's document API with places (see yaml_tree.h). */
#include "yaml_tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YTREE_MAX_BYTES (4u << 20)

void ytree_error(const struct ytree *t, const yaml_node_t *n, const char *path, struct co_error *err,
		 const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (n)
		co_error_set(err, "%s:%zu:%zu: %s%s%s", t->file, n->start_mark.line + 1,
			     n->start_mark.column + 1, path ? path : "", path ? ": " : "", why);
	else
		co_error_set(err, "%s: %s%s%s", t->file, path ? path : "", path ? ": " : "", why);
}

/* The whole file, bounded: a kubeconfig is kilobytes. */
static unsigned char *slurp(const char *file, size_t *len, struct co_error *err)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		co_error_set(err, "%s: %s", file, strerror(errno));
		return NULL;
	}
	unsigned char *buf = malloc(YTREE_MAX_BYTES + 1);
	size_t n = buf ? fread(buf, 1, YTREE_MAX_BYTES + 1, f) : 0;
	bool bad = ferror(f);
	fclose(f);
	if (!buf || bad || n > YTREE_MAX_BYTES) {
		co_error_set(err, "%s: %s", file, !buf ? "out of memory" : bad ? "cannot read it"
				  : "larger than 4 MiB: not a kubeconfig");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int ytree_load(struct ytree *t, const char *file, struct co_error *err)
{
	memset(t, 0, sizeof *t);
	t->file = file;
	size_t len;
	unsigned char *buf = slurp(file, &len, err);
	if (!buf)
		return -1;
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		free(buf);
		co_error_set(err, "%s: out of memory", file);
		return -1;
	}
	yaml_parser_set_input_string(&p, buf, len);
	int ok = yaml_parser_load(&p, &t->doc);
	if (!ok)
		co_error_set(err, "%s:%zu:%zu: not YAML: %s%s%s", file, p.problem_mark.line + 1,
			     p.problem_mark.column + 1, p.problem ? p.problem : "unreadable",
			     p.context ? " " : "", p.context ? p.context : "");
	yaml_parser_delete(&p);
	free(buf);
	if (!ok)
		return -1;
	t->loaded = true;
	if (!ytree_root(t)) {
		co_error_set(err, "%s: empty: no kubeconfig in it", file);
		return -1;
	}
	return 0;
}

void ytree_free(struct ytree *t)
{
	if (t->loaded)
		yaml_document_delete(&t->doc);
	t->loaded = false;
}

yaml_node_t *ytree_root(struct ytree *t)
{
	return t->loaded ? yaml_document_get_root_node(&t->doc) : NULL;
}

const char *ytree_text(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

yaml_node_t *ytree_get(struct ytree *t, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = ytree_text(yaml_document_get_node(&t->doc, p->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(&t->doc, p->value);
	}
	return NULL;
}

yaml_node_t *ytree_item(struct ytree *t, yaml_node_t *seq, size_t i)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	return i < n ? yaml_document_get_node(&t->doc, seq->data.sequence.items.start[i]) : NULL;
}
