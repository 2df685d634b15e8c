/* cutover-sim: the fake services, found by name, and the fate of each request.
 *
 * Services are never removed while the simulator runs, so connections and
 * --bind listeners may keep plain pointers to them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

void sim_behaviour_default(struct sim_behaviour *b)
{
	/* "Healthy, small latency": 1 ms with a little jitter, so a prober sees
	 * non-zero, non-constant latency without slowing benchmarks down. */
	b->lat_ms = 1.0;
	b->jitter_ms = 0.2;
	b->err_pct = 0.0;
	b->status = 200;
	b->err_status = 503;
	b->body_up = true;
	b->mode = SIM_MODE_OK;
	b->flap_s = 0;
	b->suspended = false;
	b->trigger = SIM_TRIGGER_SELF;
}

const char *sim_side_name(int side)
{
	return side == SIM_GREEN ? "green" : "blue";
}

int sim_side_parse(const char *s, size_t len, unsigned *mask)
{
	if (len == 4 && memcmp(s, "blue", 4) == 0)
		*mask = SIM_SIDE_BLUE_BIT;
	else if (len == 5 && memcmp(s, "green", 5) == 0)
		*mask = SIM_SIDE_GREEN_BIT;
	else if ((len == 4 && memcmp(s, "both", 4) == 0) || (len == 1 && s[0] == '*'))
		*mask = SIM_SIDE_BLUE_BIT | SIM_SIDE_GREEN_BIT;
	else
		return -1;
	return 0;
}

const char *sim_mode_name(enum sim_mode m)
{
	switch (m) {
	case SIM_MODE_OK: return "ok";
	case SIM_MODE_HANG: return "hang";
	case SIM_MODE_RESET: return "reset";
	case SIM_MODE_GARBAGE: return "garbage";
	case SIM_MODE_REFUSE: return "refuse";
	}
	return "?";
}

bool sim_name_valid(const char *name, size_t len)
{
	if (len == 0 || len >= SIM_NAME_MAX)
		return false;
	/* "_sim" is the control prefix on the main port. */
	if (len == 4 && memcmp(name, "_sim", 4) == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

void sim_world_init(struct sim_world *w)
{
	memset(w, 0, sizeof *w);
}

void sim_world_done(struct sim_world *w)
{
	for (size_t i = 0; i < w->n; i++) {
		sim_job_free(w->svc[i]->job);
		free(w->svc[i]);
	}
	free(w->svc);
	free(w->slots);
	sim_world_init(w);
}

/* FNV-1a: names are short, and this runs once per request. */
static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

struct sim_service *sim_world_find(const struct sim_world *w, const char *name, size_t len)
{
	if (w->nslots == 0)
		return NULL;
	size_t mask = w->nslots - 1;
	for (size_t i = name_hash(name, len) & mask;; i = (i + 1) & mask) {
		uint32_t v = w->slots[i];
		if (v == 0)
			return NULL;
		struct sim_service *s = w->svc[v - 1];
		if (s->name_len == len && memcmp(s->name, name, len) == 0)
			return s;
	}
}

static void slots_insert(struct sim_world *w, size_t index)
{
	const struct sim_service *s = w->svc[index];
	size_t mask = w->nslots - 1;
	size_t i = name_hash(s->name, s->name_len) & mask;
	while (w->slots[i] != 0)
		i = (i + 1) & mask;
	w->slots[i] = (uint32_t)(index + 1);
}

/* Keeps the table at most half full, so probes stay short. */
static void slots_grow(struct sim_world *w)
{
	if (w->nslots && (w->n + 1) * 2 <= w->nslots)
		return;
	size_t ns = w->nslots ? w->nslots * 2 : 64;
	while ((w->n + 1) * 2 > ns)
		ns *= 2;
	free(w->slots);
	w->slots = calloc(ns, sizeof *w->slots);
	if (!w->slots) {
		sim_log("out of memory (service table)");
		abort();
	}
	w->nslots = ns;
	for (size_t i = 0; i < w->n; i++)
		slots_insert(w, i);
}

/* Finds or creates; NULL only for a name sim_name_valid rejects. */
struct sim_service *sim_world_get(struct sim_world *w, const char *name, size_t len,
                                  uint64_t now_ns)
{
	struct sim_service *s = sim_world_find(w, name, len);
	if (s || !sim_name_valid(name, len))
		return s;
	slots_grow(w);
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->svc = sim_xrealloc(w->svc, w->cap * sizeof *w->svc);
	}
	s = sim_xmalloc(sizeof *s);
	memset(s, 0, sizeof *s);
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	s->name_len = len;
	for (int side = 0; side < 2; side++) {
		sim_behaviour_default(&s->side[side].b);
		s->side[side].flap_t0_ns = now_ns;
	}
	w->svc[w->n] = s;
	slots_insert(w, w->n);
	w->n++;
	return s;
}

/* --services N: svc0000, svc0001, ... (four digits at least, so they sort). */
void sim_world_add_numbered(struct sim_world *w, size_t n, uint64_t now_ns)
{
	char name[SIM_NAME_MAX];
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(name, sizeof name, "svc%04zu", i);
		sim_world_get(w, name, (size_t)len, now_ns);
	}
}

/* Decides, at the moment a request is complete, what it will get. Deciding
 * up front (not when the delay ends) means a /_sim/set never changes the fate
 * of a request already in flight, which keeps tests deterministic. */
void sim_endpoint_decide(struct sim_world *w, struct sim_endpoint *ep, struct sim_rand *r,
                         uint64_t now_ns, bool run, struct sim_reply *out)
{
	const struct sim_behaviour *b = &ep->b;
	ep->n.requests++;
	w->total.requests++;
	out->delay_ns = 0;
	out->run = false;
	out->fire_ms = -1;
	out->status = b->status;
	out->body_up = b->body_up;
	switch (b->mode) {
	case SIM_MODE_HANG:
		out->act = SIM_ACT_HANG;
		goto dropped;
	case SIM_MODE_RESET:
	case SIM_MODE_REFUSE:
		out->act = SIM_ACT_RESET;
		goto dropped;
	case SIM_MODE_GARBAGE:
		out->act = SIM_ACT_GARBAGE;
		goto dropped;
	case SIM_MODE_OK:
		break;
	}
	out->act = SIM_ACT_ANSWER;
	bool err = false;
	if (b->flap_s > 0 && now_ns >= ep->flap_t0_ns) {
		uint64_t phase = (now_ns - ep->flap_t0_ns) / ((uint64_t)b->flap_s * SIM_NS_PER_S);
		err = (phase & 1) != 0;
	}
	if (!err && b->err_pct > 0.0)
		err = sim_rand_uniform(r) * 100.0 < b->err_pct;
	/* A suspended job side refuses the run as an error, so a router in
	 * front counts it as one. */
	if (!err && run && b->suspended)
		err = true;
	out->run = run && !err;
	if (err) {
		out->status = b->err_status;
		out->body_up = false;
		ep->n.errors++;
		w->total.errors++;
	} else {
		ep->n.ok++;
		w->total.ok++;
	}
	double ms = b->lat_ms;
	if (b->jitter_ms > 0.0)
		ms += b->jitter_ms * sim_rand_normal(r);
	if (ms > 0.0)
		out->delay_ns = (uint64_t)(ms * (double)SIM_NS_PER_MS);
	return;
dropped:
	ep->n.dropped++;
	w->total.dropped++;
}
