/* kube_route: reading and writing the traffic split of a Service selector,
 * an HTTPRoute rule or an ALB Ingress action (see kube_route.h). */
#include "kube_route.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/model.h"
#include "kube_write.h"

#define MERGE_PATCH "application/merge-patch+json"
#define JSON_PATCH "application/json-patch+json"

static const char *const resources[] = {
	[KROUTE_SERVICE_SELECTOR] = "services", [KROUTE_HTTPROUTE] = "httproutes",
	[KROUTE_ALB_INGRESS] = "ingresses", [KROUTE_CRONJOB] = "cronjobs",
};
static const char *const groups[] = {
	[KROUTE_SERVICE_SELECTOR] = "", [KROUTE_HTTPROUTE] = "gateway.networking.k8s.io",
	[KROUTE_ALB_INGRESS] = "networking.k8s.io", [KROUTE_CRONJOB] = "batch",
};
static const char *const prefixes[] = {
	[KROUTE_SERVICE_SELECTOR] = "/api/v1",
	[KROUTE_HTTPROUTE] = "/apis/gateway.networking.k8s.io/v1",
	[KROUTE_ALB_INGRESS] = "/apis/networking.k8s.io/v1", [KROUTE_CRONJOB] = "/apis/batch/v1",
};

const char *kroute_resource(enum kube_route_kind kind)
{
	return kind > KROUTE_NONE && kind <= KROUTE_CRONJOB ? resources[kind] : "?";
}

const char *kroute_group(enum kube_route_kind kind)
{
	return kind > KROUTE_NONE && kind <= KROUTE_CRONJOB ? groups[kind] : "";
}

void kroute_path(const struct kube_route_conf *k, char *out, size_t cap)
{
	snprintf(out, cap, "%s/namespaces/%s/%s/%s", prefixes[k->kind], k->namespace,
		 resources[k->kind], k->object);
}

void kroute_alb_key(const struct kube_route_conf *k, char *out, size_t cap)
{
	snprintf(out, cap, "alb.ingress.kubernetes.io/actions.%s", k->action);
}

static const char *resource_version(const cJSON *obj)
{
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion");
	return cJSON_IsString(rv) ? rv->valuestring : "";
}

/* blue's and green's shares as the share on green; both 0 is no answer. */
static int share(double blue, double green, const char *where, char *why, size_t cap)
{
	/* The API allows 0..1000000; anything else is a reply not to act on. */
	if (!(blue >= 0 && green >= 0 && blue <= 1e6 && green <= 1e6)) {
		snprintf(why, cap, "%s: weights %g and %g are not both within 0..1000000", where, blue, green);
		return WEIGHT_UNKNOWN;
	}
	if (blue + green <= 0) {
		snprintf(why, cap, "%s: both weights are 0 (no traffic anywhere)", where);
		return WEIGHT_UNKNOWN;
	}
	return (int)lround(100.0 * green / (blue + green));
}

/* --- service-selector ---------------------------------------------------- */

static bool selector_is(const cJSON *sel, const struct kube_side_conf *ks)
{
	if (!cJSON_IsObject(sel) || (size_t)cJSON_GetArraySize(sel) != ks->n_labels)
		return false;
	for (size_t i = 0; i < ks->n_labels; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(sel, ks->labels[2 * i]);
		if (!cJSON_IsString(v) || strcmp(v->valuestring, ks->labels[2 * i + 1]) != 0)
			return false;
	}
	return true;
}

static int selector_weight(const struct kube_route_conf *k, const cJSON *obj, char *why, size_t cap)
{
	const cJSON *sel = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "spec"), "selector");
	if (selector_is(sel, &k->side[SIDE_GREEN]))
		return 100;
	if (selector_is(sel, &k->side[SIDE_BLUE]))
		return 0;
	char *text = sel ? cJSON_PrintUnformatted(sel) : NULL;
	snprintf(why, cap, "service %s/%s: selector %.100s is neither blue's nor green's labels",
		 k->namespace, k->object, text ? text : "(none)");
	free(text);
	return WEIGHT_UNKNOWN;
}

/* {"metadata": {"resourceVersion": RV}, "spec": {"selector": {...}}} with
 * null for every key of the current selector the target lacks. */
static cJSON *selector_patch(const struct kube_route_conf *k, const cJSON *obj, int weight,
			     char *why, size_t cap)
{
	if (weight != 0 && weight != 100) {
		snprintf(why, cap, "a service-selector route is 0 or 100 only (asked %d): it "
			 "switches the Service's selector", weight);
		return NULL;
	}
	const struct kube_side_conf *to = &k->side[weight == 100 ? SIDE_GREEN : SIDE_BLUE];
	const cJSON *cur = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "spec"), "selector");
	cJSON *p = cJSON_CreateObject();
	cJSON *sel = cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "spec"), "selector");
	for (const cJSON *c = cJSON_IsObject(cur) ? cur->child : NULL; c; c = c->next)
		cJSON_AddNullToObject(sel, c->string);
	for (size_t i = 0; i < to->n_labels; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(sel, to->labels[2 * i]);
		cJSON_AddStringToObject(sel, to->labels[2 * i], to->labels[2 * i + 1]);
	}
	return p;
}

/* --- httproute ----------------------------------------------------------- */

/* The rule's backendRefs, and the indices of blue's and green's. */
static const cJSON *backend_refs(const struct kube_route_conf *k, const cJSON *obj, int idx[2],
				 char *why, size_t cap)
{
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "spec"), "rules");
	const cJSON *refs = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rules, k->rule),
							     "backendRefs");
	if (!cJSON_IsArray(refs)) {
		snprintf(why, cap, "httproute %s/%s: spec.rules[%d] has no backendRefs", k->namespace,
			 k->object, k->rule);
		return NULL;
	}
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		idx[s] = -1;
		int i = 0;
		for (const cJSON *r = refs->child; r; r = r->next, i++) {
			const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "name");
			if (cJSON_IsString(n) && strcmp(n->valuestring, k->side[s].backend) == 0)
				idx[s] = i;
		}
		if (idx[s] < 0) {
			snprintf(why, cap, "httproute %s/%s: spec.rules[%d].backendRefs has no %s backend '%s'",
				 k->namespace, k->object, k->rule, side_name((enum side)s), k->side[s].backend);
			return NULL;
		}
	}
	return refs;
}

/* A backendRef's weight; Gateway API's default is 1. */
static double ref_weight(const cJSON *refs, int i)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(refs, i), "weight");
	return cJSON_IsNumber(w) ? w->valuedouble : 1;
}

static int httproute_weight(const struct kube_route_conf *k, const cJSON *obj, char *why, size_t cap)
{
	int idx[2];
	const cJSON *refs = backend_refs(k, obj, idx, why, cap);
	if (!refs)
		return WEIGHT_UNKNOWN;
	char where[200];
	snprintf(where, sizeof where, "httproute %s/%s rule %d", k->namespace, k->object, k->rule);
	return share(ref_weight(refs, idx[SIDE_BLUE]), ref_weight(refs, idx[SIDE_GREEN]), where, why, cap);
}

static void add_op(cJSON *ops, const char *op, const char *path, cJSON *value)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "op", op);
	cJSON_AddStringToObject(o, "path", path);
	cJSON_AddItemToObject(o, "value", value);
	cJSON_AddItemToArray(ops, o);
}

/* [test resourceVersion, add blue's weight, add green's]: "add" sets a
 * member whether or not it is there (a missing weight means 1). */
static cJSON *httproute_patch(const struct kube_route_conf *k, const cJSON *obj, int weight,
			      char *why, size_t cap)
{
	int idx[2];
	if (!backend_refs(k, obj, idx, why, cap))
		return NULL;
	cJSON *ops = cJSON_CreateArray();
	char path[96];
	add_op(ops, "test", "/metadata/resourceVersion", cJSON_CreateString(resource_version(obj)));
	snprintf(path, sizeof path, "/spec/rules/%d/backendRefs/%d/weight", k->rule, idx[SIDE_BLUE]);
	add_op(ops, "add", path, cJSON_CreateNumber(100 - weight));
	snprintf(path, sizeof path, "/spec/rules/%d/backendRefs/%d/weight", k->rule, idx[SIDE_GREEN]);
	add_op(ops, "add", path, cJSON_CreateNumber(weight));
	return ops;
}

/* --- alb-ingress --------------------------------------------------------- */

/* The action annotation parsed, or NULL with why. */
static cJSON *alb_action(const struct kube_route_conf *k, const cJSON *obj, char *why, size_t cap)
{
	char key[300];
	kroute_alb_key(k, key, sizeof key);
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "annotations");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ann, key);
	if (!cJSON_IsString(v)) {
		snprintf(why, cap, "ingress %s/%s has no annotation %.200s", k->namespace, k->object, key);
		return NULL;
	}
	cJSON *a = cJSON_Parse(v->valuestring);
	if (!cJSON_IsObject(a)) {
		snprintf(why, cap, "ingress %s/%s: annotation %.200s is not a JSON object", k->namespace,
			 k->object, key);
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

static bool same_port(const cJSON *p, int port)
{
	if (cJSON_IsNumber(p))
		return p->valuedouble == (double)port;
	if (!cJSON_IsString(p))
		return false;
	char *end;
	long v = strtol(p->valuestring, &end, 10);	/* atoi's overflow is undefined */
	return !*end && v == port;
}

/* forwardConfig.targetGroups[] of blue's and green's services. */
static int alb_groups(const struct kube_route_conf *k, cJSON *action, cJSON *tg[2],
		      char *why, size_t cap)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(action, "forwardConfig"), "targetGroups");
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		tg[s] = NULL;
		for (cJSON *g = cJSON_IsArray(list) ? list->child : NULL; g; g = g->next) {
			const cJSON *n = cJSON_GetObjectItemCaseSensitive(g, "serviceName");
			if (cJSON_IsString(n) && strcmp(n->valuestring, k->side[s].backend) == 0 &&
			    same_port(cJSON_GetObjectItemCaseSensitive(g, "servicePort"), k->side[s].port))
				tg[s] = g;
		}
		if (!tg[s]) {
			snprintf(why, cap, "ingress %s/%s: action %s has no target group for %s's %s:%d",
				 k->namespace, k->object, k->action, side_name((enum side)s),
				 k->side[s].backend, k->side[s].port);
			return -1;
		}
	}
	return 0;
}

static double tg_weight(const cJSON *g)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(g, "weight");
	return cJSON_IsNumber(w) ? w->valuedouble : 0;
}

static int alb_weight(const struct kube_route_conf *k, const cJSON *obj, char *why, size_t cap)
{
	cJSON *a = alb_action(k, obj, why, cap), *tg[2];
	int w = WEIGHT_UNKNOWN;
	if (a && alb_groups(k, a, tg, why, cap) == 0) {
		char where[200];
		snprintf(where, sizeof where, "ingress %s/%s action %s", k->namespace, k->object, k->action);
		w = share(tg_weight(tg[SIDE_BLUE]), tg_weight(tg[SIDE_GREEN]), where, why, cap);
	}
	cJSON_Delete(a);
	return w;
}

static void set_weight(cJSON *g, int w)
{
	cJSON_DeleteItemFromObjectCaseSensitive(g, "weight");
	cJSON_AddNumberToObject(g, "weight", w);
}

/* The annotation again with the two weights set and every other key as it
 * was, in a merge patch with the resourceVersion. */
static cJSON *alb_patch(const struct kube_route_conf *k, const cJSON *obj, int weight,
			char *why, size_t cap)
{
	cJSON *a = alb_action(k, obj, why, cap), *tg[2];
	if (!a || alb_groups(k, a, tg, why, cap) < 0) {
		cJSON_Delete(a);
		return NULL;
	}
	set_weight(tg[SIDE_BLUE], 100 - weight);
	set_weight(tg[SIDE_GREEN], weight);
	char key[300];
	kroute_alb_key(k, key, sizeof key);
	char *text = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	cJSON *p = cJSON_CreateObject();
	cJSON *ann = cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "metadata"), "annotations");
	cJSON_AddStringToObject(ann, key, text ? text : "");
	free(text);
	return p;
}

/* --- the table ----------------------------------------------------------- */

int kroute_weight(const struct kube_route_conf *k, const cJSON *obj, char *why, size_t cap)
{
	switch (k->kind) {
	case KROUTE_SERVICE_SELECTOR: return selector_weight(k, obj, why, cap);
	case KROUTE_HTTPROUTE: return httproute_weight(k, obj, why, cap);
	case KROUTE_ALB_INGRESS: return alb_weight(k, obj, why, cap);
	default: break;
	}
	snprintf(why, cap, "not a traffic route");
	return WEIGHT_UNKNOWN;
}

char *kroute_patch(const struct kube_route_conf *k, const cJSON *obj, int weight,
		   const char **content_type, char *why, size_t cap)
{
	cJSON *p = NULL;
	*content_type = MERGE_PATCH;
	if (k->kind == KROUTE_SERVICE_SELECTOR)
		p = selector_patch(k, obj, weight, why, cap);
	else if (k->kind == KROUTE_ALB_INGRESS)
		p = alb_patch(k, obj, weight, why, cap);
	else if (k->kind == KROUTE_HTTPROUTE) {
		*content_type = JSON_PATCH;
		p = httproute_patch(k, obj, weight, why, cap);
	}
	if (!p)
		return NULL;
	if (k->kind != KROUTE_HTTPROUTE)
		return kube_merge_patch(obj, p, content_type);
	char *s = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	return s;
}
