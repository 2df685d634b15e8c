/* rollout_restore: a restarted engine carries on. The journal says where
 * each rollout stood; a small clock file, saved every second, says how
 * long the running bakes had baked. Nothing is advanced on a guess: a
 * weight change a crash cut short is settled by reading the router, and
 * that step bakes again from zero. */
#include "rollout_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static int num(const cJSON *o, const char *key, int dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && v->valuedouble > -1e6 && v->valuedouble < 1e6 ? (int)v->valuedouble : dflt;
}

/* The run and wave a "started" record names, made again as needed. */
static void place(struct rollouts *r, struct ro_svc *s, const cJSON *rec)
{
	const char *id = str(rec, "run");
	int run = -1;
	for (size_t k = 0; k < r->n_runs && run < 0; k++)
		if (strcmp(r->runs[k].id, id) == 0)
			run = (int)k;
	bool plan = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "release_plan"));
	if (run < 0 && (run = ro_new_run(r, plan)) >= 0) {
		snprintf(r->runs[run].id, sizeof r->runs[run].id, "%s", id);
		r->runs[run].cpu_start = -1;	/* begun in an earlier engine */
	}
	int wave_no = num(rec, "wave", 1);
	while (run >= 0 && r->runs[run].n_waves < wave_no && wave_no <= 10000)
		if (ro_new_wave(r, run, num(rec, "parallel", 1)) < 0)
			break;
	s->run = run;
	s->wave = run >= 0 && wave_no >= 1 && wave_no <= r->runs[run].n_waves ? r->runs[run].first_wave + wave_no - 1 : -1;
}

static void set_phase(struct ro_svc *s, enum rollout_phase p)
{
	if (s->phase == ROLLOUT_PAUSED)
		s->before_pause = p;
	else
		s->phase = p;
}

static void apply(struct rollouts *r, struct ro_svc *s, const char *ev, const cJSON *rec)
{
	int step = num(rec, "step", 0) - 1;
	if (strcmp(ev, "started") == 0) {
		cJSON_Delete(s->last_figures);
		*s = (struct ro_svc){ .phase = ROLLOUT_PENDING, .step = -1, .expect_weight = -1 };
		place(r, s, rec);
	} else if (strcmp(ev, "advancing") == 0) {
		s->unsure = true;
		s->move_step = step;
		s->move_to = num(rec, "to", -1);
		set_phase(s, ROLLOUT_BAKING);
	} else if (strcmp(ev, "baking") == 0) {
		s->unsure = false;
		s->step = step;
		snprintf(s->bake_id, sizeof s->bake_id, "%s", str(rec, "bake_id"));
		set_phase(s, ROLLOUT_BAKING);
	} else if (strcmp(ev, "check_failed") == 0 || strcmp(ev, "halted") == 0) {
		s->failed = num(rec, "failed_checks", s->failed);
		snprintf(s->last_fail, sizeof s->last_fail, "%s: %s", str(rec, "gate"), str(rec, "detail"));
		snprintf(s->last_gate, sizeof s->last_gate, "%s", str(rec, "gate"));
		if (ev[0] == 'h') {
			set_phase(s, ROLLOUT_HALTED);
			s->unsure = false;	/* a restart's halt settled it */
		}
	} else if (strcmp(ev, "waiting") == 0) {
		s->step = step;
		set_phase(s, ROLLOUT_WAITING);
	} else if (strcmp(ev, "halted") == 0 && !cJSON_GetObjectItemCaseSensitive(rec, "gate")) {
		s->phase = ROLLOUT_HALTED;	/* (older bare records) */
		s->unsure = false;
	} else if (strcmp(ev, "rolled_back") == 0) {
		s->phase = ROLLOUT_ROLLED_BACK;
		s->rb_unsure = true;
		s->unsure = false;
	} else if (strcmp(ev, "done") == 0) {
		s->phase = ROLLOUT_DONE;
	} else if (strcmp(ev, "paused") == 0 && s->phase != ROLLOUT_PAUSED) {
		s->before_pause = s->phase;
		s->phase = ROLLOUT_PAUSED;
	} else if (strcmp(ev, "resumed") == 0) {
		bool halted = s->phase == ROLLOUT_HALTED || s->before_pause == ROLLOUT_HALTED;
		s->phase = halted ? ROLLOUT_BAKING : s->before_pause;
		if (halted)
			s->failed = 0, s->bake_id[0] = '\0', s->last_fail[0] = '\0';
	} else if (strcmp(ev, "aborted") == 0) {
		s->wave = -1;
	} else if (strcmp(ev, "promoted") == 0) {
		s->promote_full = s->promote_full || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "full"));
	}
}

/* A release plan that completed stays so: its record is not written again. */
static void plan_completed(struct rollouts *r, const cJSON *rec)
{
	for (size_t k = 0; k < r->n_runs; k++)
		if (strcmp(r->runs[k].id, str(rec, "run")) == 0)
			r->runs[k].ended = true;
}

static int on_record(const cJSON *rec, long line, void *ctx)
{
	struct rollouts *r = ctx;
	const char *type = str(rec, "type");
	if (strcmp(type, "rollout") == 0 && strcmp(str(rec, "event"), "plan_completed") == 0)
		plan_completed(r, rec);
	long i = config_find_service(r->cfg, str(rec, "service"));
	if (i < 0)
		return 0;
	if (strcmp(type, "outcome") == 0 && num(rec, "to", -1) == 0)
		r->s[i].rb_unsure = false;	/* the way back landed (an advance in flight does not count) */
	else if (strcmp(type, "rollout") == 0)
		apply(r, &r->s[i], str(rec, "event"), rec);
	return 0;
}

static void read_clocks(struct rollouts *r)
{
	FILE *f = r->d.clock_path ? fopen(r->d.clock_path, "r") : NULL;
	if (!f)
		return;
	size_t cap = 8u << 20, n = 0;	/* 100 bytes a bake is plenty */
	char *buf = malloc(cap);
	if (buf)
		n = fread(buf, 1, cap - 1, f);
	fclose(f);
	if (!buf)
		return;
	buf[n] = '\0';
	r->clocks = cJSON_Parse(buf);	/* unreadable: every bake restarts, the safe side */
	free(buf);
}

/* The journal may name steps the config no longer has (its steps were
 * edited between two engines) or odd numbers: such a rollout does not
 * trust its step and is settled by the router's weight, as after a crash. */
static void distrust_odd_steps(struct rollouts *r)
{
	for (size_t i = 0; i < r->cfg->n_services; i++) {
		struct ro_svc *s = &r->s[i];
		int n = (int)ro_conf(r, i)->n_steps;
		bool odd = s->step < -1 || s->step >= n || (s->unsure && (s->move_step < 0 || s->move_step >= n));
		if (!odd && s->phase == ROLLOUT_WAITING)
			odd = s->step < 0 || !ro_conf(r, i)->steps[s->step].pause;
		if (odd && ro_active(s->phase)) {
			s->step = -1;
			s->unsure = true;
			s->bake_id[0] = '\0';
		}
		if (s->step < -1 || s->step >= n)
			s->step = -1;
	}
}

void ro_restore_read(struct rollouts *r)
{
	struct co_error err;
	(void)journal_read(journal_path(r->d.j), on_record, r, &err);
	distrust_odd_steps(r);
	read_clocks(r);
}

/* The step a restored change really reached, by the router's weight. */
static void settle_unsure(struct rollouts *r, size_t i, uint64_t now)
{
	struct ro_svc *s = &r->s[i];
	const struct rollout_conf *rc = ro_conf(r, i);
	int w = r->snap.svc[i].weight;
	int at = -2;	/* -2: no step has this weight */
	if (w == 0)
		at = -1;
	for (size_t k = 0; k < rc->n_steps; k++)
		if (!rc->steps[k].pause && rc->steps[k].weight == w)
			at = (int)k;
	s->unsure = false;
	s->expect_weight = w;
	if (at == -2) {
		char d[128];
		snprintf(d, sizeof d, "after a restart the router reads %d%%, which is no step of this rollout", w);
		ro_halt(r, i, "restart", d, NULL);
		return;
	}
	s->step = at;
	if (at >= 0)
		ro_landed_again(r, i, now);
}

static bool baking(const struct ro_svc *s)
{
	return s->phase == ROLLOUT_BAKING || (s->phase == ROLLOUT_PAUSED && s->before_pause == ROLLOUT_BAKING);
}

void ro_restore_settle(struct rollouts *r, uint64_t now)
{
	for (size_t i = 0; i < r->cfg->n_services; i++) {
		struct ro_svc *s = &r->s[i];
		int w = r->snap.svc[i].weight;
		if (s->phase == ROLLOUT_ROLLED_BACK && s->rb_unsure && w > 0) {
			ro_queue_move(r, i, s->step < 0 ? 0 : s->step, true);
			s->phase = ROLLOUT_BAKING;	/* lands as rolled back */
		} else if (ro_active(s->phase) && s->unsure) {
			settle_unsure(r, i, now);
		} else if (baking(s) && s->step >= 0 && !s->bake_id[0]) {
			ro_landed_again(r, i, now);	/* resumed from a halt: the step bakes from zero */
		} else if (baking(s) && s->step >= 0 && s->bake_id[0]) {
			const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->clocks, "bakes"), s->bake_id);
			int64_t baked = cJSON_IsNumber(c) && c->valuedouble > 0 ? (int64_t)c->valuedouble : 0;
			ro_bake_resume(r, i, baked, now);
		}
		if (ro_active(s->phase) && !s->moving)
			s->expect_weight = w;
	}
	cJSON_Delete(r->clocks);
	r->clocks = NULL;
}

void ro_clock_save(struct rollouts *r, uint64_t now)
{
	if (!r->d.clock_path || (now != UINT64_MAX && now - r->last_clock_ms < 1000))
		return;
	if (now != UINT64_MAX)
		r->last_clock_ms = now;
	cJSON *o = cJSON_CreateObject(), *b = cJSON_AddObjectToObject(o, "bakes");
	bool any = false;
	for (size_t i = 0; i < r->cfg->n_services; i++) {
		const struct ro_svc *s = &r->s[i];
		bool baking = s->phase == ROLLOUT_BAKING || (s->phase == ROLLOUT_PAUSED && s->before_pause == ROLLOUT_BAKING);
		if (baking && !s->moving && s->bake_id[0] && s->baked_ms > 0) {
			cJSON_AddNumberToObject(b, s->bake_id, (double)s->baked_ms);
			any = true;
		}
	}
	char *text = any || r->had_clocks ? cJSON_PrintUnformatted(o) : NULL;
	r->had_clocks = any;
	cJSON_Delete(o);
	if (!text)
		return;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", r->d.clock_path);
	FILE *f = fopen(tmp, "w");
	if (f) {
		bool ok = fputs(text, f) >= 0;
		ok = fclose(f) == 0 && ok;
		if (ok)
			rename(tmp, r->d.clock_path);
		else
			remove(tmp);
	}
	free(text);
}
