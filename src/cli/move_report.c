/* move_report: the words (or JSON) of move, rollback and reapply. */
#include "move_report.h"

#include <stdio.h>
#include <stdlib.h>

static void weight_text(int w, char *out, size_t cap)
{
	if (w == WEIGHT_UNKNOWN)
		snprintf(out, cap, "unknown");
	else
		snprintf(out, cap, "%d", w);
}

static cJSON *weight_json(int w)
{
	return w == WEIGHT_UNKNOWN ? cJSON_CreateNull() : cJSON_CreateNumber(w);
}

int move_report_init(struct move_report *r, bool json, const char *command)
{
	r->json = json;
	r->doc = NULL;
	if (!json)
		return 0;
	r->doc = cJSON_CreateObject();
	if (!r->doc || !cJSON_AddStringToObject(r->doc, "command", command) ||
	    !cJSON_AddNullToObject(r->doc, "plan") || !cJSON_AddArrayToObject(r->doc, "recovered") ||
	    !cJSON_AddFalseToObject(r->doc, "nothing_to_do") || !cJSON_AddNullToObject(r->doc, "result") ||
	    !cJSON_AddNullToObject(r->doc, "readback")) {
		cJSON_Delete(r->doc);
		r->doc = NULL;
		return -1;
	}
	return 0;
}

void move_report_recovered(struct move_report *r, const char *line)
{
	if (!r->json) {
		printf("%s\n", line);
		fflush(stdout);
		return;
	}
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(r->doc, "recovered"),
			     cJSON_CreateString(line));
}

void move_report_nothing(struct move_report *r, const char *why)
{
	if (!r->json) {
		printf("nothing to do: %s\n", why);
		return;
	}
	cJSON_ReplaceItemInObjectCaseSensitive(r->doc, "nothing_to_do", cJSON_CreateTrue());
}

static void plan_json(struct move_report *r, const struct plan *p, const struct snapshot *snap)
{
	const struct config *cfg = snap->cfg;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", p->id);
	cJSON_AddBoolToObject(o, "rollback", p->rollback);
	cJSON_AddBoolToObject(o, "reapply", p->reapply);
	cJSON_AddBoolToObject(o, "rehearsal", cfg->router.driver == DRIVER_REHEARSAL);
	cJSON *rt = cJSON_AddObjectToObject(o, "router");
	cJSON_AddStringToObject(rt, "driver", driver_name(cfg->router.driver));
	cJSON_AddNumberToObject(rt, "up", snap->routers_up);
	cJSON_AddNumberToObject(rt, "total", snap->routers_total);
	cJSON_AddItemToObject(o, "gates", plan_gates_json(p, PLAN_WHOLE, false));
	cJSON *moves = cJSON_AddArrayToObject(o, "moves");
	for (size_t k = 0; k < p->n_moves; k++) {
		const struct plan_move *mv = &p->moves[k];
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "service", cfg->services[mv->service].name);
		cJSON_AddStringToObject(m, "kind", kind_name(cfg->services[mv->service].kind));
		cJSON_AddItemToObject(m, "from", weight_json(mv->from));
		cJSON_AddNumberToObject(m, "to", mv->to);
		cJSON_AddItemToObject(m, "gates", plan_gates_json(p, mv->service, false));
		cJSON_AddItemToArray(moves, m);
	}
	cJSON_AddNumberToObject(o, "blockers", (double)p->n_blockers);
	cJSON_AddNumberToObject(o, "warnings", (double)p->n_warnings);
	cJSON_ReplaceItemInObjectCaseSensitive(r->doc, "plan", o);
}

static void print_gate(const struct gate_result *g, const char *indent)
{
	printf("%s%-5s %-14s %s\n", indent, gate_level_name(g->level), g->name, g->detail);
}

void move_report_plan(struct move_report *r, const struct plan *p, const struct snapshot *snap)
{
	const struct config *cfg = snap->cfg;
	if (r->json) {
		plan_json(r, p, snap);
		return;
	}
	if (cfg->router.driver == DRIVER_REHEARSAL)
		printf("*** REHEARSAL: the rehearsal driver changes nothing outside cutover ***\n");
	printf("plan %s%s: %zu service%s, router %s (%d of %d instances reachable)\n", p->id,
	       p->rollback ? " (rollback)" : p->reapply ? " (reapply)" : "", p->n_moves,
	       p->n_moves == 1 ? "" : "s", driver_name(cfg->router.driver), snap->routers_up,
	       snap->routers_total);
	for (size_t i = 0; i < p->n_gates; i++)
		if (p->gates[i].service == PLAN_WHOLE)
			print_gate(&p->gates[i], "  ");
	for (size_t k = 0; k < p->n_moves; k++) {
		const struct plan_move *mv = &p->moves[k];
		char from[16];
		weight_text(mv->from, from, sizeof(from));
		printf("  %s (%s): %s -> %d\n", cfg->services[mv->service].name,
		       kind_name(cfg->services[mv->service].kind), from, mv->to);
		for (size_t i = 0; i < p->n_gates; i++)
			if (p->gates[i].service == mv->service)
				print_gate(&p->gates[i], "      ");
	}
	printf("%zu blocker%s, %zu warning%s\n", p->n_blockers, p->n_blockers == 1 ? "" : "s",
	       p->n_warnings, p->n_warnings == 1 ? "" : "s");
	fflush(stdout);
}

void move_report_result(struct move_report *r, const struct executor_progress *pr)
{
	if (!r->json) {
		printf("%s: %s\n", pr->ok ? "applied" : "FAILED", pr->result);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", pr->ok);
	cJSON_AddNumberToObject(o, "done", (double)pr->done);
	cJSON_AddNumberToObject(o, "total", (double)pr->total);
	cJSON_AddStringToObject(o, "detail", pr->result);
	cJSON_ReplaceItemInObjectCaseSensitive(r->doc, "result", o);
}

void move_report_verified(struct move_report *r, size_t instances)
{
	if (!r->json)
		printf("  read back: every instance holds every weight set (%zu instance%s)\n", instances,
		       instances == 1 ? "" : "s");
	else
		cJSON_AddTrueToObject(cJSON_GetObjectItemCaseSensitive(r->doc, "result"), "verified");
}

void move_report_readback(struct move_report *r, const struct plan *p, const struct router_view *v)
{
	const struct config *cfg = v->cfg;
	cJSON *all = r->json ? cJSON_CreateObject() : NULL;
	for (size_t k = 0; k < p->n_moves; k++) {
		size_t s = p->moves[k].service;
		cJSON *svc = all ? cJSON_AddObjectToObject(all, cfg->services[s].name) : NULL;
		if (!r->json)
			printf("  %s:", cfg->services[s].name);
		for (size_t i = 0; i < v->n_instances; i++) {
			const struct instance_result *ir = &v->inst[i];
			int w = ir->ok ? router_view_obs(v, i, s)->weight : WEIGHT_UNKNOWN;
			char wt[16];
			weight_text(w, wt, sizeof(wt));
			if (svc)
				cJSON_AddItemToObject(svc, ir->name, weight_json(w));
			else if (!ir->ok)
				printf(" %s unreachable (%s);", ir->name, router_instance_reason(ir));
			else
				printf(" %s %s;", ir->name, wt);
		}
		if (!r->json)
			printf("\n");
	}
	if (all)
		cJSON_ReplaceItemInObjectCaseSensitive(r->doc, "readback", all);
}

void move_report_finish(struct move_report *r, const char *error, int exit_code)
{
	if (!r->json || !r->doc)
		return;
	if (error)
		cJSON_AddStringToObject(r->doc, "error", error);
	else
		cJSON_AddNullToObject(r->doc, "error");
	cJSON_AddNumberToObject(r->doc, "exit", exit_code);
	char *text = cJSON_Print(r->doc);
	if (text)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(r->doc);
	r->doc = NULL;
}
