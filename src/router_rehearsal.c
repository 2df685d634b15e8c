/* router_rehearsal: the rehearsal driver (see router_rehearsal.h): a weight
 * table in memory, seeded from the journal, and a history of applies. */
#include "cutover/router_rehearsal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/cron.h"
#include "cutover/journal.h"

#define INSTANCE "rehearsal"

struct router {
	const struct config *cfg;
	/* The poller observes while the executor applies: one lock over the
	 * table and the history; nothing inside it blocks. */
	pthread_mutex_t mu;
	int *weight;			/* per service, 0..100 */
	struct rehearsal_change *hist;
	size_t n_hist, cap_hist;
	size_t seed_records, seed_services;
	bool *seeded;			/* per service, while seeding */
	struct sim_job *job;		/* per service; .on for scheduled jobs */
};

/* A scheduled job's runs, simulated: at each fire the side that has the
 * job runs it, for max_run_s (1 s when not given). */
struct sim_job {
	bool on;
	struct cron cron;
	time_t next, last;		/* the next fire not yet run; the last run */
	int last_side;
	uint64_t runs[2];
};

/* Runs the fires up to now on the side each job is on. Under r->mu. */
static void jobs_catch_up(struct router *r, time_t now)
{
	for (size_t i = 0; r->job && i < r->cfg->n_services; i++) {
		struct sim_job *j = &r->job[i];
		const char *tz = r->cfg->services[i].timezone;
		for (int k = 0; j->on && j->next != (time_t)-1 && j->next <= now; k++) {
			int side = r->weight[i] >= 50 ? SIDE_GREEN : SIDE_BLUE;
			j->runs[side]++;
			j->last = j->next;
			j->last_side = side;
			/* Far behind (a clock jump): skip to now, no burst of runs. */
			j->next = cron_next(&j->cron, k < 1000 ? j->next : now, tz);
		}
	}
}

static void jobs_observe(struct router *r, size_t i, struct route_observation *o, time_t now)
{
	const struct sim_job *j = &r->job[i];
	int len = r->cfg->services[i].job.max_run_s > 0 ? r->cfg->services[i].job.max_run_s : 1;
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		o->traffic[s].known = true;
		o->traffic[s].requests = j->runs[s];
		o->traffic[s].sessions = j->last && j->last_side == s && now < j->last + len;
	}
}

static int jobs_open(struct router *r)
{
	const struct config *cfg = r->cfg;
	time_t now = time(NULL);
	r->job = calloc(cfg->n_services ? cfg->n_services : 1, sizeof *r->job);
	if (!r->job)
		return -1;
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct service_conf *sc = &cfg->services[i];
		char why[160];
		struct sim_job *j = &r->job[i];
		if (sc->kind != KIND_JOB || !sc->schedule || cron_parse(sc->schedule, &j->cron, why, sizeof why) < 0)
			continue;
		j->on = true;
		j->next = cron_next(&j->cron, now, sc->timezone);
	}
	return 0;
}

static bool weight_fits(const struct service_conf *s, int w)
{
	return w >= 0 && w <= 100 && (s->kind != KIND_JOB || w == 0 || w == 100);
}

static bool int_of(const cJSON *rec, const char *key, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 100 ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return false;
	*out = (int)v->valuedouble;
	return true;
}

/* One journal record: an outcome that says where a service was left. */
static int seed_record(const cJSON *rec, long line, void *ctx)
{
	struct router *r = ctx;
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "type"));
	const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "service"));
	const char *result = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "result"));
	const char *inst = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "instance"));
	int w;

	r->seed_records++;
	if (!type || strcmp(type, "outcome") != 0 || !svc || !result ||
	    (inst && strcmp(inst, INSTANCE) != 0))
		return 0;
	long i = config_find_service(r->cfg, svc);
	if (i < 0)
		return 0;	/* a service since removed from the config */
	bool ok = (strcmp(result, "applied") == 0 && int_of(rec, "to", &w)) ||
		  (strcmp(result, "reverted") == 0 && int_of(rec, "from", &w));
	if (!ok || !weight_fits(&r->cfg->services[i], w))
		return 0;
	r->weight[i] = w;
	r->seeded[i] = true;
	return 0;
}

static int seed(struct router *r, struct co_error *err)
{
	const struct config *cfg = r->cfg;
	if (!cfg->state_dir || !cfg->release)
		return 0;
	char *path = journal_state_path(cfg->state_dir, cfg->release, "journal.jsonl", err);
	if (!path)
		return -1;
	struct co_error rerr = { "" };
	r->seeded = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(*r->seeded));
	int rc = r->seeded ? journal_read(path, seed_record, r, &rerr) : -1;
	if (!r->seeded)
		co_error_set(err, "rehearsal driver: out of memory");
	else if (rc != 0)
		co_error_set(err, "rehearsal driver: cannot seed weights: %s", rerr.msg);
	for (size_t i = 0; r->seeded && i < cfg->n_services; i++)
		r->seed_services += r->seeded[i] ? 1 : 0;
	free(r->seeded);
	r->seeded = NULL;
	free(path);
	return rc == 0 ? 0 : -1;
}

static void reh_close(struct router *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->mu);
	free(r->job);
	free(r->weight);
	free(r->hist);
	free(r);
}

static struct router *reh_open(const struct config *cfg, struct co_error *err)
{
	struct router *r = calloc(1, sizeof(*r));
	if (!r || !(r->weight = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(int)))) {
		free(r);
		co_error_set(err, "rehearsal driver: out of memory");
		return NULL;
	}
	r->cfg = cfg;
	pthread_mutex_init(&r->mu, NULL);
	if (jobs_open(r) < 0) {
		co_error_set(err, "rehearsal driver: out of memory");
		reh_close(r);
		return NULL;
	}
	if (seed(r, err) < 0) {
		reh_close(r);
		return NULL;
	}
	return r;
}

static size_t reh_n_instances(const struct router *r)
{
	return 1;
}

static int begin(size_t instance, struct instance_result *res)
{
	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), INSTANCE);
	if (instance == 0)
		return 0;
	snprintf(res->error, sizeof(res->error), "rehearsal: no instance #%zu (there is one)", instance);
	return -1;
}

static int reh_observe(struct router *r, size_t instance, struct route_observation *obs,
		       struct instance_result *res)
{
	if (begin(instance, res) < 0)
		return -1;
	time_t now = time(NULL);
	pthread_mutex_lock(&r->mu);
	jobs_catch_up(r, now);
	for (size_t i = 0; i < r->cfg->n_services; i++) {
		memset(&obs[i], 0, sizeof(obs[i]));
		obs[i].service = i;
		obs[i].weight = r->weight[i];
		if (r->job[i].on)
			jobs_observe(r, i, &obs[i], now);
	}
	pthread_mutex_unlock(&r->mu);
	res->ok = true;
	return 0;
}

/* The batch is checked whole before any of it lands, so a refused batch
 * leaves the table as it was. */
static int check_batch(const struct router *r, const struct weight_change *c, size_t n,
		       struct instance_result *res)
{
	for (size_t i = 0; i < n; i++) {
		if (c[i].service >= r->cfg->n_services) {
			snprintf(res->error, sizeof(res->error), "rehearsal: no service #%zu", c[i].service);
			return -1;
		}
		const struct service_conf *s = &r->cfg->services[c[i].service];
		if (!weight_fits(s, c[i].weight)) {
			snprintf(res->error, sizeof(res->error), "rehearsal: %s: weight %d %s", s->name,
				 c[i].weight, c[i].weight < 0 || c[i].weight > 100 ? "is outside 0..100"
				 : "is not 0 or 100, and a job runs on one side only");
			return -1;
		}
	}
	return 0;
}

static int reh_apply(struct router *r, size_t instance, const struct weight_change *c,
		     size_t n, struct instance_result *res)
{
	if (begin(instance, res) < 0 || check_batch(r, c, n, res) < 0)
		return -1;
	pthread_mutex_lock(&r->mu);
	if (r->n_hist + n > r->cap_hist) {
		size_t cap = r->cap_hist ? r->cap_hist : 16;
		while (cap < r->n_hist + n)
			cap *= 2;
		struct rehearsal_change *h = realloc(r->hist, cap * sizeof(*h));
		if (!h) {
			pthread_mutex_unlock(&r->mu);
			snprintf(res->error, sizeof(res->error), "rehearsal: out of memory");
			return -1;
		}
		r->hist = h;
		r->cap_hist = cap;
	}
	uint64_t now = monotonic_ms();
	jobs_catch_up(r, time(NULL));	/* fires so far ran where the job was */
	for (size_t i = 0; i < n; i++) {
		r->hist[r->n_hist++] = (struct rehearsal_change){
			.service = c[i].service, .from = r->weight[c[i].service],
			.to = c[i].weight, .at_ms = now };
		r->weight[c[i].service] = c[i].weight;
	}
	pthread_mutex_unlock(&r->mu);
	res->ok = true;
	return 0;
}

size_t router_rehearsal_history_len(struct router *r)
{
	pthread_mutex_lock(&r->mu);
	size_t n = r->n_hist;
	pthread_mutex_unlock(&r->mu);
	return n;
}

int router_rehearsal_history(struct router *r, size_t i, struct rehearsal_change *out)
{
	pthread_mutex_lock(&r->mu);
	int ok = i < r->n_hist;
	if (ok)
		*out = r->hist[i];
	pthread_mutex_unlock(&r->mu);
	return ok;
}

void router_rehearsal_seeded(struct router *r, size_t *records, size_t *services)
{
	*records = r->seed_records;
	*services = r->seed_services;
}

const struct router_driver router_driver_rehearsal = {
	.name = "rehearsal",
	.open = reh_open,
	.close = reh_close,
	.n_instances = reh_n_instances,
	.observe = reh_observe,
	.apply = reh_apply,
};
