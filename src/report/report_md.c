/* report_md: the review as markdown: headings and pipe tables, readable
 * as plain text on a terminal and rendered by any markdown viewer. Text
 * from the journal is escaped so that it can neither end a cell ('|') nor
 * become markup or raw HTML ('<', '*', '[', '`'...). */
#include "report_private.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static void md(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (strchr("\\|<>*[]`#", *s))
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void md_time(FILE *f, int64_t ms)
{
	char t[40];
	report_time_text(ms, false, t, sizeof(t));
	fputs(t, f);
}

static void md_duration(FILE *f, int64_t ms)
{
	char d[40];
	report_duration_text(ms, d, sizeof(d));
	fputs(d, f);
}

static void header(FILE *f, const struct report *r)
{
	const struct report_counts *n = &r->counts;
	fprintf(f, "# Release review: ");
	md(f, r->release);
	fprintf(f, "\n\n");
	if (r->intact)
		fprintf(f, "**Journal chain: intact.** ");
	else
		fprintf(f, "> **WARNING: the journal chain is NOT INTACT.** ");
	md(f, report_integrity_detail(r));
	fprintf(f, ".\n\n");
	fprintf(f, "| | |\n| --- | --- |\n| journal | ");
	md(f, r->path);
	fprintf(f, " |\n| first record | ");
	if (r->records)
		md_time(f, r->first_ms);
	fprintf(f, " |\n| last record | ");
	if (r->records)
		md_time(f, r->last_ms);
	fprintf(f, " |\n| duration | ");
	md_duration(f, r->last_ms - r->first_ms);
	fprintf(f, " |\n| records | %zu", r->records);
	if (r->skipped_lines)
		fprintf(f, " (%zu line%s that %s no record skipped)", r->skipped_lines,
			r->skipped_lines == 1 ? "" : "s", r->skipped_lines == 1 ? "was" : "were");
	fprintf(f, " |\n| plans | %zu |\n| moves | %zu |\n| rollbacks | %zu |\n"
		"| forced moves | %zu |\n| breaches | %zu failed check%s, %zu halt%s, "
		"%zu rollout%s rolled back |\n",
		n->plans, n->moves, n->rollbacks, n->forced, n->breaches, n->breaches == 1 ? "" : "s",
		n->halts, n->halts == 1 ? "" : "s", n->rollout_rollbacks,
		n->rollout_rollbacks == 1 ? "" : "s");
	if (n->reconciled)
		fprintf(f, "| recovery | %zu interrupted move%s reconciled |\n", n->reconciled,
			n->reconciled == 1 ? "" : "s");
	fprintf(f, "| engine starts | %zu |\n\n", n->engine_starts);
}

static void entry_row(FILE *f, const struct report_entry *e)
{
	char what[96], w[16];
	report_entry_what(e, what, sizeof(what));
	report_weight_text(e->weight, w, sizeof(w));
	fprintf(f, "| ");
	md_time(f, e->at_ms);
	fprintf(f, " | ");
	md(f, what);
	fprintf(f, " | %s | ", e->weight == REPORT_NO_WEIGHT ? "" : w);
	if (e->kind == REPORT_WEIGHT) {
		md_duration(f, e->held_ms);
		if (e->final)
			fprintf(f, " (final)");
	}
	fprintf(f, " | ");
	md(f, e->actor);
	fprintf(f, " | ");
	if (e->kind == REPORT_EVENT)
		md(f, e->detail);
	if (e->plan[0]) {
		fprintf(f, "%splan ", e->kind == REPORT_EVENT && e->detail[0] ? "; " : "");
		md(f, e->plan);
	}
	fprintf(f, " |\n");
}

static void service_timeline(FILE *f, const struct report *r, const struct report_service *s)
{
	char w[16];
	fprintf(f, "### ");
	md(f, s->name);
	fprintf(f, "\n\n| time (UTC) | what | weight on green | held | by | detail |\n"
		"| --- | --- | --- | --- | --- | --- |\n");
	if (s->start_weight != REPORT_NO_WEIGHT) {
		report_weight_text(s->start_weight, w, sizeof(w));
		fprintf(f, "| ");
		md_time(f, r->first_ms);
		fprintf(f, " | at %s before its first move | %s | ", w, w);
		md_duration(f, s->start_held_ms);
		fprintf(f, "%s |  | from the journal's first record |\n",
			s->has_weight_entry ? "" : " (final)");
	}
	for (size_t i = 0; i < report_ring_len(&s->timeline); i++)
		entry_row(f, report_ring_at(&s->timeline, i));
	if (report_ring_dropped(&s->timeline))
		fprintf(f, "\n%zu earlier entries are not shown (the last %d are kept).\n",
			report_ring_dropped(&s->timeline), REPORT_TIMELINE_KEPT);
	fprintf(f, "\n");
	if (s->weight != REPORT_NO_WEIGHT) {
		fprintf(f, "Final: **%d %% on green, %d %% on blue**, since ", s->weight, 100 - s->weight);
		md_time(f, s->since_ms);
		fprintf(f, ". Time at each weight on green:");
		const char *sep = " ";
		for (int k = 0; k <= 100; k++) {
			if (!s->was_at[k])
				continue;
			fprintf(f, "%s%d %%: ", sep, k);
			md_duration(f, s->at_weight_ms[k]);
			sep = "; ";
		}
		fprintf(f, ".\n\n");
	} else {
		fprintf(f, "Final: weight not known (the journal records no applied move).\n\n");
	}
}

static void figure_row(FILE *f, const char *name, double g, double b, const char *unit,
		       const char *limit, const char *word)
{
	char gt[32], bt[32];
	report_num_text(g, unit, gt, sizeof(gt));
	report_num_text(b, unit, bt, sizeof(bt));
	fprintf(f, "| %s | %s | %s | %s | %s |\n", name, gt, bt, limit, word);
}

/* "green vs blue +243.3 %, max +25.0 %": the value beside its condition. */
static void p95_limit(const struct report_figures *x, char *out, size_t cap)
{
	char delta[48] = "", max[48] = "";
	if (!isnan(x->p95_delta_pct))
		snprintf(delta, sizeof(delta), "green vs blue %+.1f %%", x->p95_delta_pct);
	if (!isnan(x->max_p95_delta_pct))
		snprintf(max, sizeof(max), "max %+.1f %%", x->max_p95_delta_pct);
	snprintf(out, cap, "%s%s%s", delta, delta[0] && max[0] ? ", " : "",
		 delta[0] || max[0] ? max : "-");
}

static void breach(FILE *f, const struct report_breach *b)
{
	const struct report_figures *x = &b->fig;
	char limit[96], ev[sizeof(b->event)];
	snprintf(ev, sizeof(ev), "%s", b->event);
	for (char *p = ev; *p; p++)
		if (*p == '_')
			*p = ' ';
	fprintf(f, "### ");
	md_time(f, b->at_ms);
	fprintf(f, ": ");
	md(f, b->service);
	fprintf(f, ", %s", ev);
	if (b->step >= 0)
		fprintf(f, " at step %d", b->step);
	if (b->weight != REPORT_NO_WEIGHT)
		fprintf(f, " (%d %% on green)", b->weight);
	fprintf(f, ", by ");
	md(f, b->actor);
	fprintf(f, "\n\n");
	if (b->gate[0] || b->detail[0]) {
		fprintf(f, "Gate ");
		md(f, b->gate[0] ? b->gate : "-");
		fprintf(f, ": ");
		md(f, b->detail);
		fprintf(f, ".");
	} else {
		fprintf(f, "No gate named (an abort).");
	}
	if (b->failed_checks >= 0 && b->max_failed_checks >= 0)
		fprintf(f, " %d of %d failed checks.", b->failed_checks, b->max_failed_checks);
	if (b->plan[0]) {
		fprintf(f, strcmp(b->event, "rolled_back") == 0 ? " Moved back by plan " : " Plan ");
		md(f, b->plan);
		fprintf(f, ".");
	}
	fprintf(f, "\n\n");
	if (!x->present)
		return;
	fprintf(f, "| figure | green | blue | limit | against the limit |\n| --- | --- | --- | --- | --- |\n");
	p95_limit(x, limit, sizeof(limit));
	figure_row(f, "p95 latency", x->green_p95_ms, x->blue_p95_ms, "ms", limit,
		   report_limit_word(x->p95_delta_pct, x->max_p95_delta_pct));
	if (isnan(x->max_error_rate_pct))
		snprintf(limit, sizeof(limit), "-");
	else
		snprintf(limit, sizeof(limit), "green max %.1f %%", x->max_error_rate_pct);
	figure_row(f, "error rate", x->green_error_pct, x->blue_error_pct, "%", limit,
		   report_limit_word(x->green_error_pct, x->max_error_rate_pct));
	fprintf(f, "| health | ");
	md(f, x->green_health[0] ? x->green_health : "-");
	fprintf(f, " | ");
	md(f, x->blue_health[0] ? x->blue_health : "-");
	fprintf(f, " |  |  |\n");
	char t[32];
	report_num_text(x->green_5xx_pct, "%", t, sizeof(t));
	fprintf(f, "| real-traffic 5xx | %s | | %s | %s |\n",
		isnan(x->green_5xx_pct) ? "none seen" : t,
		isnan(x->max_error_rate_pct) ? "" : limit,
		report_limit_word(x->green_5xx_pct, x->max_error_rate_pct));
	fprintf(f, "\n");
	bool said = x->verdict[0] || (!isnan(x->routers_up) && !isnan(x->routers_total)) ||
		    x->drift >= 0;
	if (x->verdict[0]) {
		fprintf(f, "Verdict ");
		md(f, x->verdict);
		fprintf(f, ". ");
	}
	if (!isnan(x->routers_up) && !isnan(x->routers_total))
		fprintf(f, "Routers up: %g of %g. ", x->routers_up, x->routers_total);
	if (x->drift >= 0)
		fprintf(f, "Drift: %s.", x->drift ? "yes" : "no");
	if (said)
		fprintf(f, "\n\n");
}

static void plan_row(FILE *f, const struct report_plan *p, bool forced)
{
	fprintf(f, "| ");
	md_time(f, p->at_ms);
	fprintf(f, " | ");
	md(f, p->actor);
	fprintf(f, " | ");
	md(f, p->plan);
	fprintf(f, " | ");
	md(f, p->first_service);
	if (p->services > 1)
		fprintf(f, " and %zu more", p->services - 1);
	if (!forced)
		fprintf(f, " | %s", p->autopilot ? "by a rollout" : "manual");
	fprintf(f, " | ");
	md(f, p->reason[0] ? p->reason : "-");
	if (forced) {
		fprintf(f, " | ");
		md(f, p->blockers[0] ? p->blockers : "-");
	}
	fprintf(f, " |\n");
}

static void dropped(FILE *f, const struct report_ring *ring, const char *what)
{
	if (report_ring_dropped(ring))
		fprintf(f, "\n%zu earlier %s are not shown (the last %d are kept).\n",
			report_ring_dropped(ring), what, REPORT_LIST_KEPT);
}

static void breaches(FILE *f, const struct report *r)
{
	fprintf(f, "## Breaches and rollbacks\n\n");
	if (!report_ring_len(&r->breaches))
		fprintf(f, "No rollout check failed, halted or rolled back.\n\n");
	for (size_t i = 0; i < report_ring_len(&r->breaches); i++)
		breach(f, report_ring_at(&r->breaches, i));
	dropped(f, &r->breaches, "breaches");
	fprintf(f, "### Rollback plans\n\n");
	if (!report_ring_len(&r->rollbacks)) {
		fprintf(f, "No rollback.\n\n");
		return;
	}
	fprintf(f, "| time (UTC) | by | plan | services | kind | reason |\n"
		"| --- | --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < report_ring_len(&r->rollbacks); i++)
		plan_row(f, report_ring_at(&r->rollbacks, i), false);
	dropped(f, &r->rollbacks, "rollbacks");
	fprintf(f, "\n");
}

static void forced(FILE *f, const struct report *r)
{
	fprintf(f, "## Forced moves\n\n");
	if (!report_ring_len(&r->forced)) {
		fprintf(f, "No move was forced past a blocker.\n\n");
		return;
	}
	fprintf(f, "| time (UTC) | forced by | plan | services | reason | blockers overridden |\n"
		"| --- | --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < report_ring_len(&r->forced); i++)
		plan_row(f, report_ring_at(&r->forced, i), true);
	dropped(f, &r->forced, "forced moves");
	fprintf(f, "\n");
}

static void actors(FILE *f, const struct report *r)
{
	fprintf(f, "## Who did what\n\n| actor | plans | moves | rollbacks | forced | lever takes | "
		"rollout controls |\n| --- | --- | --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < r->n_actors; i++) {
		const struct report_actor *a = r->actors[i];
		fprintf(f, "| ");
		md(f, a->name);
		fprintf(f, " | %zu | %zu | %zu | %zu | %zu | %zu |\n", a->plans, a->moves, a->rollbacks,
			a->forced, a->lever, a->controls);
	}
	fprintf(f, "\n");
}

static void final_state(FILE *f, const struct report *r)
{
	fprintf(f, "## Final state\n\n| service | on green | on blue | since | last rollout event |\n"
		"| --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < r->n_services; i++) {
		const struct report_service *s = r->services[i];
		fprintf(f, "| ");
		md(f, s->name);
		if (s->weight == REPORT_NO_WEIGHT) {
			fprintf(f, " | ? | ? | | ");
		} else {
			fprintf(f, " | %d %% | %d %% | ", s->weight, 100 - s->weight);
			md_time(f, s->since_ms);
			fprintf(f, " | ");
		}
		md(f, s->rollout[0] ? s->rollout : "-");
		fprintf(f, " |\n");
	}
	fprintf(f, "\nTotal duration: ");
	md_duration(f, r->last_ms - r->first_ms);
	fprintf(f, ".\n");
	double us = report_cpu_us_per_check(r);
	if (us >= 0)
		fprintf(f, "\nAutopilot CPU per evaluated check: %.1f \xc2\xb5s (%.3f s over %lld checks in "
			"%zu completed plan%s).\n", us, r->cpu_s, r->checks, r->plans_completed,
			r->plans_completed == 1 ? "" : "s");
}

static int write_md(FILE *f, const struct report *r, struct co_error *err)
{
	header(f, r);
	fprintf(f, "## Timeline per service\n\n");
	if (!r->n_services)
		fprintf(f, "The journal names no service.\n\n");
	for (size_t i = 0; i < r->n_services; i++)
		service_timeline(f, r, r->services[i]);
	breaches(f, r);
	forced(f, r);
	actors(f, r);
	final_state(f, r);
	if (fflush(f) != 0 || ferror(f)) {
		co_error_set(err, "cannot write the review: %s", strerror(errno));
		return -1;
	}
	return 0;
}

const struct report_format report_format_md = { .name = "md", .write = write_md };
