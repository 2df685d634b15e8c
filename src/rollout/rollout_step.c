/* rollout_step: one service's machine. A step is a weight change, then a
 * bake: checks at every probe interval, counted failures, and an advance
 * only once the bake ran out and the last check passed. */
#include "rollout_private.h"

#include <stdio.h>
#include <string.h>

static void new_bake_id(struct rollouts *r, size_t i, char *out, size_t cap)
{
	char t[40];
	journal_time_iso(t, sizeof t);
	snprintf(out, cap, "%zx-%.19s-%u", i, t, ++r->id_counter);
}

void ro_bake_start(struct rollouts *r, size_t i, int64_t baked_ms, uint64_t now)
{
	struct ro_svc *s = &r->s[i];
	if (s->phase == ROLLOUT_PAUSED)
		s->before_pause = ROLLOUT_BAKING;
	else
		s->phase = ROLLOUT_BAKING;
	s->baked_ms = baked_ms;
	s->bake_tick_ms = now;
	s->checked = s->last_ok = s->hold = false;
	s->traffic_base = false;
	if (!baked_ms || !s->bake_id[0])
		new_bake_id(r, i, s->bake_id, sizeof s->bake_id);
}

void ro_queue_move(struct rollouts *r, size_t i, int step, bool rollback)
{
	struct ro_svc *s = &r->s[i];
	const struct rollout_conf *rc = ro_conf(r, i);
	s->moving = s->queued = true;
	s->move_rollback = rollback;
	s->move_step = step;
	s->move_to = rollback ? 0 : rc->steps[step].weight;
	s->move_seq = 0;
	s->announced = false;
}

/* Said when the change is handed over, before the executor's intents. */
void ro_journal_advancing(struct rollouts *r, size_t i)
{
	const struct ro_svc *s = &r->s[i];
	cJSON *o = ro_record(r, i, "advancing");
	cJSON_AddNumberToObject(o, "step", s->move_step + 1);
	cJSON_AddNumberToObject(o, "steps", (double)ro_conf(r, i)->n_steps);
	cJSON_AddNumberToObject(o, "from", r->snap.svc[i].weight);
	cJSON_AddNumberToObject(o, "to", s->move_to);
	ro_journal(r, NULL, NULL, o);
}

static void finish(struct rollouts *r, size_t i)
{
	struct ro_svc *s = &r->s[i];
	s->phase = ROLLOUT_DONE;
	s->last_fail[0] = '\0';
	cJSON *o = ro_record(r, i, "done");
	cJSON_AddNumberToObject(o, "weight", 100);
	ro_journal(r, NULL, NULL, o);
	ro_alert(r, ALERT_COMPLETED, i, "at 100% on green, baked", NULL);
}

/* From step s->step to the next: a weight change, a pause, or the end. */
static void next_step(struct rollouts *r, size_t i, uint64_t now)
{
	struct ro_svc *s = &r->s[i];
	const struct rollout_conf *rc = ro_conf(r, i);
	int k = s->step + 1;
	s->promote = false;
	if ((size_t)k >= rc->n_steps) {
		finish(r, i);
		return;
	}
	if (rc->steps[k].pause && s->promote_full) {
		s->step = k;
		next_step(r, i, now);
		return;
	}
	if (rc->steps[k].pause) {
		s->step = k;
		s->phase = ROLLOUT_WAITING;
		cJSON *o = ro_record(r, i, "waiting");
		cJSON_AddNumberToObject(o, "step", k + 1);
		cJSON_AddNumberToObject(o, "weight", r->snap.svc[i].weight);
		ro_journal(r, NULL, NULL, o);
		ro_alert(r, ALERT_WAITING, i, "at a pause step: promote to go on", NULL);
		return;
	}
	s->phase = ROLLOUT_BAKING;
	ro_queue_move(r, i, k, false);
}

/* A pending service starts at the first step above its weight. */
void ro_begin(struct rollouts *r, size_t i, uint64_t now)
{
	struct ro_svc *s = &r->s[i];
	const struct rollout_conf *rc = ro_conf(r, i);
	int w = r->snap.svc[i].weight;
	s->step = -1;
	for (size_t k = 0; k < rc->n_steps; k++)
		if (!rc->steps[k].pause && rc->steps[k].weight <= w)
			s->step = (int)k;
	s->expect_weight = w;
	next_step(r, i, now);
}

void ro_halt(struct rollouts *r, size_t i, const char *gate, const char *detail, const cJSON *fig)
{
	struct ro_svc *s = &r->s[i];
	s->phase = ROLLOUT_HALTED;
	snprintf(s->last_fail, sizeof s->last_fail, "%s: %s", gate, detail);
	snprintf(s->last_gate, sizeof s->last_gate, "%s", gate);
	cJSON *o = ro_record(r, i, "halted");
	cJSON_AddNumberToObject(o, "step", s->step + 1);
	cJSON_AddNumberToObject(o, "weight", r->snap.svc[i].weight);
	cJSON_AddStringToObject(o, "gate", gate);
	cJSON_AddStringToObject(o, "detail", detail);
	if (fig)
		cJSON_AddItemToObject(o, "figures", cJSON_Duplicate(fig, true));
	ro_journal(r, NULL, NULL, o);
	ro_alert(r, ALERT_HALTED, i, s->last_fail, fig);
}

void ro_landed(struct rollouts *r, size_t i, bool ok, const char *why, uint64_t now)
{
	struct ro_svc *s = &r->s[i];
	s->moving = s->queued = false;
	s->move_seq = 0;
	if (s->move_rollback) {
		s->expect_weight = 0;
		s->phase = ok ? ROLLOUT_ROLLED_BACK : ROLLOUT_HALTED;
		if (!ok)
			ro_halt(r, i, "rollback", why && *why ? why : "the way back failed", NULL);
		return;
	}
	if (!ok) {
		ro_halt(r, i, "weight-change", why && *why ? why : "the weight change failed", NULL);
		return;
	}
	s->step = s->move_step;
	s->expect_weight = s->move_to;
	ro_bake_start(r, i, 0, now);
	const struct rollout_conf *rc = ro_conf(r, i);
	cJSON *o = ro_record(r, i, "baking");
	cJSON_AddNumberToObject(o, "step", s->step + 1);
	cJSON_AddNumberToObject(o, "steps", (double)rc->n_steps);
	cJSON_AddNumberToObject(o, "weight", s->move_to);
	cJSON_AddNumberToObject(o, "bake_s", rc->steps[s->step].bake_ms / 1000.0);
	cJSON_AddStringToObject(o, "bake_id", s->bake_id);
	ro_journal(r, NULL, NULL, o);
	if (s->phase == ROLLOUT_PAUSED)
		return;
	char d[96];
	snprintf(d, sizeof d, "step %d/%zu: %d%% on green, baking %.0f s", s->step + 1, rc->n_steps,
		 s->move_to, rc->steps[s->step].bake_ms / 1000.0);
	ro_alert(r, ALERT_ADVANCED, i, d, NULL);
}

static void journal_baking(struct rollouts *r, size_t i, const char *key, double v)
{
	const struct ro_svc *s = &r->s[i];
	const struct rollout_conf *rc = ro_conf(r, i);
	cJSON *o = ro_record(r, i, "baking");
	cJSON_AddNumberToObject(o, "step", s->step + 1);
	cJSON_AddNumberToObject(o, "steps", (double)rc->n_steps);
	cJSON_AddNumberToObject(o, "weight", r->snap.svc[i].weight);
	cJSON_AddNumberToObject(o, "bake_s", rc->steps[s->step].bake_ms / 1000.0);
	cJSON_AddStringToObject(o, "bake_id", s->bake_id);
	cJSON_AddNumberToObject(o, key, v);
	ro_journal(r, NULL, NULL, o);
}

void ro_landed_again(struct rollouts *r, size_t i, uint64_t now)
{
	r->s[i].bake_id[0] = '\0';
	ro_bake_start(r, i, 0, now);
	journal_baking(r, i, "resumed_s", ro_conf(r, i)->steps[r->s[i].step].bake_ms / 1000.0);
}

void ro_bake_resume(struct rollouts *r, size_t i, int64_t baked_ms, uint64_t now)
{
	const struct rollout_conf *rc = ro_conf(r, i);
	if (r->s[i].step < 0 || rc->steps[r->s[i].step].pause)
		return;
	ro_bake_start(r, i, baked_ms, now);
	int64_t left = rc->steps[r->s[i].step].bake_ms - baked_ms;
	journal_baking(r, i, "resumed_s", left > 0 ? (double)left / 1000.0 : 0);
}

/* Too many failed checks: back to 0 at once, or hold for a human. */
static void breach(struct rollouts *r, size_t i, const struct ro_check *c)
{
	const struct rollout_conf *rc = ro_conf(r, i);
	if (rc->on_breach == BREACH_HALT) {
		ro_halt(r, i, c->gate, c->detail, c->figures);
		return;
	}
	struct ro_svc *s = &r->s[i];
	ro_queue_move(r, i, s->step, true);
	cJSON *o = ro_record(r, i, "rolled_back");
	cJSON_AddNumberToObject(o, "step", s->step + 1);
	cJSON_AddNumberToObject(o, "from", r->snap.svc[i].weight);
	cJSON_AddStringToObject(o, "gate", c->gate);
	cJSON_AddStringToObject(o, "detail", c->detail);
	if (c->figures)
		cJSON_AddItemToObject(o, "figures", cJSON_Duplicate(c->figures, true));
	ro_journal(r, NULL, NULL, o);
	ro_alert(r, ALERT_ROLLED_BACK, i, s->last_fail, c->figures);
}

static bool check_due(struct rollouts *r, size_t i, uint64_t now)
{
	struct ro_svc *s = &r->s[i];
	uint64_t iv = (uint64_t)r->cfg->probe.interval_ms;
	uint64_t probes = r->snap.svc[i].side[SIDE_GREEN].probes;
	if (!s->checked)
		return true;
	if (probes != s->last_probes && now - s->last_check_ms >= iv / 2)
		return true;
	return now - s->last_check_ms >= 2 * iv;	/* probes stalled: judge anyway */
}

static void run_check(struct rollouts *r, size_t i, uint64_t now)
{
	struct ro_svc *s = &r->s[i];
	const struct rollout_conf *rc = ro_conf(r, i);
	struct ro_check c;
	ro_check_eval(r, i, &c);
	s->checked = true;
	s->last_check_ms = now;
	s->last_probes = r->snap.svc[i].side[SIDE_GREEN].probes;
	s->last_ok = !c.failed;
	s->hold = c.hold;
	if (c.failed) {
		s->failed++;
		snprintf(s->last_fail, sizeof s->last_fail, "%s: %s", c.gate, c.detail);
		snprintf(s->last_gate, sizeof s->last_gate, "%s", c.gate);
		cJSON_Delete(s->last_figures);
		s->last_figures = c.figures ? cJSON_Duplicate(c.figures, true) : NULL;
		cJSON *o = ro_record(r, i, "check_failed");
		cJSON_AddNumberToObject(o, "step", s->step + 1);
		cJSON_AddNumberToObject(o, "weight", r->snap.svc[i].weight);
		cJSON_AddNumberToObject(o, "failed_checks", s->failed);
		cJSON_AddNumberToObject(o, "max_failed_checks", rc->max_failed_checks);
		cJSON_AddStringToObject(o, "gate", c.gate);
		cJSON_AddStringToObject(o, "detail", c.detail);
		if (c.figures)
			cJSON_AddItemToObject(o, "figures", cJSON_Duplicate(c.figures, true));
		ro_journal(r, NULL, NULL, o);
		if (s->failed >= rc->max_failed_checks)
			breach(r, i, &c);
	}
	cJSON_Delete(c.figures);
}

/* The weight moved under the rollout (a hand move, a rollback --all): it
 * no longer knows where it stands, so a human decides. */
static bool moved_by_hand(struct rollouts *r, size_t i)
{
	struct ro_svc *s = &r->s[i];
	int w = r->snap.svc[i].weight;
	if (s->moving || s->expect_weight < 0 || w == WEIGHT_UNKNOWN || w == s->expect_weight)
		return false;
	char d[128];
	snprintf(d, sizeof d, "the weight is %d%%, not the %d%% the rollout set: moved outside it",
		 w, s->expect_weight);
	s->expect_weight = w;
	ro_halt(r, i, "weight-moved", d, NULL);
	return true;
}

static void bake(struct rollouts *r, size_t i, uint64_t now)
{
	struct ro_svc *s = &r->s[i];
	const struct rollout_conf *rc = ro_conf(r, i);
	if (s->bake_tick_ms)	/* 0: a bake no one started the clock of */
		s->baked_ms += (int64_t)(now - s->bake_tick_ms);
	s->bake_tick_ms = now;
	if (check_due(r, i, now))
		run_check(r, i, now);
	if (s->phase != ROLLOUT_BAKING || s->moving)
		return;	/* the check breached */
	if (now < s->held_until_ms)
		return;	/* a gate blocked the next step: asked again later */
	bool baked = s->baked_ms >= rc->steps[s->step].bake_ms || s->promote || s->promote_full;
	bool passed = s->checked && s->last_ok && (!s->hold || s->promote || s->promote_full);
	if (baked && passed)
		next_step(r, i, now);
}

void ro_step_service(struct rollouts *r, size_t i, uint64_t now)
{
	struct ro_svc *s = &r->s[i];
	if (s->phase == ROLLOUT_PAUSED || s->phase == ROLLOUT_PENDING || s->moving)
		return;
	if (s->phase == ROLLOUT_BAKING && moved_by_hand(r, i))
		return;
	if (s->phase == ROLLOUT_BAKING && s->step >= 0)
		bake(r, i, now);
	else if (s->phase == ROLLOUT_BAKING && now >= s->held_until_ms)
		next_step(r, i, now);
}
