/* view: which rows the table shows, in which order (filter, sort, groups). */
#include "console.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct console *sort_ctx;	/* qsort has no context argument */

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

static int by_sort(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct config *cfg = sort_ctx->cfg;
	const struct service_state *si = &sort_ctx->snap.svc[i], *sj = &sort_ctx->snap.svc[j];
	int d = 0;
	switch (sort_ctx->sort) {
	case SORT_GROUP: d = strcmp(cfg->services[i].group, cfg->services[j].group); break;
	case SORT_DP95: {
		double x = view_dp95(si), y = view_dp95(sj);
		d = x < y ? 1 : x > y ? -1 : 0;
		break;
	}
	case SORT_VERDICT: d = verdict_rank(si->verdict) - verdict_rank(sj->verdict); break;
	case SORT_WEIGHT: d = sj->weight - si->weight; break;
	default: break;
	}
	if (!d)
		d = strcmp(cfg->services[i].name, cfg->services[j].name);
	return d;
}

void view_rebuild(struct console *c)
{
	const struct config *cfg = c->cfg;
	size_t want = cfg->n_services > cfg->n_groups ? cfg->n_services : cfg->n_groups;
	if (!c->rows)
		c->rows = calloc(want ? want : 1, sizeof *c->rows);
	if (!c->rows)
		return;
	c->n_rows = 0;
	if (c->group_view) {
		for (size_t g = 0; g < cfg->n_groups; g++)
			if (contains(cfg->groups[g].name, c->filter))
				c->rows[c->n_rows++] = g;
	} else {
		for (size_t i = 0; i < cfg->n_services && i < c->snap.n; i++)
			if (contains(cfg->services[i].name, c->filter) ||
			    contains(cfg->services[i].group, c->filter))
				c->rows[c->n_rows++] = i;
		sort_ctx = c;
		qsort(c->rows, c->n_rows, sizeof *c->rows, by_sort);
	}
	if (c->sel >= (int)c->n_rows)
		c->sel = (int)c->n_rows - 1;
	if (c->sel < 0)
		c->sel = 0;
}
