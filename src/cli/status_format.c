/* status_format: `cutover status` output, table and JSON. */
#include "status_format.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/state_json.h"
#include "cutover/verdict.h"

void status_print_json(FILE *out, const struct snapshot *snap, double probed_s)
{
	cJSON *root = state_doc_json(snap, probed_s, false);
	char *text = root ? cJSON_Print(root) : NULL;
	if (text) {
		fputs(text, out);
		fputc('\n', out);
	}
	free(text);
	cJSON_Delete(root);
}

static void fmt_ms(char *buf, size_t cap, double v, bool known)
{
	if (!known || !isfinite(v))
		snprintf(buf, cap, "-");
	else if (v < 10)
		snprintf(buf, cap, "%.1fms", v);
	else
		snprintf(buf, cap, "%.0fms", v);
}

/* Sides are told apart by position and by their B/G labels, never by colour. */
static void print_side(FILE *out, const struct side_stats *s, const struct endpoint_conf *ep)
{
	char p95[16];
	fmt_ms(p95, sizeof(p95), s->p95_ms, state_has_latency(s));
	const char *h = s->health == HEALTH_UP ? "up" : s->health == HEALTH_DOWN ? "DOWN" : "?";
	fprintf(out, " %-4s%s %7s %5.1f%%", h, ep->insecure ? "!" : " ", p95, s->error_pct);
}

/* The router's own per-side figures, on a line of their own under the
 * service, when it gives any (haproxy does; rehearsal and exec do not). */
static void print_endpoints(FILE *out, const struct service_state *st)
{
	const struct side_traffic *t = st->traffic;
	if (!t[SIDE_BLUE].endpoints_known && !t[SIDE_GREEN].endpoints_known)
		return;
	fprintf(out, "%24sready endpoints", "");
	for (int s = 0; s < 2; s++) {
		fprintf(out, "%s %s: ", s ? "  |" : "", s == SIDE_BLUE ? "B" : "G");
		if (t[s].endpoints_known && t[s].endpoints_ready >= 0)
			fprintf(out, "%d", t[s].endpoints_ready);
		else if (t[s].endpoints_known)
			fputs("unreadable", out);
		else
			fputc('-', out);
	}
	fputc('\n', out);
}

static void print_traffic(FILE *out, const struct service_state *st)
{
	print_endpoints(out, st);
	if (!st->traffic[SIDE_BLUE].known && !st->traffic[SIDE_GREEN].known)
		return;
	fprintf(out, "%24srouter traffic", "");
	for (int s = 0; s < 2; s++) {
		const struct side_traffic *t = &st->traffic[s];
		const char *tag = s == SIDE_BLUE ? "B" : "G";
		if (!t->known) {
			fprintf(out, "%s %s: -", s ? "  |" : "", tag);
			continue;
		}
		char rt[16], e5[16] = "-";
		fmt_ms(rt, sizeof(rt), t->rtime_ms, t->requests > 0);
		if (t->requests > 0)
			snprintf(e5, sizeof(e5), "%.1f%%", t->err5xx_pct);
		fprintf(out, "%s %s: %llu req, %ld sess, rt %s, 5xx %s", s ? "  |" : "", tag,
			(unsigned long long)t->requests, t->sessions, rt, e5);
	}
	fputc('\n', out);
}

static void print_header(FILE *out, const struct snapshot *snap, double probed_s)
{
	const struct config *cfg = snap->cfg;
	char up[48] = "not read";
	if (snap->router_known)
		snprintf(up, sizeof(up), "%d/%d up", snap->routers_up, snap->routers_total);
	fprintf(out, "release %s   B=blue: %s   G=green: %s   router %s %s%s   probed %.1fs\n",
		cfg->release, cfg->label[SIDE_BLUE], cfg->label[SIDE_GREEN],
		driver_name(cfg->router.driver), up,
		cfg->router.driver == DRIVER_REHEARSAL ? " (REHEARSAL)" : "", probed_s);
	if (cfg->router.driver == DRIVER_REHEARSAL)
		fprintf(out, "*** REHEARSAL: weights are cutover's own; no router is changed ***\n");
	if (snap->router_warning[0])
		fprintf(out, "WARNING: router: %s\n", snap->router_warning);
	fprintf(out, "%-22s %-7s %-12s %4s | %-5s %7s %6s | %-5s %7s %6s | %8s %7s  %-8s %s\n",
		"SERVICE", "KIND", "GROUP", "W%", "B", "p95", "err", "G", "p95", "err",
		"dp95", "dp95%", "VERDICT", "REASON");
}

/* "25", "25~" with drift, "-" before the router is read. */
static void fmt_weight(char *buf, size_t cap, const struct service_state *st)
{
	if (st->weight == WEIGHT_UNKNOWN)
		snprintf(buf, cap, "-%s", st->drift ? "~" : "");
	else
		snprintf(buf, cap, "%d%s", st->weight, st->drift ? "~" : "");
}

static void print_row(FILE *out, const struct snapshot *snap, size_t i)
{
	const struct service_conf *sc = &snap->cfg->services[i];
	const struct service_state *st = &snap->svc[i];
	char w[16], dms[16], dpct[16];
	bool both = state_has_latency(&st->side[0]) && state_has_latency(&st->side[1]);
	struct p95_delta d = verdict_delta(st->side[0].p95_ms, st->side[1].p95_ms);
	fmt_weight(w, sizeof(w), st);
	if (both && isfinite(d.ms))
		snprintf(dms, sizeof(dms), "%+.1fms", d.ms);
	else
		snprintf(dms, sizeof(dms), "-");
	if (both && isfinite(d.pct))
		snprintf(dpct, sizeof(dpct), "%+.0f%%", d.pct);
	else
		snprintf(dpct, sizeof(dpct), "-");
	fprintf(out, "%-22.22s %-7s %-12.12s %4s |", sc->name, kind_name(sc->kind),
		sc->group[0] ? sc->group : "-", w);
	print_side(out, &st->side[SIDE_BLUE], &sc->side[SIDE_BLUE]);
	fprintf(out, " |");
	print_side(out, &st->side[SIDE_GREEN], &sc->side[SIDE_GREEN]);
	fprintf(out, " | %8s %7s  %-8s %s\n", dms, dpct, verdict_name(st->verdict), st->reason);
	if (st->drift)
		fprintf(out, "%24sDRIFT: %s\n", "", st->drift_detail);
	print_traffic(out, st);
	for (int s = 0; s < 2; s++)
		if (st->side[s].last_error[0])
			fprintf(out, "%24s%s: %s\n", "", side_name((enum side)s), st->side[s].last_error);
}

void status_print_table(FILE *out, const struct snapshot *snap, double probed_s)
{
	const struct config *cfg = snap->cfg;
	bool any_drift = false;
	print_header(out, snap, probed_s);
	for (size_t i = 0; i < snap->n; i++) {
		print_row(out, snap, i);
		any_drift |= snap->svc[i].drift;
	}
	if (any_drift)
		fprintf(out, "W%% ~ marks DRIFT: the router differs from the journal or across instances;\n"
			     "  cutover reapply SERVICE (or --all) sets the journal's weight again\n");
	for (size_t i = 0; i < snap->n; i++)
		for (int s = 0; s < 2; s++)
			if (cfg->services[i].side[s].insecure)
				fprintf(out, "WARNING: %s %s is probed WITHOUT TLS verification (insecure)\n",
					cfg->services[i].name, side_name((enum side)s));
}
