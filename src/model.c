/* model: the single owner of mutable migration state (see model.h). */
#include "cutover/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int model_init(struct model *m, const struct config *cfg, struct co_error *err)
{
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->svc = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(*m->svc));
	m->ver = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(*m->ver));
	if (!m->svc || !m->ver) {
		free(m->svc);
		free(m->ver);
		m->svc = NULL;
		co_error_set(err, "out of memory for %zu services", cfg->n_services);
		return -1;
	}
	for (size_t i = 0; i < cfg->n_services; i++) {
		m->svc[i].weight = WEIGHT_UNKNOWN;
		m->svc[i].target_weight = WEIGHT_UNKNOWN;
	}
	pthread_mutex_init(&m->lock, NULL);
	return 0;
}

void model_done(struct model *m)
{
	if (!m->svc)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->svc);
	free(m->ver);
	m->svc = NULL;
	m->ver = NULL;
}

static int check_weight(const struct model *m, size_t i, int w, struct co_error *err)
{
	if (i >= m->cfg->n_services) {
		co_error_set(err, "no service at index %zu", i);
		return -1;
	}
	const struct service_conf *s = &m->cfg->services[i];
	if (w == WEIGHT_UNKNOWN)
		return 0;
	if (w < 0 || w > 100) {
		co_error_set(err, "%s: weight %d is outside 0..100", s->name, w);
		return -1;
	}
	if (s->kind == KIND_JOB && w != 0 && w != 100) {
		co_error_set(err, "%s: a job runs on one side only; weight %d is not 0 or 100",
			     s->name, w);
		return -1;
	}
	return 0;
}

/* Every setter: lock, change, stamp, bump the version, unlock. Nothing
 * inside the lock can block. */
#define MODEL_EDIT(m, i, body)                                   \
	do {                                                     \
		if ((i) >= (m)->cfg->n_services)                 \
			return;                                  \
		pthread_mutex_lock(&(m)->lock);                  \
		struct service_state *st = &(m)->svc[(i)];       \
		body;                                            \
		(m)->ver[(i)] = ++(m)->version;                  \
		pthread_mutex_unlock(&(m)->lock);                \
	} while (0)

int model_set_weight(struct model *m, size_t i, int w, struct co_error *err)
{
	if (check_weight(m, i, w, err) < 0)
		return -1;
	pthread_mutex_lock(&m->lock);
	if (m->svc[i].weight != w)
		m->svc[i].changed_at_ms = monotonic_ms();
	m->svc[i].weight = w;
	m->ver[i] = ++m->version;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int model_set_target(struct model *m, size_t i, int w, struct co_error *err)
{
	if (check_weight(m, i, w, err) < 0)
		return -1;
	pthread_mutex_lock(&m->lock);
	m->svc[i].target_weight = w;
	m->ver[i] = ++m->version;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

void model_set_drift(struct model *m, size_t i, bool drift, const char *detail)
{
	MODEL_EDIT(m, i, {
		if (st->drift != drift)
			st->changed_at_ms = monotonic_ms();
		st->drift = drift;
		snprintf(st->drift_detail, sizeof(st->drift_detail), "%s", detail ? detail : "");
	});
}

void model_set_side(struct model *m, size_t i, enum side s, const struct side_stats *in)
{
	MODEL_EDIT(m, i, {
		uint64_t now = monotonic_ms();
		if (st->side[s].health != in->health)
			st->changed_at_ms = now;
		st->side[s] = *in;
		st->side[s].probed_ms = now;
	});
}

void model_put(struct model *m, size_t i, const struct service_state *in)
{
	MODEL_EDIT(m, i, { *st = *in; });
}

void model_set_traffic(struct model *m, size_t i, enum side s, const struct side_traffic *t)
{
	MODEL_EDIT(m, i, { st->traffic[s] = *t; });
}

void model_set_verdict(struct model *m, size_t i, enum verdict v, const char *reason)
{
	MODEL_EDIT(m, i, {
		if (st->verdict != v)
			st->changed_at_ms = monotonic_ms();
		st->verdict = v;
		snprintf(st->reason, sizeof(st->reason), "%s", reason ? reason : "");
	});
}

void model_set_busy(struct model *m, size_t i, bool busy)
{
	MODEL_EDIT(m, i, {
		st->busy = busy;
		st->applies++;
	});
}

void model_applies(struct model *m, uint32_t *out)
{
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->cfg->n_services; i++)
		out[i] = m->svc[i].applies;
	pthread_mutex_unlock(&m->lock);
}

void model_set_rollout(struct model *m, size_t i, const struct rollout_view *rv)
{
	MODEL_EDIT(m, i, { st->rollout = *rv; });
}

void model_get(struct model *m, size_t i, struct service_state *out)
{
	pthread_mutex_lock(&m->lock);
	if (i < m->cfg->n_services)
		*out = m->svc[i];
	pthread_mutex_unlock(&m->lock);
}

void model_set_job(struct model *m, size_t i, const struct job_view *jv)
{
	MODEL_EDIT(m, i, { st->job = *jv; });
}

void model_set_routers(struct model *m, int up, int total)
{
	pthread_mutex_lock(&m->lock);
	m->router_known = true;
	m->routers_up = up;
	m->routers_total = total;
	m->version++;
	pthread_mutex_unlock(&m->lock);
}

void model_set_router_warning(struct model *m, const char *warning)
{
	pthread_mutex_lock(&m->lock);
	if (strcmp(m->router_warning, warning) != 0) {
		snprintf(m->router_warning, sizeof m->router_warning, "%s", warning);
		m->version++;
	}
	pthread_mutex_unlock(&m->lock);
}

uint64_t model_version(struct model *m)
{
	pthread_mutex_lock(&m->lock);
	uint64_t v = m->version;
	pthread_mutex_unlock(&m->lock);
	return v;
}

/* Under the lock, so a reader sees every service at the same version,
 * never half of one writer's update. A snapshot last taken from this model
 * gets only the services changed since: a frame over ten thousand services
 * of which a hundred changed copies a hundred (the whole copy was half of
 * a 4 ms frame). */
int model_snapshot(struct model *m, struct snapshot *snap)
{
	size_t n = m->cfg->n_services;
	if (!snap->svc || snap->from != m || snap->n != n) {
		free(snap->svc);
		snap->svc = malloc((n ? n : 1) * sizeof(*snap->svc));
		if (!snap->svc)
			return -1;
		snap->n = n;
		snap->version = UINT64_MAX;
		snap->from = m;
	}
	snap->cfg = m->cfg;
	pthread_mutex_lock(&m->lock);
	if (snap->version == m->version) {
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	if (snap->version > m->version) {
		memcpy(snap->svc, m->svc, n * sizeof(*snap->svc));
	} else {
		for (size_t i = 0; i < n; i++)
			if (m->ver[i] > snap->version)
				snap->svc[i] = m->svc[i];
	}
	snap->version = m->version;
	snap->router_known = m->router_known;
	snap->routers_up = m->routers_up;
	snap->routers_total = m->routers_total;
	memcpy(snap->router_warning, m->router_warning, sizeof snap->router_warning);
	pthread_mutex_unlock(&m->lock);
	return 1;
}

void snapshot_done(struct snapshot *snap)
{
	free(snap->svc);
	memset(snap, 0, sizeof(*snap));
}

size_t snapshot_count_on_green(const struct snapshot *snap, enum svc_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < snap->n; i++)
		if (snap->cfg->services[i].kind == kind && snap->svc[i].weight == 100)
			n++;
	return n;
}

const char *health_name(enum health h)
{
	return h == HEALTH_UP ? "up" : h == HEALTH_DOWN ? "down" : "unknown";
}

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS: return "pass";
	case VERDICT_MARGINAL: return "marginal";
	case VERDICT_FAIL: return "fail";
	case VERDICT_NODATA: break;
	}
	return "nodata";
}
