/* config_rollout: the "rollout" section, the "groups" section that lays a
 * rollout over a group's services, and each service's own "rollout" key,
 * resolved into one rollout per service. */
#include "config_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BAKE_MAX_S (7 * 24 * 3600)	/* a week: longer is surely a unit mistake */
#define BAKE_UNSET (-1)			/* a plain-number step: the resolved bake_s */

static const char *const rollout_keys[] = {
	"steps", "bake_s", "max_failed_checks", "on_breach", "parallel", NULL
};
static const char *const step_keys[] = { "weight", "bake_s", "pause", NULL };
static const char *const group_keys[] = { "rollout", NULL };
static const struct rollout_conf rollout_defaults = {
	.bake_ms = 60000, .max_failed_checks = 3, .on_breach = BREACH_ROLLBACK, .parallel = 1
};

/* One written "rollout" object (release-wide, a group's or a service's),
 * read and checked once, so a bad key is reported once however many
 * services inherit it. A has_ flag (or steps_node) is false for a key not
 * written there, which the layer below then provides. */
struct layer {
	const cJSON *steps_node;
	struct rollout_step *steps;	/* bake_ms BAKE_UNSET: the resolved bake_s */
	size_t n_steps;
	bool has_bake, has_max, has_breach, has_parallel;
	int bake_ms, max_failed_checks, parallel;
	enum breach_action on_breach;
};

/* A whole percentage 1..100, or -1. The range is checked on the double:
 * converting one far outside int's range to int is undefined. */
static int step_weight(const cJSON *n)
{
	double v = cJSON_IsNumber(n) ? n->valuedouble : -1;
	return v >= 1 && v <= 100 && v == floor(v) ? (int)v : -1;
}

/* In range (0..BAKE_MAX_S, checked by the caller) this fits an int. */
static int to_ms(double seconds)
{
	return (int)lround(seconds * 1000);
}

/* {"pause": true} and nothing else: a pause moves no traffic and its wait
 * is a human's, so a weight or a bake beside it would mean nothing. Keys
 * unknown everywhere were reported by cfg_check_keys already. */
static void read_pause(struct cfg_reader *r, const cJSON *o, const char *path,
		       struct rollout_step *st)
{
	*st = (struct rollout_step){ .weight = 0, .bake_ms = 0, .pause = true };
	for (const cJSON *c = o->child; c && c->string; c = c->next) {
		if (strcmp(c->string, "pause") == 0 && !cJSON_IsTrue(c))
			cfg_diag_at(r, c, false, path, "pause",
				    "expected true (a step with a weight leaves 'pause' out)");
		else if (strcmp(c->string, "weight") == 0 || strcmp(c->string, "bake_s") == 0)
			cfg_diag_at(r, c, true, path, c->string,
				    "a pause step holds no other key: it waits for promote");
	}
}

static void read_step(struct cfg_reader *r, const cJSON *c, const char *path,
		      struct rollout_step *st)
{
	static const char weight_rule[] = "a step's weight is a whole percentage from 1 to 100";
	*st = (struct rollout_step){ .weight = -1, .bake_ms = BAKE_UNSET };
	if (cJSON_IsNumber(c)) {
		if ((st->weight = step_weight(c)) < 0)
			cfg_diag(r, c, false, path, weight_rule);
		return;
	}
	if (!cJSON_IsObject(c)) {
		cfg_diag(r, c, false, path,
			 "expected a weight, {\"weight\": N, \"bake_s\": S} or {\"pause\": true}");
		return;
	}
	cfg_check_keys(r, c, path, step_keys);
	if (cJSON_GetObjectItemCaseSensitive(c, "pause")) {
		read_pause(r, c, path, st);
		return;
	}
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(c, "weight");
	if (!w)
		cfg_diag_at(r, c, false, path, "weight", "missing required key 'weight' (%s)", weight_rule);
	else if ((st->weight = step_weight(w)) < 0)
		cfg_diag_at(r, w, false, path, "weight", weight_rule);
	double bake = cfg_number(r, c, "bake_s", path, 0, BAKE_MAX_S, -1);
	if (bake >= 0)
		st->bake_ms = to_ms(bake);
}

/* Weights rise over the steps that have one and the last of them is 100;
 * a pause may stand anywhere, but never after a pause: the second would
 * ask the same human the same question. Bad elements were reported. */
static void check_steps(struct cfg_reader *r, const cJSON *a, const char *path,
			const struct rollout_step *s, size_t n)
{
	char p[CFG_PATH_MAX];
	int prev = 0, last = 0;
	size_t i = 0, weighted = 0;
	for (const cJSON *c = a->child; c && i < n; c = c->next, i++) {
		cfg_path_index(p, path, i);
		if (s[i].pause && i > 0 && s[i - 1].pause)
			cfg_diag(r, c, false, p, "two pauses in a row: one is enough");
		if (s[i].pause)
			continue;
		weighted++;
		last = s[i].weight;
		if (last < 1)
			continue;
		if (last <= prev)
			cfg_diag(r, c, false, p, "steps must be strictly rising (%d after %d)", last, prev);
		prev = last > prev ? last : prev;
	}
	if (n == 0)
		cfg_diag(r, a, false, path, "must list at least one step, ending at 100");
	else if (weighted == 0)
		cfg_diag(r, a, false, path, "needs a step with a weight: pauses alone move no traffic");
	else if (last >= 1 && last != 100)
		cfg_diag(r, a, false, path, "the last step with a weight must be 100 (all traffic on green)");
}

static void read_step_list(struct cfg_reader *r, const cJSON *o, const char *path,
			   struct layer *l)
{
	char p[CFG_PATH_MAX], ip[CFG_PATH_MAX];
	const cJSON *a = cfg_array(r, o, "steps", path, false);
	if (!a)
		return;
	size_t n = (size_t)cJSON_GetArraySize(a), i = 0;
	l->steps_node = a;
	l->steps = calloc(n ? n : 1, sizeof(*l->steps));
	if (!l->steps)
		return;
	cfg_path(p, path, "steps");
	for (const cJSON *c = a->child; c; c = c->next, i++) {
		cfg_path_index(ip, p, i);
		read_step(r, c, ip, &l->steps[i]);
	}
	l->n_steps = n;
	check_steps(r, a, p, l->steps, n);
}

/* Whether on_breach was written (and readable: a wrong type is reported
 * and then treated as absent). */
static bool read_breach(struct cfg_reader *r, const cJSON *o, const char *path,
			enum breach_action *out)
{
	const char *s = cfg_text(r, o, "on_breach", path, NULL, false);
	if (!s)
		return false;
	if (strcmp(s, "rollback") == 0)
		*out = BREACH_ROLLBACK;
	else if (strcmp(s, "halt") == 0)
		*out = BREACH_HALT;
	else
		cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(o, "on_breach"), false, path,
			    "on_breach", "unknown value '%s' (expected rollback or halt)", s);
	return true;
}

/* o NULL: a layer that gives nothing. */
static void read_layer(struct cfg_reader *r, const cJSON *o, const char *path, struct layer *l)
{
	const struct rollout_conf *d = &rollout_defaults;
	memset(l, 0, sizeof(*l));
	if (!o)
		return;
	cfg_check_keys(r, o, path, rollout_keys);
	read_step_list(r, o, path, l);
	l->has_bake = cJSON_GetObjectItemCaseSensitive(o, "bake_s") != NULL;
	l->bake_ms = to_ms(cfg_number(r, o, "bake_s", path, 0, BAKE_MAX_S, d->bake_ms / 1000.0));
	l->has_max = cJSON_GetObjectItemCaseSensitive(o, "max_failed_checks") != NULL;
	l->max_failed_checks = cfg_int(r, o, "max_failed_checks", path, 1, 1000, d->max_failed_checks);
	l->has_parallel = cJSON_GetObjectItemCaseSensitive(o, "parallel") != NULL;
	l->parallel = cfg_int(r, o, "parallel", path, 1, 10000, d->parallel);
	l->has_breach = read_breach(r, o, path, &l->on_breach);
}

/* The chosen list, plain-number steps given the resolved bake; with no
 * list anywhere, the top-level "steps" (already checked by config.c). */
static void copy_steps(struct rollout_conf *rc, const struct layer *from, const struct config *cfg)
{
	size_t n = from ? from->n_steps : cfg->n_steps;
	rc->steps = calloc(n ? n : 1, sizeof(*rc->steps));
	if (!rc->steps)
		return;
	for (size_t i = 0; i < n; i++) {
		struct rollout_step s = from ? from->steps[i]
			: (struct rollout_step){ .weight = cfg->steps[i], .bake_ms = BAKE_UNSET };
		if (s.bake_ms == BAKE_UNSET)
			s.bake_ms = rc->bake_ms;
		rc->steps[i] = s;
	}
	rc->n_steps = n;
}

/* Lays each layer (NULL: none) over the one before, key by key; a list of
 * steps replaces the whole list below it. */
static void resolve(const struct layer *const *ls, size_t n, const struct config *cfg,
		    struct rollout_conf *out)
{
	const struct layer *steps = NULL;
	*out = rollout_defaults;
	for (size_t i = 0; i < n; i++) {
		const struct layer *l = ls[i];
		if (!l)
			continue;
		steps = l->steps_node ? l : steps;
		out->bake_ms = l->has_bake ? l->bake_ms : out->bake_ms;
		out->max_failed_checks = l->has_max ? l->max_failed_checks : out->max_failed_checks;
		out->parallel = l->has_parallel ? l->parallel : out->parallel;
		out->on_breach = l->has_breach ? l->on_breach : out->on_breach;
	}
	copy_steps(out, steps, cfg);
}

/* A job runs on one side or the other, never split: one step to 100,
 * baked as long as the rollout's last step would have been. */
static void make_job_step(struct rollout_conf *rc)
{
	int bake = rc->bake_ms;
	for (size_t i = rc->n_steps; i-- > 0; )
		if (!rc->steps[i].pause) {
			bake = rc->steps[i].bake_ms;
			break;
		}
	if (!rc->steps)
		return;	/* out of memory in copy_steps, which keeps room for one */
	rc->steps[0] = (struct rollout_step){ .weight = 100, .bake_ms = bake };
	rc->n_steps = 1;
}

/* Steps a job inherits are quietly cut to one; steps written on the job
 * itself that say more are a misunderstanding worth naming. */
static void check_job_steps(struct cfg_reader *r, const struct layer *own, const char *path,
			    const struct service_conf *sc)
{
	char p[CFG_PATH_MAX];
	if (!own->steps_node || (own->n_steps == 1 && own->steps[0].weight == 100))
		return;
	cfg_path(p, path, "steps");
	cfg_diag(r, own->steps_node, false, p,
		 "'%s' %s: it moves 0 or 100 only, so its steps can only be [100]",
		 sc->name ? sc->name : "", sc->kind == KIND_JOB ? "is a job"
		 : "is routed by a Service selector");
}

static void layer_done(struct layer *l)
{
	free(l->steps);
	l->steps = NULL;
}

/* A group key names no group: the nearest group name, if one is near. */
static void unknown_group(struct cfg_reader *r, const cJSON *key, const struct config *cfg)
{
	const char **names = malloc((cfg->n_groups ? cfg->n_groups : 1) * sizeof(*names));
	const char *hint = NULL;
	for (size_t g = 0; names && g < cfg->n_groups; g++)
		names[g] = cfg->groups[g].name;
	if (names)
		hint = config_nearest_name(key->string, names, cfg->n_groups);
	cfg_diag_at(r, key, true, "groups", key->string, "no service is in group '%s'%s%s%s",
		    key->string, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
	free(names);
}

static void read_group(struct cfg_reader *r, const cJSON *o, const cJSON *c, size_t g,
		       struct config *cfg, struct layer *gl)
{
	char p[CFG_PATH_MAX], rp[CFG_PATH_MAX];
	const cJSON *go = cfg_object(r, o, c->string, "groups", false);
	if (!go)
		return;
	cfg_path(p, "groups", c->string);
	cfg_check_keys(r, go, p, group_keys);
	const cJSON *ro = cfg_object(r, go, "rollout", p, false);
	cfg_path(rp, p, "rollout");
	read_layer(r, ro, rp, &gl[g]);
	cfg->groups[g].has_rollout = ro != NULL;
}

/* "groups": {NAME: {"rollout": {...}}}, one layer per derived group (none
 * given: an empty layer). A NAME no service is in would silently apply to
 * nothing, so it is an error; without services that is already one. */
static struct layer *read_groups(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	const cJSON *o = cfg_object(r, root, "groups", "", false);
	struct layer *gl = calloc(cfg->n_groups ? cfg->n_groups : 1, sizeof(*gl));
	bool *seen = calloc(cfg->n_groups ? cfg->n_groups : 1, sizeof(*seen));
	for (const cJSON *c = o && gl && seen ? o->child : NULL; c && c->string; c = c->next) {
		long g = config_find_group(cfg, c->string);
		if (g < 0 && cfg->n_services > 0)
			unknown_group(r, c, cfg);
		else if (g >= 0 && seen[g])
			cfg_diag_at(r, c, true, "groups", c->string,
				    "duplicate key '%s' (the first is at the same level above)", c->string);
		else if (g >= 0)
			read_group(r, o, c, (size_t)g, cfg, gl);
		if (g >= 0)
			seen[g] = true;
	}
	free(seen);
	return gl;
}

/* Each services[] entry's own "rollout" over its group's over the
 * release-wide one. The config's entries match the array's one to one. */
static void resolve_services(struct cfg_reader *r, const cJSON *root, struct config *cfg,
			     const struct layer *top, const struct layer *gl)
{
	char p[CFG_PATH_MAX], rp[CFG_PATH_MAX];
	const struct layer **of = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(*of));
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "services");
	size_t i = 0;
	if (!of)
		return;
	for (size_t g = 0; gl && g < cfg->n_groups; g++)
		for (size_t m = 0; m < cfg->groups[g].n_members; m++)
			of[cfg->groups[g].members[m]] = &gl[g];
	for (const cJSON *c = arr ? arr->child : NULL; c && i < cfg->n_services; c = c->next, i++) {
		struct service_conf *sc = &cfg->services[i];
		struct layer own;
		cfg_path_index(p, "services", i);
		cfg_path(rp, p, "rollout");
		read_layer(r, cJSON_IsObject(c) ? cfg_object(r, c, "rollout", p, false) : NULL, rp, &own);
		const struct layer *ls[] = { top, of[i], &own };
		resolve(ls, 3, cfg, &sc->rollout);
		if (service_all_or_nothing(sc)) {
			check_job_steps(r, &own, rp, sc);
			make_job_step(&sc->rollout);
		}
		layer_done(&own);
	}
	free(of);
}

void config_read_rollout(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	struct layer top;
	read_layer(r, cfg_object(r, root, "rollout", "", false), "rollout", &top);
	struct layer *gl = read_groups(r, root, cfg);
	const struct layer *ls[] = { &top };
	resolve(ls, 1, cfg, &cfg->rollout);
	resolve_services(r, root, cfg, &top, gl);
	for (size_t g = 0; gl && g < cfg->n_groups; g++)
		layer_done(&gl[g]);
	free(gl);
	layer_done(&top);
}

/* Edit distance, bounded: names are at most 128 bytes (cfg_valid_name);
 * a longer one gets no hint. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[130];
	if (la > 128 || lb > 128)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			best = up + 1 < best ? up + 1 : best;
			best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* A likely typo: at most 3 edits, and at most one per 3 bytes of the name
 * ("nope" is not a typo of "api", "serch" is one of "search"). The length
 * gap is a lower bound, which spares most of the work on a long list. */
const char *config_nearest_name(const char *name, const char *const *names, size_t n)
{
	size_t len = strlen(name), best_d = SIZE_MAX;
	const char *best = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t ln = strlen(names[i]);
		if ((ln > len ? ln - len : len - ln) > 3)
			continue;
		size_t d = distance(name, names[i]);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best_d <= 3 && best_d * 3 <= len ? best : NULL;
}
