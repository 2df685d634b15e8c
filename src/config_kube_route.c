/* config_kube_route: a service's "route" under the kubernetes driver — which
 * object carries its traffic split (a Service's selector, an HTTPRoute
 * rule, an ALB Ingress action, or a job's two CronJobs) and what each side
 * is in it. Every mistake is reported at its key. */
#include "config_internal.h"
#include "config_service.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
	[KROUTE_SERVICE_SELECTOR] = "service-selector", [KROUTE_HTTPROUTE] = "httproute",
	[KROUTE_ALB_INGRESS] = "alb-ingress", [KROUTE_CRONJOB] = "cronjob",
};

/* The keys each kind takes at the top of its route. */
static const char *const selector_keys[] = {
	"kind", "namespace", "service", "context", "endpoints", "blue", "green", NULL
};
static const char *const httproute_keys[] = {
	"kind", "namespace", "httproute", "rule", "context", "blue", "green", NULL
};
static const char *const alb_keys[] = {
	"kind", "namespace", "ingress", "action", "context", "blue", "green", NULL
};
static const char *const cronjob_keys[] = { "kind", "blue", "green", NULL };
static const char *const backend_side_keys[] = { "backend", "endpoints", NULL };
static const char *const alb_side_keys[] = { "service", "port", "endpoints", NULL };
static const char *const cronjob_side_keys[] = { "namespace", "cronjob", "context", NULL };

const char *kube_route_kind_name(enum kube_route_kind k)
{
	return k > KROUTE_NONE && k <= KROUTE_CRONJOB ? kind_names[k] : "none";
}

/* A Kubernetes object name: a DNS-1123 subdomain (at most 253). */
static bool dns_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return false;
	return true;
}

static char *name_at(struct cfg_reader *r, const cJSON *o, const char *key, const char *path,
		     bool required)
{
	char *v = cfg_string(r, o, key, path, NULL, required);
	if (v && *v && !dns_name(v))
		cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(o, key), false, path, key,
			    "'%.80s' is not a Kubernetes name (lower-case letters, digits, '-', '.')", v);
	return v;
}

/* service-selector: each side is a label map, the whole selector. */
static void read_labels(struct cfg_reader *r, const cJSON *o, const char *path,
			struct kube_side_conf *ks)
{
	size_t n = (size_t)cJSON_GetArraySize(o), i = 0;
	ks->labels = calloc(2 * n + 1, sizeof(char *));
	if (!ks->labels)
		return;
	if (n == 0)
		cfg_diag(r, o, false, path, "names no label (the Service's selector for this side)");
	for (const cJSON *c = o->child; c; c = c->next) {
		if (!cJSON_IsString(c) || !*c->valuestring) {
			cfg_diag_at(r, c, false, path, c->string, "a label value must be a non-empty string");
			continue;
		}
		ks->labels[i++] = strdup(c->string);
		ks->labels[i++] = strdup(c->valuestring);
		ks->n_labels++;
	}
}

static bool same_labels(const struct kube_side_conf *a, const struct kube_side_conf *b)
{
	if (a->n_labels != b->n_labels || !a->labels || !b->labels)
		return false;
	for (size_t i = 0; i < a->n_labels; i++) {
		size_t j;
		for (j = 0; j < b->n_labels; j++)
			if (strcmp(a->labels[2 * i], b->labels[2 * j]) == 0 &&
			    strcmp(a->labels[2 * i + 1], b->labels[2 * j + 1]) == 0)
				break;
		if (j == b->n_labels)
			return false;
	}
	return true;
}

static void read_side(struct cfg_reader *r, const cJSON *route, const char *path,
		      struct kube_route_conf *k, enum side s)
{
	char p[CFG_PATH_MAX];
	const char *name = side_name(s);
	struct kube_side_conf *ks = &k->side[s];
	const cJSON *o = cfg_object(r, route, name, path, true);
	cfg_path(p, path, name);
	if (!o)
		return;
	switch (k->kind) {
	case KROUTE_SERVICE_SELECTOR:
		read_labels(r, o, p, ks);
		break;
	case KROUTE_HTTPROUTE:
		cfg_check_keys(r, o, p, backend_side_keys);
		ks->backend = name_at(r, o, "backend", p, true);
		ks->endpoints = name_at(r, o, "endpoints", p, false);
		break;
	case KROUTE_ALB_INGRESS:
		cfg_check_keys(r, o, p, alb_side_keys);
		ks->backend = name_at(r, o, "service", p, true);
		ks->port = cfg_int(r, o, "port", p, 1, 65535, 0);
		if (!cJSON_GetObjectItemCaseSensitive(o, "port"))
			cfg_diag(r, o, false, p, "needs \"port\" (the target group's servicePort)");
		ks->endpoints = name_at(r, o, "endpoints", p, false);
		break;
	case KROUTE_CRONJOB:
		cfg_check_keys(r, o, p, cronjob_side_keys);
		ks->namespace = name_at(r, o, "namespace", p, true);
		ks->cronjob = name_at(r, o, "cronjob", p, true);
		ks->context = cfg_string(r, o, "context", p, NULL, false);
		break;
	case KROUTE_NONE:
		break;
	}
}

/* service-selector's optional "endpoints": {"blue": SVC, "green": SVC}. */
static void read_selector_endpoints(struct cfg_reader *r, const cJSON *route, const char *path,
				    struct kube_route_conf *k)
{
	char p[CFG_PATH_MAX];
	const cJSON *o = cfg_object(r, route, "endpoints", path, false);
	cfg_path(p, path, "endpoints");
	if (!o)
		return;
	static const char *const keys[] = { "blue", "green", NULL };
	cfg_check_keys(r, o, p, keys);
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++)
		k->side[s].endpoints = name_at(r, o, side_name((enum side)s), p, false);
}

static enum kube_route_kind read_kind(struct cfg_reader *r, const cJSON *route, const char *path)
{
	const char *kind = cfg_text(r, route, "kind", path, NULL, true);
	for (int k = KROUTE_SERVICE_SELECTOR; kind && k <= KROUTE_CRONJOB; k++)
		if (strcmp(kind, kind_names[k]) == 0)
			return (enum kube_route_kind)k;
	if (kind)
		cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(route, "kind"), false, path, "kind",
			    "unknown route kind '%.40s' (expected service-selector, httproute, "
			    "alb-ingress or cronjob)", kind);
	return KROUTE_NONE;
}

/* The kind must suit the service: a job's two sides are CronJobs. */
static void check_kind_fits(struct cfg_reader *r, const cJSON *route, const char *path,
			    const struct service_conf *sc, enum kube_route_kind kind)
{
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(route, "kind");
	if (sc->kind == KIND_JOB && kind != KROUTE_CRONJOB)
		cfg_diag_at(r, node, false, path, "kind",
			    "a job's route is kind cronjob (its two CronJobs), not %s",
			    kind_names[kind]);
	else if (sc->kind != KIND_JOB && kind == KROUTE_CRONJOB)
		cfg_diag_at(r, node, false, path, "kind",
			    "only a job (kind job) is routed by its CronJobs");
}

static void read_object(struct cfg_reader *r, const cJSON *route, const char *path,
			struct kube_route_conf *k)
{
	static const char *const object_key[] = {
		[KROUTE_SERVICE_SELECTOR] = "service", [KROUTE_HTTPROUTE] = "httproute",
		[KROUTE_ALB_INGRESS] = "ingress",
	};
	static const char *const *const keys[] = {
		[KROUTE_SERVICE_SELECTOR] = selector_keys, [KROUTE_HTTPROUTE] = httproute_keys,
		[KROUTE_ALB_INGRESS] = alb_keys, [KROUTE_CRONJOB] = cronjob_keys,
	};
	cfg_check_keys(r, route, path, keys[k->kind]);
	if (k->kind == KROUTE_CRONJOB)
		return;
	k->namespace = name_at(r, route, "namespace", path, true);
	k->object = name_at(r, route, object_key[k->kind], path, true);
	k->context = cfg_string(r, route, "context", path, NULL, false);
	if (k->kind == KROUTE_HTTPROUTE)
		k->rule = cfg_int(r, route, "rule", path, 0, 15, 0);
	if (k->kind == KROUTE_ALB_INGRESS)
		k->action = cfg_string(r, route, "action", path, NULL, true);
	if (k->kind == KROUTE_SERVICE_SELECTOR)
		read_selector_endpoints(r, route, path, k);
}

static void check_sides_differ(struct cfg_reader *r, const cJSON *route, const char *path,
			       const struct kube_route_conf *k)
{
	const struct kube_side_conf *b = &k->side[SIDE_BLUE], *g = &k->side[SIDE_GREEN];
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(route, "green");
	bool same = false;
	if (k->kind == KROUTE_SERVICE_SELECTOR)
		same = same_labels(b, g);
	else if (k->kind == KROUTE_HTTPROUTE || k->kind == KROUTE_ALB_INGRESS)
		same = b->backend && g->backend && strcmp(b->backend, g->backend) == 0 &&
		       b->port == g->port;
	else if (k->kind == KROUTE_CRONJOB)
		same = b->cronjob && g->cronjob && strcmp(b->cronjob, g->cronjob) == 0 &&
		       b->namespace && g->namespace && strcmp(b->namespace, g->namespace) == 0 &&
		       !b->context == !g->context && (!b->context || strcmp(b->context, g->context) == 0);
	if (same && node)
		cfg_diag(r, node, true, path, "green is the same as blue: a move would change nothing");
}

void config_read_kube_route(struct cfg_reader *r, const cJSON *svc, const char *path,
			    struct service_conf *sc, bool kind_ok)
{
	char p[CFG_PATH_MAX];
	struct kube_route_conf *k = &sc->route.kube;
	const cJSON *route = cfg_object(r, svc, "route", path, true);
	cfg_path(p, path, "route");
	if (!route)
		return;
	k->kind = read_kind(r, route, p);
	if (k->kind == KROUTE_NONE)
		return;
	if (kind_ok)
		check_kind_fits(r, route, p, sc, k->kind);
	read_object(r, route, p, k);
	read_side(r, route, p, k, SIDE_BLUE);
	read_side(r, route, p, k, SIDE_GREEN);
	check_sides_differ(r, route, p, k);
}

void config_free_kube_route(struct kube_route_conf *k)
{
	free(k->context);
	free(k->namespace);
	free(k->object);
	free(k->action);
	for (int s = 0; s < 2; s++) {
		struct kube_side_conf *ks = &k->side[s];
		cfg_free_list(ks->labels);
		free(ks->backend);
		free(ks->endpoints);
		free(ks->context);
		free(ks->namespace);
		free(ks->cronjob);
	}
	memset(k, 0, sizeof(*k));
}
