/* config_plan: the "plan" section — the release's waves of services and
 * @groups, each service in one wave at most, jobs' waves first. */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const plan_keys[] = { "waves", "jobs_first", NULL };
static const char *const wave_keys[] = { "targets", "parallel", NULL };

/* What the waves read so far hold: per service, its wave or -1. */
struct placing {
	long *wave_of;
	size_t wave;
};

/* An entry that failed to read has no name; its error is reported. */
static const char *name_of(const struct config *cfg, size_t s)
{
	return cfg->services[s].name ? cfg->services[s].name : "";
}

static int by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* Named twice in one wave (by name and through its group) is one member;
 * in two waves it would move twice, which is an error at the target that
 * brought it the second time, once. */
static void add_member(struct cfg_reader *r, const cJSON *node, const char *path,
		       struct config *cfg, struct placing *pl, size_t s)
{
	struct wave_conf *wv = &cfg->plan.waves[pl->wave];
	long was = pl->wave_of[s];
	if (was == (long)pl->wave)
		return;
	pl->wave_of[s] = (long)pl->wave;
	if (was >= 0)
		cfg_diag(r, node, false, path, "service '%s' is already in waves[%ld]",
			 name_of(cfg, s), was);
	else
		wv->members[wv->n_members++] = s;
}

/* An unknown target, with the nearest service or @group as a hint, and
 * the other kind when the name is one ("payments" for "@payments"). */
static void unknown_target(struct cfg_reader *r, const cJSON *node, const char *path,
			   const struct config *cfg, const char *name, bool group)
{
	size_t n = group ? cfg->n_groups : cfg->n_services;
	const char **names = malloc((n ? n : 1) * sizeof(*names));
	const char *hint = NULL;
	for (size_t i = 0; names && i < n; i++) {
		const char *s = group ? cfg->groups[i].name : cfg->services[i].name;
		names[i] = s ? s : "";
	}
	if (names)
		hint = config_nearest_name(name, names, n);
	if (!group && config_find_group(cfg, name) >= 0)
		cfg_diag(r, node, false, path, "no service named '%s' (for the group, write '@%s')",
			 name, name);
	else if (group && config_find_service(cfg, name) >= 0)
		cfg_diag(r, node, false, path, "no group '%s' (for the service, write '%s')", name, name);
	else
		cfg_diag(r, node, false, path, "no %s '%s'%s%s%s%s", group ? "group" : "service named",
			 name, hint ? " (did you mean '" : "", hint && group ? "@" : "",
			 hint ? hint : "", hint ? "'?)" : "");
	free(names);
}

static void add_target(struct cfg_reader *r, const cJSON *c, const char *path,
		       struct config *cfg, struct placing *pl)
{
	if (!cJSON_IsString(c) || !c->valuestring[0] || !strcmp(c->valuestring, "@")) {
		cfg_diag(r, c, false, path, "expected a service name or @group");
		return;
	}
	const char *t = c->valuestring;
	if (cfg->n_services == 0)
		return;	/* the services list is wrong, and reported */
	long i = t[0] == '@' ? config_find_group(cfg, t + 1) : config_find_service(cfg, t);
	if (i < 0) {
		unknown_target(r, c, path, cfg, t[0] == '@' ? t + 1 : t, t[0] == '@');
	} else if (t[0] == '@') {
		const struct group_conf *g = &cfg->groups[i];
		for (size_t m = 0; m < g->n_members; m++)
			add_member(r, c, path, cfg, pl, g->members[m]);
	} else {
		add_member(r, c, path, cfg, pl, (size_t)i);
	}
}

/* Members come out in config order, whatever order the targets name them. */
static void read_targets(struct cfg_reader *r, const cJSON *a, const char *path,
			 struct config *cfg, struct placing *pl)
{
	char ip[CFG_PATH_MAX];
	struct wave_conf *wv = &cfg->plan.waves[pl->wave];
	size_t n = (size_t)cJSON_GetArraySize(a), i = 0;
	if (n == 0)
		cfg_diag(r, a, false, path, "lists no targets (service names or @groups)");
	wv->targets = calloc(n + 1, sizeof(*wv->targets));
	wv->members = malloc((cfg->n_services ? cfg->n_services : 1) * sizeof(size_t));
	if (!wv->targets || !wv->members)
		return;
	for (const cJSON *c = a->child; c; c = c->next, i++) {
		cfg_path_index(ip, path, i);
		if (cJSON_IsString(c) && (wv->targets[wv->n_targets] = strdup(c->valuestring)))
			wv->n_targets++;
		add_target(r, c, ip, cfg, pl);
	}
	qsort(wv->members, wv->n_members, sizeof(size_t), by_index);
	size_t *fit = realloc(wv->members, (wv->n_members ? wv->n_members : 1) * sizeof(size_t));
	wv->members = fit ? fit : wv->members;
}

static void read_wave(struct cfg_reader *r, const cJSON *c, const char *path,
		      struct config *cfg, struct placing *pl)
{
	char p[CFG_PATH_MAX];
	struct wave_conf *wv = &cfg->plan.waves[pl->wave];
	if (!cJSON_IsObject(c)) {
		cfg_diag(r, c, false, path, "expected an object: {\"targets\": [...], \"parallel\": N}");
		return;
	}
	cfg_check_keys(r, c, path, wave_keys);
	wv->parallel = cfg_int(r, c, "parallel", path, 1, 10000, 0);
	const cJSON *a = cfg_array(r, c, "targets", path, true);
	if (!a)
		return;
	cfg_path(p, path, "targets");
	read_targets(r, a, p, cfg, pl);
}

/* The first member of a wave of this kind, or -1. */
static long first_of_kind(const struct config *cfg, const struct wave_conf *wv, enum svc_kind k)
{
	for (size_t m = 0; m < wv->n_members; m++)
		if (cfg->services[wv->members[m]].kind == k)
			return (long)wv->members[m];
	return -1;
}

/* gates.jobs_first, decided when the plan is written rather than at each
 * move: a job still on blue while exposed services move is the order the
 * gate warns about. Each offending wave is named once, with the nearest
 * job's wave after it. */
static void check_jobs_first(struct cfg_reader *r, const cJSON *waves, const struct config *cfg)
{
	char p[CFG_PATH_MAX];
	long job = -1, job_wave = -1;
	for (size_t w = cfg->plan.n_waves; w-- > 0; ) {
		const struct wave_conf *wv = &cfg->plan.waves[w];
		long exposed = first_of_kind(cfg, wv, KIND_EXPOSED);
		if (exposed >= 0 && job >= 0) {
			cfg_path_index(p, "plan.waves", w);
			cfg_diag(r, cJSON_GetArrayItem(waves, (int)w), false, p,
				 "waves[%zu] moves exposed service '%s' before job '%s' in waves[%ld]; "
				 "set plan.jobs_first to false to allow it",
				 w, name_of(cfg, (size_t)exposed), name_of(cfg, (size_t)job), job_wave);
		}
		long j = first_of_kind(cfg, wv, KIND_JOB);
		if (j >= 0) {
			job = j;
			job_wave = (long)w;
		}
	}
}

/* Absent: not configured, and the engine's default plan applies. */
void config_read_plan(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	char p[CFG_PATH_MAX];
	struct release_plan_conf *plan = &cfg->plan;
	const cJSON *o = cfg_object(r, root, "plan", "", false);
	plan->jobs_first = true;
	if (!o)
		return;
	plan->configured = true;
	cfg_check_keys(r, o, "plan", plan_keys);
	plan->jobs_first = cfg_bool(r, o, "jobs_first", "plan", true);
	const cJSON *a = cfg_array(r, o, "waves", "plan", true);
	size_t n = a ? (size_t)cJSON_GetArraySize(a) : 0, i = 0;
	if (a && n == 0)
		cfg_diag(r, a, false, "plan.waves", "lists no waves");
	struct placing pl = { malloc((cfg->n_services ? cfg->n_services : 1) * sizeof(long)), 0 };
	plan->waves = n ? calloc(n, sizeof(*plan->waves)) : NULL;
	if (n && pl.wave_of && plan->waves) {
		plan->n_waves = n;
		for (size_t s = 0; s < cfg->n_services; s++)
			pl.wave_of[s] = -1;
		for (const cJSON *c = a->child; c; c = c->next, i++) {
			cfg_path_index(p, "plan.waves", i);
			pl.wave = i;
			read_wave(r, c, p, cfg, &pl);
		}
		if (plan->jobs_first)
			check_jobs_first(r, a, cfg);
	}
	free(pl.wave_of);
}

void config_free_plan(struct release_plan_conf *plan)
{
	for (size_t w = 0; w < plan->n_waves; w++) {
		cfg_free_list(plan->waves[w].targets);
		free(plan->waves[w].members);
	}
	free(plan->waves);
	memset(plan, 0, sizeof(*plan));
}
