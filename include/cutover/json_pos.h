/* json_pos: where each cJSON node came from in the source text, so errors
 * can name FILE:LINE:COL. cJSON keeps no positions; this walks the (already
 * validated) text alongside the parsed tree. */
#ifndef CUTOVER_JSON_POS_H
#define CUTOVER_JSON_POS_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct json_pos;

/* Builds the index; NULL on allocation failure (lookups then say 1:1). */
struct json_pos *json_pos_build(const char *text, size_t len, const cJSON *root);
void json_pos_free(struct json_pos *pos);

/* Line and column (1-based, columns in bytes) of a node's value, or of its
 * key when want_key is set and the node is an object member. */
void json_pos_lookup(const struct json_pos *pos, const cJSON *node, int want_key,
		     int *line, int *col);

/* Line and column of a byte offset in text. */
void json_pos_linecol(const char *text, size_t len, size_t offset, int *line, int *col);

#endif
