/* json_pos: source positions for cJSON nodes (see json_pos.h). */
#include "cutover/json_pos.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct pos_entry {
	const cJSON *node;
	size_t key_off;
	size_t val_off;
};

struct json_pos {
	const char *text;
	size_t len;
	struct pos_entry *entries;
	size_t n, cap;
	size_t *line_starts;	/* offset of each line's first byte */
	size_t n_lines;
	int broken;		/* the walk lost sync: positions past it are guesses */
};

struct walker {
	struct json_pos *pos;
	size_t off;
};

static void skip_ws(struct walker *w)
{
	const char *t = w->pos->text;
	while (w->off < w->pos->len &&
	       (t[w->off] == ' ' || t[w->off] == '\t' || t[w->off] == '\n' || t[w->off] == '\r'))
		w->off++;
}

static void skip_string(struct walker *w)
{
	const char *t = w->pos->text;
	w->off++;	/* opening quote */
	while (w->off < w->pos->len && t[w->off] != '"') {
		if (t[w->off] == '\\')
			w->off++;
		w->off++;
	}
	w->off++;	/* closing quote */
}

static void skip_scalar(struct walker *w)
{
	const char *t = w->pos->text;
	if (w->off < w->pos->len && t[w->off] == '"') {
		skip_string(w);
		return;
	}
	while (w->off < w->pos->len && !strchr(",]} \t\r\n", t[w->off]))
		w->off++;
}

static void record(struct walker *w, const cJSON *node, size_t key_off, size_t val_off)
{
	struct json_pos *p = w->pos;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct pos_entry *e = realloc(p->entries, cap * sizeof(*e));
		if (!e) {
			p->broken = 1;
			return;
		}
		p->entries = e;
		p->cap = cap;
	}
	p->entries[p->n++] = (struct pos_entry){ node, key_off, val_off };
}

static int expect_char(struct walker *w, char c)
{
	skip_ws(w);
	if (w->off >= w->pos->len || w->pos->text[w->off] != c) {
		w->pos->broken = 1;
		return -1;
	}
	w->off++;
	return 0;
}

/* Recursion depth is bounded by cJSON's own nesting limit, which the text
 * already passed when it was parsed. */
static void walk(struct walker *w, const cJSON *node, size_t key_off)
{
	skip_ws(w);
	record(w, node, key_off, w->off);
	int is_obj = cJSON_IsObject(node), is_arr = cJSON_IsArray(node);
	if (!is_obj && !is_arr) {
		skip_scalar(w);
		return;
	}
	w->off++;	/* '{' or '[' */
	for (const cJSON *c = node->child; c && !w->pos->broken; c = c->next) {
		size_t k = w->off;
		if (is_obj) {
			skip_ws(w);
			k = w->off;
			skip_string(w);
			if (expect_char(w, ':') < 0)
				return;
		}
		walk(w, c, k);
		if (c->next && expect_char(w, ',') < 0)
			return;
	}
	expect_char(w, is_obj ? '}' : ']');
}

static int by_node(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct pos_entry *)a)->node;
	uintptr_t y = (uintptr_t)((const struct pos_entry *)b)->node;
	return x < y ? -1 : x > y;
}

static void index_lines(struct json_pos *p)
{
	size_t n = 1;
	for (size_t i = 0; i < p->len; i++)
		n += p->text[i] == '\n';
	p->line_starts = malloc(n * sizeof(size_t));
	if (!p->line_starts)
		return;
	p->line_starts[0] = 0;
	p->n_lines = 1;
	for (size_t i = 0; i < p->len; i++)
		if (p->text[i] == '\n')
			p->line_starts[p->n_lines++] = i + 1;
}

struct json_pos *json_pos_build(const char *text, size_t len, const cJSON *root)
{
	struct json_pos *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->text = text;
	p->len = len;
	index_lines(p);
	struct walker w = { p, 0 };
	/* A UTF-8 byte order mark is not JSON whitespace, but editors write it. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		w.off = 3;
	if (root)
		walk(&w, root, 0);
	qsort(p->entries, p->n, sizeof(*p->entries), by_node);
	return p;
}

void json_pos_free(struct json_pos *pos)
{
	if (!pos)
		return;
	free(pos->entries);
	free(pos->line_starts);
	free(pos);
}

static void offset_to_linecol(const struct json_pos *p, size_t off, int *line, int *col)
{
	size_t lo = 0, hi = p->n_lines;
	if (!p->line_starts) {
		*line = 1;
		*col = (int)off + 1;
		return;
	}
	while (hi - lo > 1) {	/* last line start <= off */
		size_t mid = (lo + hi) / 2;
		if (p->line_starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = (int)lo + 1;
	*col = (int)(off - p->line_starts[lo]) + 1;
}

void json_pos_lookup(const struct json_pos *pos, const cJSON *node, int want_key,
		     int *line, int *col)
{
	*line = 1;
	*col = 1;
	if (!pos || !node)
		return;
	struct pos_entry key = { node, 0, 0 };
	const struct pos_entry *e = bsearch(&key, pos->entries, pos->n, sizeof(key), by_node);
	if (e)
		offset_to_linecol(pos, want_key ? e->key_off : e->val_off, line, col);
}

void json_pos_linecol(const char *text, size_t len, size_t offset, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}
