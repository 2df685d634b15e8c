/* plan_json: plan requests and plans as JSON (see plan_request.h). */
#include "cutover/plan_request.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *plan_kind_name(enum plan_kind k)
{
	return k == PLAN_ROLLBACK ? "rollback" : k == PLAN_REAPPLY ? "reapply" : "move";
}

void plan_request_done(struct plan_request *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_targets; i++)
		free(r->targets[i]);
	free(r->targets);
	free(r->reason);
	memset(r, 0, sizeof *r);
}

int plan_targets_parse(const cJSON *t, char ***out, size_t *n_out, struct co_error *err)
{
	if (!cJSON_IsArray(t)) {
		co_error_set(err, "targets: expected an array of service names and @groups");
		return -1;
	}
	int n = cJSON_GetArraySize(t);
	if (n > 100000) {
		co_error_set(err, "targets: %d entries is more than 100000", n);
		return -1;
	}
	*out = calloc((size_t)n + 1, sizeof **out);
	if (!*out) {
		co_error_set(err, "out of memory");
		return -1;
	}
	int i = 0;
	for (const cJSON *e = t->child; e; e = e->next, i++) {
		if (!cJSON_IsString(e) || !e->valuestring[0] || strlen(e->valuestring) > 255) {
			co_error_set(err, "targets[%d]: expected a service name or @group (1..255 characters)", i);
			return -1;
		}
		if (!((*out)[(*n_out)++] = strdup(e->valuestring))) {
			co_error_set(err, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int parse_targets(const cJSON *t, struct plan_request *r, struct co_error *err)
{
	return plan_targets_parse(t, &r->targets, &r->n_targets, err);
}

static int parse_kind(const cJSON *k, struct plan_request *r, struct co_error *err)
{
	if (!k)
		return 0;
	const char *s = cJSON_IsString(k) ? k->valuestring : "";
	if (strcmp(s, "move") == 0)
		r->kind = PLAN_MOVE;
	else if (strcmp(s, "rollback") == 0)
		r->kind = PLAN_ROLLBACK;
	else if (strcmp(s, "reapply") == 0)
		r->kind = PLAN_REAPPLY;
	else {
		co_error_set(err, "kind: expected \"move\", \"rollback\" or \"reapply\"");
		return -1;
	}
	return 0;
}

static int parse_bool(const cJSON *v, const char *key, bool *out, struct co_error *err)
{
	if (!v)
		return 0;
	if (!cJSON_IsBool(v)) {
		co_error_set(err, "%s: expected true or false", key);
		return -1;
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

int plan_body_keys(const cJSON *o, const char *const *known, const char *expected,
		   struct co_error *err)
{
	unsigned seen = 0;
	for (const cJSON *e = o->child; e; e = e->next) {
		size_t k = 0;
		while (known[k] && strcmp(known[k], e->string) != 0)
			k++;
		if (!known[k]) {
			co_error_set(err, "%.64s: unknown key (expected %s)", e->string, expected);
			return -1;
		}
		/* Two "to"s: which one the sender meant is anyone's guess. */
		if (seen & (1u << k)) {
			co_error_set(err, "%s: given twice", known[k]);
			return -1;
		}
		seen |= 1u << k;
	}
	return 0;
}

/* Every key the request knows; anything else is named as unknown. */
static int check_keys(const cJSON *o, struct co_error *err)
{
	static const char *const known[] = { "kind", "targets", "all", "to", "weight", "step", "force",
					     "reason", NULL };
	return plan_body_keys(o, known, "kind, targets, all, to, weight, step, force, reason", err);
}

static int parse_goal(const cJSON *o, struct plan_request *r, struct co_error *err)
{
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(o, "to");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "weight");
	bool step = false;
	if (parse_bool(cJSON_GetObjectItemCaseSensitive(o, "step"), "step", &step, err) < 0)
		return -1;
	if (r->kind != PLAN_MOVE) {
		if (to || w || step) {
			co_error_set(err, "%s: a %s takes no to, weight or step", to ? "to" : w ? "weight" : "step",
				     plan_kind_name(r->kind));
			return -1;
		}
		r->goal = r->kind == PLAN_ROLLBACK ? GOAL_BLUE : GOAL_JOURNAL;
		return 0;
	}
	const char *side = cJSON_IsString(to) ? to->valuestring : NULL;
	if (!side || (strcmp(side, "green") && strcmp(side, "blue"))) {
		co_error_set(err, "to: expected \"green\" or \"blue\"");
		return -1;
	}
	bool green = side[0] == 'g';
	r->goal = green ? GOAL_GREEN : GOAL_BLUE;
	if (w && step) {
		co_error_set(err, "weight: weight and step exclude each other");
		return -1;
	}
	if (step)
		r->goal = green ? GOAL_STEP_GREEN : GOAL_STEP_BLUE;
	if (w) {
		double d = cJSON_IsNumber(w) ? w->valuedouble : -1;
		if (!(d >= 0 && d <= 100) || d != floor(d)) {
			co_error_set(err, "weight: expected an integer 0..100");
			return -1;
		}
		r->goal = GOAL_WEIGHT;
		r->weight = (int)d;
	}
	return 0;
}

static int parse_object(const cJSON *o, struct plan_request *r, struct co_error *err)
{
	if (!cJSON_IsObject(o)) {
		co_error_set(err, "body: expected a JSON object");
		return -1;
	}
	if (check_keys(o, err) < 0 || parse_kind(cJSON_GetObjectItemCaseSensitive(o, "kind"), r, err) < 0 ||
	    parse_bool(cJSON_GetObjectItemCaseSensitive(o, "all"), "all", &r->all, err) < 0 ||
	    parse_bool(cJSON_GetObjectItemCaseSensitive(o, "force"), "force", &r->force, err) < 0)
		return -1;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "targets");
	if (t && parse_targets(t, r, err) < 0)
		return -1;
	if (r->all && r->kind == PLAN_MOVE) {
		co_error_set(err, "all: is for rollback and reapply; a move names its targets");
		return -1;
	}
	if (r->all == (r->n_targets > 0)) {
		co_error_set(err, "targets: name at least one service or @group%s",
			     r->kind == PLAN_MOVE ? "" : ", or say \"all\": true (not both)");
		return -1;
	}
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(o, "reason");
	if (why && (!cJSON_IsString(why) || strlen(why->valuestring) > 400)) {
		co_error_set(err, "reason: expected a string of at most 400 characters");
		return -1;
	}
	if (why && why->valuestring[0] && !(r->reason = strdup(why->valuestring))) {
		co_error_set(err, "out of memory");
		return -1;
	}
	if (r->force && !r->reason) {
		co_error_set(err, "reason: force needs a reason (it is journaled)");
		return -1;
	}
	return parse_goal(o, r, err);
}

cJSON *plan_body_parse(const char *body, size_t len, struct co_error *err)
{
	if (len > PLAN_REQUEST_MAX_BYTES) {
		co_error_set(err, "body: %zu bytes is more than the limit of %u", len,
			     PLAN_REQUEST_MAX_BYTES);
		return NULL;
	}
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!o) {
		size_t at = end && end >= body ? (size_t)(end - body) : 0;
		co_error_set(err, "body: malformed JSON near byte %zu", at);
		return NULL;
	}
	while (end < body + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != body + len) {
		cJSON_Delete(o);
		co_error_set(err, "body: unexpected bytes after the JSON object, at byte %zu",
			     (size_t)(end - body));
		return NULL;
	}
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		co_error_set(err, "body: expected a JSON object");
		return NULL;
	}
	return o;
}

int plan_request_parse(const char *body, size_t len, struct plan_request *out,
		       struct co_error *err)
{
	memset(out, 0, sizeof *out);
	cJSON *o = plan_body_parse(body, len, err);
	if (!o)
		return -1;
	int rc = parse_object(o, out, err);
	cJSON_Delete(o);
	if (rc < 0)
		plan_request_done(out);
	return rc;
}

cJSON *plan_request_json(const struct plan_request *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", plan_kind_name(r->kind));
	if (r->all)
		cJSON_AddBoolToObject(o, "all", true);
	else {
		cJSON *t = cJSON_AddArrayToObject(o, "targets");
		for (size_t i = 0; i < r->n_targets; i++)
			cJSON_AddItemToArray(t, cJSON_CreateString(r->targets[i]));
	}
	if (r->kind == PLAN_MOVE) {
		bool green = r->goal == GOAL_GREEN || r->goal == GOAL_STEP_GREEN ||
			     (r->goal == GOAL_WEIGHT && r->weight > 0);
		cJSON_AddStringToObject(o, "to", green ? "green" : "blue");
		if (r->goal == GOAL_STEP_GREEN || r->goal == GOAL_STEP_BLUE)
			cJSON_AddBoolToObject(o, "step", true);
		if (r->goal == GOAL_WEIGHT)
			cJSON_AddNumberToObject(o, "weight", r->weight);
	}
	if (r->force)
		cJSON_AddBoolToObject(o, "force", true);
	if (r->reason)
		cJSON_AddStringToObject(o, "reason", r->reason);
	return o;
}

static void add_weight(cJSON *o, const char *key, int w)
{
	if (w == WEIGHT_UNKNOWN)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, w);
}

cJSON *plan_json(const struct plan *p, const struct config *cfg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", p->id);
	cJSON_AddStringToObject(o, "kind", p->rollback ? "rollback" : p->reapply ? "reapply" : "move");
	cJSON_AddStringToObject(o, "actor", p->actor);
	cJSON *mv = cJSON_AddArrayToObject(o, "moves");
	for (size_t i = 0; i < p->n_moves; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "service", cfg->services[p->moves[i].service].name);
		add_weight(m, "from", p->moves[i].from);
		add_weight(m, "to", p->moves[i].to);
		cJSON_AddItemToArray(mv, m);
	}
	cJSON *gs = cJSON_AddArrayToObject(o, "gates");
	for (size_t i = 0; i < p->n_gates; i++) {
		const struct gate_result *g = &p->gates[i];
		cJSON *j = cJSON_CreateObject();
		if (g->service == PLAN_WHOLE)
			cJSON_AddNullToObject(j, "service");
		else
			cJSON_AddStringToObject(j, "service", cfg->services[g->service].name);
		cJSON_AddStringToObject(j, "gate", g->name);
		cJSON_AddStringToObject(j, "level", gate_level_name(g->level));
		cJSON_AddStringToObject(j, "detail", g->detail);
		cJSON_AddItemToArray(gs, j);
	}
	cJSON_AddNumberToObject(o, "blockers", (double)p->n_blockers);
	cJSON_AddNumberToObject(o, "warnings", (double)p->n_warnings);
	return o;
}

static int weight_of(const cJSON *v, int *out)
{
	if (cJSON_IsNull(v)) {
		*out = WEIGHT_UNKNOWN;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 100)
		return -1;
	*out = (int)v->valuedouble;
	return 0;
}

static int service_of(const cJSON *v, const struct config *cfg, size_t *out)
{
	long i = cJSON_IsString(v) ? config_find_service(cfg, v->valuestring) : -1;
	if (i < 0)
		return -1;
	*out = (size_t)i;
	return 0;
}

static int gate_from_json(const cJSON *g, const struct config *cfg, struct gate_result *out)
{
	const cJSON *svc = cJSON_GetObjectItemCaseSensitive(g, "service");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "gate");
	const cJSON *lvl = cJSON_GetObjectItemCaseSensitive(g, "level");
	const cJSON *det = cJSON_GetObjectItemCaseSensitive(g, "detail");
	if (!cJSON_IsString(name) || !cJSON_IsString(lvl) || !cJSON_IsString(det))
		return -1;
	out->service = PLAN_WHOLE;
	if (!cJSON_IsNull(svc) && service_of(svc, cfg, &out->service) < 0)
		return -1;
	snprintf(out->name, sizeof out->name, "%s", name->valuestring);
	snprintf(out->detail, sizeof out->detail, "%s", det->valuestring);
	const char *l = lvl->valuestring;
	out->level = strcmp(l, "block") == 0 ? GATE_BLOCK : strcmp(l, "warn") == 0 ? GATE_WARN : GATE_PASS;
	return 0;
}

int plan_from_json(const cJSON *o, const struct config *cfg, struct plan *out,
		   struct co_error *err)
{
	memset(out, 0, sizeof *out);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(o, "actor");
	const cJSON *mv = cJSON_GetObjectItemCaseSensitive(o, "moves");
	const cJSON *gs = cJSON_GetObjectItemCaseSensitive(o, "gates");
	if (!cJSON_IsString(id) || !cJSON_IsString(kind) || !cJSON_IsArray(mv) || !cJSON_IsArray(gs)) {
		co_error_set(err, "plan: expected id, kind, moves and gates");
		return -1;
	}
	snprintf(out->id, sizeof out->id, "%s", id->valuestring);
	if (cJSON_IsString(actor))
		snprintf(out->actor, sizeof out->actor, "%s", actor->valuestring);
	out->rollback = strcmp(kind->valuestring, "rollback") == 0;
	out->reapply = strcmp(kind->valuestring, "reapply") == 0;
	int nm = cJSON_GetArraySize(mv), ng = cJSON_GetArraySize(gs);
	out->moves = calloc(nm ? (size_t)nm : 1, sizeof *out->moves);
	out->gates = calloc(ng ? (size_t)ng : 1, sizeof *out->gates);
	if (!out->moves || !out->gates) {
		co_error_set(err, "out of memory");
		goto fail;
	}
	for (const cJSON *m = mv->child; m; m = m->next, out->n_moves++) {
		struct plan_move *pm = &out->moves[out->n_moves];
		if (service_of(cJSON_GetObjectItemCaseSensitive(m, "service"), cfg, &pm->service) < 0 ||
		    weight_of(cJSON_GetObjectItemCaseSensitive(m, "from"), &pm->from) < 0 ||
		    weight_of(cJSON_GetObjectItemCaseSensitive(m, "to"), &pm->to) < 0) {
			co_error_set(err, "plan.moves[%zu]: unknown service or bad weight", out->n_moves);
			goto fail;
		}
	}
	for (const cJSON *g = gs->child; g; g = g->next, out->n_gates++) {
		if (gate_from_json(g, cfg, &out->gates[out->n_gates]) < 0) {
			co_error_set(err, "plan.gates[%zu]: unknown service or missing field", out->n_gates);
			goto fail;
		}
		out->n_blockers += out->gates[out->n_gates].level == GATE_BLOCK;
		out->n_warnings += out->gates[out->n_gates].level == GATE_WARN;
	}
	return 0;
fail:
	plan_done(out);
	return -1;
}
