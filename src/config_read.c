/* config_read: typed, located reads for the config loader (config_read.h). */
#include "config_read.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void vdiag(struct cfg_reader *r, const cJSON *node, bool at_key, const char *path,
		  const char *fmt, va_list ap)
{
	char msg[400];
	int line = r->anchor_line, col = r->anchor_col;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (node && !r->pos)
		r->pos = json_pos_build(r->text, r->len, r->root);
	if (node)
		json_pos_lookup(r->pos, node, at_key, &line, &col);
	diag_add(r->diags, line, col, path, "%s", msg);
}

void cfg_diag(struct cfg_reader *r, const cJSON *node, bool at_key, const char *path,
	      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(r, node, at_key, path, fmt, ap);
	va_end(ap);
}

void cfg_diag_at(struct cfg_reader *r, const cJSON *node, bool at_key, const char *parent,
		 const char *key, const char *fmt, ...)
{
	char p[CFG_PATH_MAX];
	va_list ap;
	cfg_path(p, parent, key);
	va_start(ap, fmt);
	vdiag(r, node, at_key, p, fmt, ap);
	va_end(ap);
}

void cfg_reader_done(struct cfg_reader *r)
{
	json_pos_free(r->pos);
	r->pos = NULL;
}

/* Appends s at buf[*used], cutting it at CFG_PATH_MAX - 1 bytes as snprintf
 * did: plain copies because paths were built for every key read, and
 * snprintf was a fifth of loading a 1,000-service config. */
static void path_put(char *buf, size_t *used, const char *s, size_t len)
{
	size_t room = CFG_PATH_MAX - 1 - *used;
	if (len > room)
		len = room;
	memmove(buf + *used, s, len);	/* memmove: s may be buf itself */
	*used += len;
	buf[*used] = '\0';
}

void cfg_path(char *buf, const char *parent, const char *key)
{
	size_t used = 0;
	if (parent && *parent) {
		path_put(buf, &used, parent, strlen(parent));
		path_put(buf, &used, ".", 1);
	}
	path_put(buf, &used, key, strlen(key));
}

void cfg_path_index(char *buf, const char *parent, size_t i)
{
	char digits[24];
	size_t n = sizeof(digits), used = 0;
	do
		digits[--n] = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	path_put(buf, &used, parent, strlen(parent));
	path_put(buf, &used, "[", 1);
	path_put(buf, &used, digits + n, sizeof(digits) - n);
	path_put(buf, &used, "]", 1);
}

/* Edit distance, bounded: keys are short, and only unknown keys get here. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static const char *nearest_key(const char *key, const char *const *known)
{
	size_t klen = strlen(key), best_d = 99;
	const char *best = NULL;
	for (size_t i = 0; known[i]; i++) {
		/* "timeout" for "timeout_ms": a prefix is the strongest hint. */
		if (klen >= 3 && strncmp(known[i], key, klen) == 0)
			return known[i];
		size_t d = edit_distance(key, known[i]);
		if (d < best_d) {
			best_d = d;
			best = known[i];
		}
	}
	return best_d <= 3 && best_d < klen ? best : NULL;
}

static void list_known(char *buf, size_t cap, const char *const *known)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; known[i] && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", known[i]);
}

static void report_unknown(struct cfg_reader *r, const cJSON *c, const char *path,
			   const char *const *known)
{
	const char *k = c->string ? c->string : "";
	const char *hint = nearest_key(k, known);
	if (hint) {
		cfg_diag_at(r, c, true, path, k, "unknown key '%s' (did you mean '%s'?)", k, hint);
	} else {
		char all[300];
		list_known(all, sizeof(all), known);
		cfg_diag_at(r, c, true, path, k, "unknown key '%s' (known here: %s)", k, all);
	}
}

/* Whether a sibling before c has its key: the slow way, kept for keys the
 * seen-mask cannot track. */
static bool seen_before(const cJSON *obj, const cJSON *c, const char *k)
{
	for (const cJSON *e = obj->child; e != c; e = e->next)
		if (e->string && strcmp(e->string, k) == 0)
			return true;
	return false;
}

/* A known key is a duplicate when its bit in seen is already set, which
 * spares comparing every key with all the keys before it. */
void cfg_check_keys(struct cfg_reader *r, const cJSON *obj, const char *path,
		    const char *const *known)
{
	uint64_t seen = 0;
	for (const cJSON *c = obj->child; c; c = c->next) {
		const char *k = c->string ? c->string : "";
		size_t i;
		for (i = 0; known[i] && (known[i][0] != k[0] || strcmp(known[i], k) != 0); i++)
			;
		uint64_t bit = known[i] && i < 64 ? (uint64_t)1 << i : 0;
		bool dup = bit ? (seen & bit) != 0 : seen_before(obj, c, k);
		seen |= bit;
		if (dup)
			cfg_diag_at(r, c, true, path, k, "duplicate key '%s' (the first is at the same level above)", k);
		if (!known[i])
			report_unknown(r, c, path, known);
	}
}

static const char *type_name(const cJSON *n)
{
	if (cJSON_IsObject(n)) return "an object";
	if (cJSON_IsArray(n)) return "an array";
	if (cJSON_IsString(n)) return "a string";
	if (cJSON_IsNumber(n)) return "a number";
	if (cJSON_IsBool(n)) return "a boolean";
	if (cJSON_IsNull(n)) return "null";
	return "an unknown value";
}

/* cJSON_GetObjectItemCaseSensitive, which it must match (first match; a
 * member without a name ends the search), comparing first bytes before
 * calling strcmp: most members of an object differ there, and a clean load
 * looks up tens of thousands of keys. */
static const cJSON *find_member(const cJSON *obj, const char *key)
{
	for (const cJSON *c = obj->child; c && c->string; c = c->next)
		if (c->string[0] == key[0] && strcmp(c->string, key) == 0)
			return c;
	return NULL;
}

static const cJSON *member(struct cfg_reader *r, const cJSON *obj, const char *key,
			   const char *path, bool required, const char *what)
{
	const cJSON *n = obj ? find_member(obj, key) : NULL;
	if (!n && required && obj)
		cfg_diag_at(r, obj, false, path, key, "missing required key '%s' (%s)", key, what);
	return n;
}

static const cJSON *typed(struct cfg_reader *r, const cJSON *obj, const char *key,
			  const char *path, bool required, cJSON_bool (*is)(const cJSON *),
			  const char *what)
{
	const cJSON *n = member(r, obj, key, path, required, what);
	if (n && !is(n)) {
		cfg_diag_at(r, n, false, path, key, "expected %s, found %s", what, type_name(n));
		return NULL;
	}
	return n;
}

const cJSON *cfg_object(struct cfg_reader *r, const cJSON *obj, const char *key,
			const char *path, bool required)
{
	return typed(r, obj, key, path, required, cJSON_IsObject, "an object");
}

const cJSON *cfg_array(struct cfg_reader *r, const cJSON *obj, const char *key,
		       const char *path, bool required)
{
	return typed(r, obj, key, path, required, cJSON_IsArray, "an array");
}

const char *cfg_text(struct cfg_reader *r, const cJSON *obj, const char *key, const char *path,
		     const char *def, bool required)
{
	const cJSON *n = typed(r, obj, key, path, required, cJSON_IsString, "a string");
	if (!n)
		return def;
	if (n->valuestring[0] == '\0' && required)
		cfg_diag_at(r, n, false, path, key, "must not be empty");
	return n->valuestring;
}

char *cfg_string(struct cfg_reader *r, const cJSON *obj, const char *key, const char *path,
		 const char *def, bool required)
{
	const char *s = cfg_text(r, obj, key, path, def, required);
	return s ? strdup(s) : NULL;
}

static const cJSON *finite_number(struct cfg_reader *r, const cJSON *obj, const char *key,
				  const char *path)
{
	const cJSON *n = typed(r, obj, key, path, false, cJSON_IsNumber, "a number");
	if (n && !isfinite(n->valuedouble)) {
		cfg_diag_at(r, n, false, path, key, "number out of range");
		return NULL;
	}
	return n;
}

int cfg_int(struct cfg_reader *r, const cJSON *obj, const char *key, const char *path,
	    long min, long max, int def)
{
	const cJSON *n = finite_number(r, obj, key, path);
	if (!n)
		return def;
	double v = n->valuedouble;
	if (v != floor(v)) {
		cfg_diag_at(r, n, false, path, key, "expected a whole number, found %g", v);
		return def;
	}
	if (v < (double)min || v > (double)max) {
		cfg_diag_at(r, n, false, path, key, "%.0f is out of range %ld..%ld", v, min, max);
		return def;
	}
	return (int)v;
}

double cfg_number(struct cfg_reader *r, const cJSON *obj, const char *key, const char *path,
		  double min, double max, double def)
{
	const cJSON *n = finite_number(r, obj, key, path);
	if (!n)
		return def;
	if (n->valuedouble < min || n->valuedouble > max) {
		cfg_diag_at(r, n, false, path, key, "%g is out of range %g..%g", n->valuedouble, min, max);
		return def;
	}
	return n->valuedouble;
}

bool cfg_bool(struct cfg_reader *r, const cJSON *obj, const char *key, const char *path,
	      bool def)
{
	const cJSON *n = typed(r, obj, key, path, false, cJSON_IsBool, "true or false");
	return n ? cJSON_IsTrue(n) : def;
}

static char **list_alloc(size_t n)
{
	return calloc(n + 1, sizeof(char *));
}

char **cfg_string_list(struct cfg_reader *r, const cJSON *obj, const char *key,
		       const char *path, const char *def_one, size_t *n_out)
{
	char p[CFG_PATH_MAX], ip[CFG_PATH_MAX];
	const cJSON *n = member(r, obj, key, path, false, "");
	char **list;
	*n_out = 0;
	if (!n || cJSON_IsString(n)) {
		const char *one = n ? n->valuestring : def_one;
		list = list_alloc(1);
		if (list && one && (list[0] = strdup(one)) != NULL)
			*n_out = 1;
		return list;
	}
	if (!cJSON_IsArray(n)) {
		cfg_diag_at(r, n, false, path, key, "expected a string or an array of strings, found %s",
			type_name(n));
		return list_alloc(0);
	}
	cfg_path(p, path, key);
	list = list_alloc((size_t)cJSON_GetArraySize(n));
	size_t i = 0, k = 0;
	for (const cJSON *c = n->child; c && list; c = c->next, i++) {
		if (!cJSON_IsString(c)) {
			cfg_path_index(ip, p, i);
			cfg_diag(r, c, false, ip, "expected a string, found %s", type_name(c));
			continue;
		}
		if ((list[k] = strdup(c->valuestring)) != NULL)
			k++;
	}
	*n_out = k;
	return list;
}

void cfg_free_list(char **list)
{
	if (!list)
		return;
	for (size_t i = 0; list[i]; i++)
		free(list[i]);
	free(list);
}

bool cfg_valid_name(const char *s)
{
	size_t n = 0;
	if (!s || !*s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok || n >= 128)
			return false;
	}
	return true;
}
