/* view: which rows the table shows, in which order (filter, sort, groups). */
#include "console.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A row's sort key, computed once per rebuild: comparisons are then two
 * numbers, not two snapshot lookups and a strcmp (10,000 rows by dp95 took
 * twice as long as by name before). */
struct row_key {
	double k;		/* primary: smaller first */
	uint32_t name_rank;	/* ties: by name */
	uint32_t idx;
};

struct named {
	const char *name;
	uint32_t idx;
};

double view_dp95(const struct service_state *s)
{
	if (s->side[SIDE_BLUE].samples == 0 || s->side[SIDE_GREEN].samples == 0)
		return 0;
	if (isnan(s->side[SIDE_GREEN].p95_ms) || isnan(s->side[SIDE_BLUE].p95_ms))
		return 0;
	return s->side[SIDE_GREEN].p95_ms - s->side[SIDE_BLUE].p95_ms;
}

static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return n == 0;
}

static int verdict_rank(enum verdict v)
{
	/* Worst first: the rows that need eyes come to the top. */
	switch (v) {
	case VERDICT_FAIL: return 0;
	case VERDICT_MARGINAL: return 1;
	case VERDICT_NODATA: return 2;
	default: return 3;
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

static int by_key(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;
	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return x->name_rank < y->name_rank ? -1 : x->name_rank > y->name_rank;
}

/* Ranks of every service by name and by group name, computed once: the
 * config never changes while the console runs. */
static int rank_names(struct console *c)
{
	const struct config *cfg = c->cfg;
	size_t n = cfg->n_services;
	struct named *order = malloc((n ? n : 1) * sizeof *order);
	c->name_rank = malloc((n ? n : 1) * sizeof *c->name_rank);
	c->group_rank = calloc(n ? n : 1, sizeof *c->group_rank);
	c->keys = malloc((n ? n : 1) * sizeof(struct row_key));
	if (!order || !c->name_rank || !c->group_rank || !c->keys) {
		free(order);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (struct named){ cfg->services[i].name, (uint32_t)i };
	qsort(order, n, sizeof *order, by_name);
	for (size_t r = 0; r < n; r++)
		c->name_rank[order[r].idx] = (uint32_t)r;
	/* Groups are sorted by name; a service in none (rank 0) comes first. */
	for (size_t g = 0; g < cfg->n_groups; g++)
		for (size_t k = 0; k < cfg->groups[g].n_members; k++)
			c->group_rank[cfg->groups[g].members[k]] = (uint32_t)g + 1;
	free(order);
	return 0;
}

static double sort_key(const struct console *c, size_t i)
{
	const struct service_state *s = &c->snap.svc[i];
	switch (c->sort) {
	case SORT_GROUP: return c->group_rank[i];
	case SORT_DP95: return -view_dp95(s);		/* largest first */
	case SORT_VERDICT: return verdict_rank(s->verdict);
	case SORT_WEIGHT: return -(double)s->weight;	/* most on green first */
	default: return 0;
	}
}

/* Insertion sort of rows already in last frame's order: linear when few
 * moved, which is every frame but the first. Gives up (false) after a
 * budget of shifts, leaving a valid permutation for qsort to finish. */
static bool resort(struct row_key *keys, size_t n)
{
	size_t budget = 8 * n + 64;
	for (size_t r = 1; r < n; r++) {
		struct row_key k = keys[r];
		size_t q = r;
		while (q > 0 && by_key(&keys[q - 1], &k) > 0) {
			keys[q] = keys[q - 1];
			q--;
			if (--budget == 0) {
				keys[q] = k;
				return false;
			}
		}
		keys[q] = k;
	}
	return true;
}

/* Sorts c->rows. When the rows are the same set as last time (same
 * filter, same sort), the keys are refreshed in last frame's order and
 * nudged into place; otherwise they are sorted from scratch. */
static void sort_services(struct console *c, bool same_rows)
{
	struct row_key *keys = c->keys;
	if (same_rows) {
		for (size_t r = 0; r < c->n_rows; r++)
			keys[r].k = sort_key(c, keys[r].idx);
	} else {
		for (size_t r = 0; r < c->n_rows; r++) {
			size_t i = c->rows[r];
			keys[r] = (struct row_key){ sort_key(c, i), c->name_rank[i], (uint32_t)i };
		}
	}
	if (!same_rows || !resort(keys, c->n_rows))
		qsort(keys, c->n_rows, sizeof *keys, by_key);
	for (size_t r = 0; r < c->n_rows; r++)
		c->rows[r] = keys[r].idx;
}

void view_rebuild(struct console *c)
{
	const struct config *cfg = c->cfg;
	size_t want = cfg->n_services > cfg->n_groups ? cfg->n_services : cfg->n_groups;
	if (!c->rows)
		c->rows = calloc(want ? want : 1, sizeof *c->rows);
	if (!c->rows || (!c->name_rank && rank_names(c) < 0))
		return;
	c->n_rows = 0;
	if (c->group_view) {
		c->keys_built = false;	/* rows now hold groups */
		for (size_t g = 0; g < cfg->n_groups; g++)
			if (contains(cfg->groups[g].name, c->filter))
				c->rows[c->n_rows++] = g;
	} else {
		/* Same filter and sort as the last build: the same rows. */
		bool same = c->keys_built && c->built_sort == c->sort &&
			    strcmp(c->built_filter, c->filter) == 0;
		if (same) {
			c->n_rows = c->built_rows;
		} else {
			for (size_t i = 0; i < cfg->n_services && i < c->snap.n; i++)
				if (contains(cfg->services[i].name, c->filter) ||
				    contains(cfg->services[i].group, c->filter))
					c->rows[c->n_rows++] = i;
		}
		sort_services(c, same);
		c->keys_built = true;
		c->built_sort = c->sort;
		c->built_rows = c->n_rows;
		snprintf(c->built_filter, sizeof c->built_filter, "%s", c->filter);
	}
	if (c->sel >= (int)c->n_rows)
		c->sel = (int)c->n_rows - 1;
	if (c->sel < 0)
		c->sel = 0;
}
