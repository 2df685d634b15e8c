/* report_html: the review as one self-contained HTML file, to mail or
 * attach to a ticket: an inline <style> and nothing else (no script, no
 * font, image or link fetched from anywhere), readable on screen and
 * printed. Every text from the journal is escaped; "http" in it is written
 * with an entity so that the file holds no URL of any kind. Blue and green
 * are always named in words, never told apart by colour alone. */
#include "report_private.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>

static const char style[] =
	"body{font:15px/1.45 system-ui,sans-serif;color:#111;background:#fff;max-width:72em;"
	"margin:1.5em auto;padding:0 1em}\n"
	"h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.3em;margin-top:1.6em;border-bottom:2px solid #444}"
	"h3{font-size:1.1em;margin:1.2em 0 .3em}\n"
	"table{border-collapse:collapse;margin:.4em 0 1em}\n"
	"th,td{border:1px solid #888;padding:.2em .55em;text-align:left;vertical-align:top}\n"
	"th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	".chain{padding:.6em .8em;margin:.8em 0;border:2px solid #333}\n"
	".chain.bad{border:4px double #a00;background:#fff0f0;font-weight:bold}\n"
	".over{font-weight:bold;text-decoration:underline}\n"
	".note{color:#444;font-size:.93em}\n"
	".side{font-weight:bold;letter-spacing:.02em}\n"
	"@media print{body{margin:0;max-width:none;font-size:10pt}"
	"h2,h3{break-after:avoid}tr{break-inside:avoid}.chain.bad{background:none}}\n";

/* Journal text as HTML text or attribute value. "http" gets its h as an
 * entity: the page reads the same, but holds no URL to follow or fetch. */
static void h(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		case 'h':
		case 'H':
			if (strncasecmp(s + 1, "ttp", 3) == 0) {
				fprintf(f, "&#%d;", *s);
				break;
			}
			/* fall through */
		default:
			fputc(*s, f);
		}
	}
}

static void h_time(FILE *f, int64_t ms)
{
	char t[40];
	report_time_text(ms, false, t, sizeof(t));
	fprintf(f, "<time>%s</time>", t);
}

static void h_duration(FILE *f, int64_t ms)
{
	char d[40];
	report_duration_text(ms, d, sizeof(d));
	fputs(d, f);
}

/* "green 25 % · blue 75 %": both sides in words. */
static void h_sides(FILE *f, int w)
{
	if (w == REPORT_NO_WEIGHT)
		fputs("not known", f);
	else
		fprintf(f, "<span class=\"side\">green</span> %d %% \xc2\xb7 "
			"<span class=\"side\">blue</span> %d %%", w, 100 - w);
}

static void header(FILE *f, const struct report *r)
{
	const struct report_counts *n = &r->counts;
	fputs("<h1>Release review: ", f);
	h(f, r->release);
	fprintf(f, "</h1>\n<p class=\"chain%s\"><strong>Journal chain: %s.</strong> ",
		r->intact ? "" : " bad", r->intact ? "intact" : "NOT INTACT");
	h(f, report_integrity_detail(r));
	fputs(".</p>\n<table>\n<tr><th>journal</th><td>", f);
	h(f, r->path);
	fputs("</td></tr>\n<tr><th>first record</th><td>", f);
	if (r->records)
		h_time(f, r->first_ms);
	fputs("</td></tr>\n<tr><th>last record</th><td>", f);
	if (r->records)
		h_time(f, r->last_ms);
	fputs("</td></tr>\n<tr><th>duration</th><td>", f);
	h_duration(f, r->last_ms - r->first_ms);
	fprintf(f, "</td></tr>\n<tr><th>records</th><td>%zu", r->records);
	if (r->skipped_lines)
		fprintf(f, " (%zu line%s that %s no record skipped)", r->skipped_lines,
			r->skipped_lines == 1 ? "" : "s", r->skipped_lines == 1 ? "was" : "were");
	fprintf(f, "</td></tr>\n<tr><th>plans</th><td>%zu</td></tr>\n<tr><th>moves</th><td>%zu</td></tr>\n"
		"<tr><th>rollbacks</th><td>%zu</td></tr>\n<tr><th>forced moves</th><td>%zu</td></tr>\n"
		"<tr><th>breaches</th><td>%zu failed check%s, %zu halt%s, %zu rollout%s rolled back"
		"</td></tr>\n",
		n->plans, n->moves, n->rollbacks, n->forced, n->breaches, n->breaches == 1 ? "" : "s",
		n->halts, n->halts == 1 ? "" : "s", n->rollout_rollbacks,
		n->rollout_rollbacks == 1 ? "" : "s");
	if (n->reconciled)
		fprintf(f, "<tr><th>recovery</th><td>%zu interrupted move%s reconciled</td></tr>\n",
			n->reconciled, n->reconciled == 1 ? "" : "s");
	fprintf(f, "<tr><th>engine starts</th><td>%zu</td></tr>\n</table>\n", n->engine_starts);
}

static void entry_row(FILE *f, const struct report_entry *e)
{
	char what[96], w[16];
	report_entry_what(e, what, sizeof(what));
	report_weight_text(e->weight, w, sizeof(w));
	fputs("<tr><td>", f);
	h_time(f, e->at_ms);
	fputs("</td><td>", f);
	h(f, what);
	fprintf(f, "</td><td class=\"n\">%s</td><td>", e->weight == REPORT_NO_WEIGHT ? "" : w);
	if (e->kind == REPORT_WEIGHT) {
		h_duration(f, e->held_ms);
		if (e->final)
			fputs(" (final)", f);
	}
	fputs("</td><td>", f);
	h(f, e->actor);
	fputs("</td><td>", f);
	if (e->kind == REPORT_EVENT)
		h(f, e->detail);
	if (e->plan[0]) {
		fprintf(f, "%splan ", e->kind == REPORT_EVENT && e->detail[0] ? "; " : "");
		h(f, e->plan);
	}
	fputs("</td></tr>\n", f);
}

static void service_timeline(FILE *f, const struct report *r, const struct report_service *s)
{
	char w[16];
	fputs("<section>\n<h3>", f);
	h(f, s->name);
	fputs("</h3>\n<table>\n<tr><th>time (UTC)</th><th>what</th><th>weight on green</th>"
	      "<th>held</th><th>by</th><th>detail</th></tr>\n", f);
	if (s->start_weight != REPORT_NO_WEIGHT) {
		report_weight_text(s->start_weight, w, sizeof(w));
		fputs("<tr><td>", f);
		h_time(f, r->first_ms);
		fprintf(f, "</td><td>at %s before its first move</td><td class=\"n\">%s</td><td>", w, w);
		h_duration(f, s->start_held_ms);
		fprintf(f, "%s</td><td></td><td>from the journal's first record</td></tr>\n",
			s->has_weight_entry ? "" : " (final)");
	}
	for (size_t i = 0; i < report_ring_len(&s->timeline); i++)
		entry_row(f, report_ring_at(&s->timeline, i));
	fputs("</table>\n", f);
	if (report_ring_dropped(&s->timeline))
		fprintf(f, "<p class=\"note\">%zu earlier entries are not shown (the last %d are kept).</p>\n",
			report_ring_dropped(&s->timeline), REPORT_TIMELINE_KEPT);
	fputs("<p>Final: ", f);
	h_sides(f, s->weight);
	if (s->weight != REPORT_NO_WEIGHT) {
		fputs(", since ", f);
		h_time(f, s->since_ms);
		fputs(". Time at each weight on green:", f);
		const char *sep = " ";
		for (int k = 0; k <= 100; k++) {
			if (!s->was_at[k])
				continue;
			fprintf(f, "%s%d %%: ", sep, k);
			h_duration(f, s->at_weight_ms[k]);
			sep = "; ";
		}
	} else {
		fputs(" (the journal records no applied move)", f);
	}
	fputs(".</p>\n</section>\n", f);
}

static void figure_row(FILE *f, const char *name, double g, double b, const char *unit,
		       const char *limit, const char *word)
{
	char gt[32], bt[32];
	report_num_text(g, unit, gt, sizeof(gt));
	report_num_text(b, unit, bt, sizeof(bt));
	fprintf(f, "<tr><th>%s</th><td class=\"n\">%s</td><td class=\"n\">%s</td><td>%s</td>"
		"<td%s>%s</td></tr>\n", name, gt, bt, limit,
		strncmp(word, "OVER", 4) == 0 ? " class=\"over\"" : "", word);
}

static void figures(FILE *f, const struct report_figures *x)
{
	char limit[96] = "-", delta[48] = "", max[48] = "";
	if (!isnan(x->p95_delta_pct))
		snprintf(delta, sizeof(delta), "green vs blue %+.1f %%", x->p95_delta_pct);
	if (!isnan(x->max_p95_delta_pct))
		snprintf(max, sizeof(max), "max %+.1f %%", x->max_p95_delta_pct);
	if (delta[0] || max[0])
		snprintf(limit, sizeof(limit), "%s%s%s", delta, delta[0] && max[0] ? ", " : "", max);
	fputs("<table>\n<tr><th>figure</th><th>green</th><th>blue</th><th>limit</th>"
	      "<th>against the limit</th></tr>\n", f);
	figure_row(f, "p95 latency", x->green_p95_ms, x->blue_p95_ms, "ms", limit,
		   report_limit_word(x->p95_delta_pct, x->max_p95_delta_pct));
	if (isnan(x->max_error_rate_pct))
		snprintf(limit, sizeof(limit), "-");
	else
		snprintf(limit, sizeof(limit), "green max %.1f %%", x->max_error_rate_pct);
	figure_row(f, "error rate", x->green_error_pct, x->blue_error_pct, "%", limit,
		   report_limit_word(x->green_error_pct, x->max_error_rate_pct));
	fputs("<tr><th>health</th><td>", f);
	h(f, x->green_health[0] ? x->green_health : "-");
	fputs("</td><td>", f);
	h(f, x->blue_health[0] ? x->blue_health : "-");
	fputs("</td><td></td><td></td></tr>\n", f);
	char t[32];
	const char *word = report_limit_word(x->green_5xx_pct, x->max_error_rate_pct);
	report_num_text(x->green_5xx_pct, "%", t, sizeof(t));
	fprintf(f, "<tr><th>real-traffic 5xx</th><td class=\"n\">%s</td><td></td><td>%s</td>"
		"<td%s>%s</td></tr>\n</table>\n", isnan(x->green_5xx_pct) ? "none seen" : t,
		isnan(x->max_error_rate_pct) ? "" : limit,
		strncmp(word, "OVER", 4) == 0 ? " class=\"over\"" : "", word);
	bool routers = !isnan(x->routers_up) && !isnan(x->routers_total);
	if (!x->verdict[0] && !routers && x->drift < 0)
		return;
	fputs("<p class=\"note\">", f);
	if (x->verdict[0]) {
		fputs("Verdict ", f);
		h(f, x->verdict);
		fputs(". ", f);
	}
	if (routers)
		fprintf(f, "Routers up: %g of %g. ", x->routers_up, x->routers_total);
	if (x->drift >= 0)
		fprintf(f, "Drift: %s.", x->drift ? "yes" : "no");
	fputs("</p>\n", f);
}

static void breach(FILE *f, const struct report_breach *b)
{
	char ev[sizeof(b->event)];
	snprintf(ev, sizeof(ev), "%s", b->event);
	for (char *p = ev; *p; p++)
		if (*p == '_')
			*p = ' ';
	fputs("<section>\n<h3>", f);
	h_time(f, b->at_ms);
	fputs(": ", f);
	h(f, b->service);
	fputs(", ", f);
	h(f, ev);
	if (b->step >= 0)
		fprintf(f, " at step %d", b->step);
	if (b->weight != REPORT_NO_WEIGHT)
		fprintf(f, " (green %d %%)", b->weight);
	fputs(", by ", f);
	h(f, b->actor);
	fputs("</h3>\n<p>", f);
	if (b->gate[0] || b->detail[0]) {
		fputs("Gate ", f);
		h(f, b->gate[0] ? b->gate : "-");
		fputs(": ", f);
		h(f, b->detail);
		fputs(".", f);
	} else {
		fputs("No gate named (an abort).", f);
	}
	if (b->failed_checks >= 0 && b->max_failed_checks >= 0)
		fprintf(f, " %d of %d failed checks.", b->failed_checks, b->max_failed_checks);
	if (b->plan[0]) {
		fputs(strcmp(b->event, "rolled_back") == 0 ? " Moved back by plan " : " Plan ", f);
		h(f, b->plan);
		fputs(".", f);
	}
	fputs("</p>\n", f);
	if (b->fig.present)
		figures(f, &b->fig);
	fputs("</section>\n", f);
}

static void dropped(FILE *f, const struct report_ring *ring, const char *what)
{
	if (report_ring_dropped(ring))
		fprintf(f, "<p class=\"note\">%zu earlier %s are not shown (the last %d are kept).</p>\n",
			report_ring_dropped(ring), what, REPORT_LIST_KEPT);
}

static void plan_row(FILE *f, const struct report_plan *p, bool forced)
{
	fputs("<tr><td>", f);
	h_time(f, p->at_ms);
	fputs("</td><td>", f);
	h(f, p->actor);
	fputs("</td><td>", f);
	h(f, p->plan);
	fputs("</td><td>", f);
	h(f, p->first_service);
	if (p->services > 1)
		fprintf(f, " and %zu more", p->services - 1);
	if (!forced)
		fprintf(f, "</td><td>%s", p->autopilot ? "by a rollout" : "manual");
	fputs("</td><td>", f);
	h(f, p->reason[0] ? p->reason : "-");
	if (forced) {
		fputs("</td><td>", f);
		h(f, p->blockers[0] ? p->blockers : "-");
	}
	fputs("</td></tr>\n", f);
}

static void breaches(FILE *f, const struct report *r)
{
	fputs("<h2>Breaches and rollbacks</h2>\n", f);
	if (!report_ring_len(&r->breaches))
		fputs("<p>No rollout check failed, halted or rolled back.</p>\n", f);
	for (size_t i = 0; i < report_ring_len(&r->breaches); i++)
		breach(f, report_ring_at(&r->breaches, i));
	dropped(f, &r->breaches, "breaches");
	fputs("<h3>Rollback plans</h3>\n", f);
	if (!report_ring_len(&r->rollbacks)) {
		fputs("<p>No rollback.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>time (UTC)</th><th>by</th><th>plan</th><th>services</th><th>kind</th>"
	      "<th>reason</th></tr>\n", f);
	for (size_t i = 0; i < report_ring_len(&r->rollbacks); i++)
		plan_row(f, report_ring_at(&r->rollbacks, i), false);
	fputs("</table>\n", f);
	dropped(f, &r->rollbacks, "rollbacks");
}

static void forced(FILE *f, const struct report *r)
{
	fputs("<h2>Forced moves</h2>\n", f);
	if (!report_ring_len(&r->forced)) {
		fputs("<p>No move was forced past a blocker.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>time (UTC)</th><th>forced by</th><th>plan</th><th>services</th>"
	      "<th>reason</th><th>blockers overridden</th></tr>\n", f);
	for (size_t i = 0; i < report_ring_len(&r->forced); i++)
		plan_row(f, report_ring_at(&r->forced, i), true);
	fputs("</table>\n", f);
	dropped(f, &r->forced, "forced moves");
}

static void actors(FILE *f, const struct report *r)
{
	fputs("<h2>Who did what</h2>\n<table>\n<tr><th>actor</th><th>plans</th><th>moves</th>"
	      "<th>rollbacks</th><th>forced</th><th>lever takes</th><th>rollout controls</th></tr>\n", f);
	for (size_t i = 0; i < r->n_actors; i++) {
		const struct report_actor *a = r->actors[i];
		fputs("<tr><td>", f);
		h(f, a->name);
		fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
			"<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n",
			a->plans, a->moves, a->rollbacks, a->forced, a->lever, a->controls);
	}
	fputs("</table>\n", f);
}

static void final_state(FILE *f, const struct report *r)
{
	fputs("<h2>Final state</h2>\n<table>\n<tr><th>service</th><th>weight</th><th>since</th>"
	      "<th>last rollout event</th></tr>\n", f);
	for (size_t i = 0; i < r->n_services; i++) {
		const struct report_service *s = r->services[i];
		fputs("<tr><td>", f);
		h(f, s->name);
		fputs("</td><td>", f);
		h_sides(f, s->weight);
		fputs("</td><td>", f);
		if (s->weight != REPORT_NO_WEIGHT)
			h_time(f, s->since_ms);
		fputs("</td><td>", f);
		h(f, s->rollout[0] ? s->rollout : "-");
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<p>Total duration: ", f);
	h_duration(f, r->last_ms - r->first_ms);
	fputs(".</p>\n", f);
	double us = report_cpu_us_per_check(r);
	if (us >= 0)
		fprintf(f, "<p>Autopilot CPU per evaluated check: %.1f \xc2\xb5s (%.3f s over %lld checks in "
			"%zu completed plan%s).</p>\n", us, r->cpu_s, r->checks, r->plans_completed,
			r->plans_completed == 1 ? "" : "s");
}

static int write_html(FILE *f, const struct report *r, struct co_error *err)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
	      "Release review: ", f);
	h(f, r->release);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n", style);
	header(f, r);
	fputs("</header>\n<main>\n<h2>Timeline per service</h2>\n", f);
	if (!r->n_services)
		fputs("<p>The journal names no service.</p>\n", f);
	for (size_t i = 0; i < r->n_services; i++)
		service_timeline(f, r, r->services[i]);
	breaches(f, r);
	forced(f, r);
	actors(f, r);
	final_state(f, r);
	fputs("</main>\n</body>\n</html>\n", f);
	if (fflush(f) != 0 || ferror(f)) {
		co_error_set(err, "cannot write the review: %s", strerror(errno));
		return -1;
	}
	return 0;
}

const struct report_format report_format_html = { .name = "html", .write = write_html };
