/* config_read: typed, located reads from a cJSON tree for the config loader.
 * Every getter reports a wrong type, a missing required key or an out-of-range
 * value as a diagnostic at the node's FILE:LINE:COL and keeps going, so one
 * run of `cutover check` lists every problem. Internal to src/. */
#ifndef CUTOVER_CONFIG_READ_H
#define CUTOVER_CONFIG_READ_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "cutover/error.h"
#include "cutover/json_pos.h"

#define CFG_PATH_MAX 256

/* The position index is built on the first diagnostic: a clean load, the
 * common case, never needs it. text/len/root are what it is built from. */
struct cfg_reader {
	const char *text;
	size_t len;
	const cJSON *root;
	struct json_pos *pos;	/* NULL until needed */
	struct diag_list *diags;
	int anchor_line, anchor_col;	/* where a missing key's parent starts */
};

/* Frees the position index if a diagnostic built it. */
void cfg_reader_done(struct cfg_reader *r);

void cfg_diag(struct cfg_reader *r, const cJSON *node, bool at_key, const char *path,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* cfg_diag at the path parent.key, built only now: a clean load reads
 * thousands of keys and reports none, so paths are made when reported. */
void cfg_diag_at(struct cfg_reader *r, const cJSON *node, bool at_key, const char *parent,
		 const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* "parent.key", or "key" at the top. */
void cfg_path(char *buf, const char *parent, const char *key);
/* "parent[i]". */
void cfg_path_index(char *buf, const char *parent, size_t i);

/* Reports unknown keys (with the nearest known one as a hint) and keys that
 * appear twice. known is NULL-terminated. */
void cfg_check_keys(struct cfg_reader *r, const cJSON *obj, const char *path,
		    const char *const *known);

/* The member obj[key] if it is an object; NULL if absent (reported when
 * required) or of another type (always reported). */
const cJSON *cfg_object(struct cfg_reader *r, const cJSON *obj, const char *key,
			const char *path, bool required);
const cJSON *cfg_array(struct cfg_reader *r, const cJSON *obj, const char *key,
		       const char *path, bool required);

/* A copy of a string member, or of def (NULL def and absent: NULL, reported
 * when required). Empty strings are reported when not allow_empty. */
char *cfg_string(struct cfg_reader *r, const cJSON *obj, const char *key, const char *path,
		 const char *def, bool required);

/* cfg_string without the copy, for a value only looked at while the tree
 * lives: the string in the tree, or def. */
const char *cfg_text(struct cfg_reader *r, const cJSON *obj, const char *key,
		     const char *path, const char *def, bool required);

/* An integer member within [min, max]; def when absent. */
int cfg_int(struct cfg_reader *r, const cJSON *obj, const char *key, const char *path,
	    long min, long max, int def);
double cfg_number(struct cfg_reader *r, const cJSON *obj, const char *key, const char *path,
		  double min, double max, double def);
bool cfg_bool(struct cfg_reader *r, const cJSON *obj, const char *key, const char *path,
	      bool def);

/* A string or an array of strings, as a NULL-terminated copy; def_one is
 * used when absent (NULL: empty list). */
char **cfg_string_list(struct cfg_reader *r, const cJSON *obj, const char *key,
		       const char *path, const char *def_one, size_t *n_out);
void cfg_free_list(char **list);

/* [A-Za-z0-9._-]{1,128} */
bool cfg_valid_name(const char *s);

#endif
