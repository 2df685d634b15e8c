/* kube_rbac: the Role rules a config's routes need (see kube_rbac.h).
 * Reads are GETs of named objects and LISTs (EndpointSlices by label, a
 * CronJob's Jobs); writes are PATCHes of named objects, and of a CronJob's
 * status (its lastScheduleTime, so an unsuspend fires no catch-up run). */
#include "cutover/kube_rbac.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The role of (context, namespace), made on first use. */
static cJSON *role_for(cJSON *roles, const char *context, const char *ns)
{
	cJSON *r;
	cJSON_ArrayForEach(r, roles) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "context");
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "namespace");
		bool same_ctx = context ? cJSON_IsString(c) && strcmp(c->valuestring, context) == 0
			: cJSON_IsNull(c);
		if (same_ctx && strcmp(n->valuestring, ns) == 0)
			return r;
	}
	r = cJSON_CreateObject();
	if (context)
		cJSON_AddStringToObject(r, "context", context);
	else
		cJSON_AddNullToObject(r, "context");
	cJSON_AddStringToObject(r, "namespace", ns);
	cJSON_AddArrayToObject(r, "rules");
	cJSON_AddItemToArray(roles, r);
	return r;
}

static bool has_string(const cJSON *arr, const char *s)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, arr)
		if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0)
			return true;
	return false;
}

/* Adds verbs on group/resource (name NULL: any, as list needs) to a role,
 * folding rules with the same group, resource and verbs. */
static void need(cJSON *role, const char *group, const char *resource, const char *verbs,
		 const char *name)
{
	cJSON *rules = cJSON_GetObjectItemCaseSensitive(role, "rules"), *r;
	cJSON_ArrayForEach(r, rules) {
		const cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "apiGroups"), 0);
		const cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "resources"), 0);
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "verbsText");
		cJSON *names = cJSON_GetObjectItemCaseSensitive(r, "resourceNames");
		if (strcmp(g->valuestring, group) || strcmp(res->valuestring, resource) ||
		    strcmp(v->valuestring, verbs) || !names != !name)
			continue;
		if (name && !has_string(names, name))
			cJSON_AddItemToArray(names, cJSON_CreateString(name));
		return;
	}
	r = cJSON_CreateObject();
	const char *one[] = { group }, *res1[] = { resource };
	cJSON_AddItemToObject(r, "apiGroups", cJSON_CreateStringArray(one, 1));
	cJSON_AddItemToObject(r, "resources", cJSON_CreateStringArray(res1, 1));
	if (name)
		cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "resourceNames"), cJSON_CreateString(name));
	cJSON_AddStringToObject(r, "verbsText", verbs);
	cJSON_AddItemToArray(rules, r);
}

static void route_needs(cJSON *roles, const struct kube_route_conf *k, const char *dflt)
{
	static const char *const group[] = {
		[KROUTE_SERVICE_SELECTOR] = "", [KROUTE_HTTPROUTE] = "gateway.networking.k8s.io",
		[KROUTE_ALB_INGRESS] = "networking.k8s.io",
	};
	static const char *const resource[] = {
		[KROUTE_SERVICE_SELECTOR] = "services", [KROUTE_HTTPROUTE] = "httproutes",
		[KROUTE_ALB_INGRESS] = "ingresses",
	};
	cJSON *role = role_for(roles, k->context ? k->context : dflt, k->namespace);
	need(role, group[k->kind], resource[k->kind], "get patch", k->object);
	bool endpoints = k->kind != KROUTE_SERVICE_SELECTOR || k->side[0].endpoints || k->side[1].endpoints;
	if (endpoints)
		need(role, "discovery.k8s.io", "endpointslices", "list", NULL);
}

static void cronjob_needs(cJSON *roles, const struct kube_route_conf *k, const char *dflt)
{
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		const struct kube_side_conf *ks = &k->side[s];
		const char *ctx = ks->context ? ks->context : k->context;
		cJSON *role = role_for(roles, ctx ? ctx : dflt, ks->namespace);
		need(role, "batch", "cronjobs", "get patch", ks->cronjob);
		need(role, "batch", "cronjobs/status", "patch", ks->cronjob);
		need(role, "batch", "jobs", "list", NULL);
	}
}

cJSON *kube_rbac_roles(const struct config *cfg)
{
	if (cfg->router.driver != DRIVER_KUBERNETES)
		return NULL;
	cJSON *roles = cJSON_CreateArray();
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct kube_route_conf *k = &cfg->services[i].route.kube;
		if (k->kind == KROUTE_CRONJOB)
			cronjob_needs(roles, k, cfg->router.context);
		else if (k->kind != KROUTE_NONE)
			route_needs(roles, k, cfg->router.context);
	}
	/* "verbsText" was the folding key; the manifest has a list. */
	cJSON *role, *r;
	cJSON_ArrayForEach(role, roles) {
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(role, "rules")) {
			char verbs[64];
			snprintf(verbs, sizeof verbs, "%s",
				 cJSON_GetObjectItemCaseSensitive(r, "verbsText")->valuestring);
			cJSON_DeleteItemFromObjectCaseSensitive(r, "verbsText");
			cJSON *v = cJSON_AddArrayToObject(r, "verbs");
			for (char *save, *w = strtok_r(verbs, " ", &save); w; w = strtok_r(NULL, " ", &save))
				cJSON_AddItemToArray(v, cJSON_CreateString(w));
		}
	}
	return roles;
}

static void yaml_list(FILE *out, const char *key, const cJSON *arr)
{
	const cJSON *v;
	fprintf(out, "  %s%s: [", strcmp(key, "apiGroups") == 0 ? "- " : "  ", key);
	int i = 0;
	cJSON_ArrayForEach(v, arr)
		fprintf(out, "%s\"%s\"", i++ ? ", " : "", v->valuestring);
	fprintf(out, "]\n");
}

/* A Role's name is a DNS subdomain: the release's name made one. */
static void role_name(const char *release, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = release; *p && n + 1 < cap && n < 60; p++) {
		char c = (char)tolower((unsigned char)*p);
		out[n++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ? c : '-';
	}
	while (n && (out[n - 1] == '-' || out[n - 1] == '.'))
		n--;
	out[n] = 0;
}

void kube_rbac_print_yaml(FILE *out, const struct config *cfg, const cJSON *roles)
{
	char name[64];
	role_name(cfg->release ? cfg->release : "", name, sizeof name);
	const cJSON *role, *r;
	int n = 0;
	cJSON_ArrayForEach(role, roles) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(role, "context");
		const char *ns = cJSON_GetObjectItemCaseSensitive(role, "namespace")->valuestring;
		fprintf(out, "%s# context %s\n", n++ ? "---\n" : "", cJSON_IsString(c) ? c->valuestring
			: cfg->router.context ? cfg->router.context : "(the kubeconfig's current-context)");
		fprintf(out, "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n"
			"  name: cutover%s%s\n  namespace: %s\nrules:\n", *name ? "-" : "", name, ns);
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(role, "rules")) {
			yaml_list(out, "apiGroups", cJSON_GetObjectItemCaseSensitive(r, "apiGroups"));
			yaml_list(out, "resources", cJSON_GetObjectItemCaseSensitive(r, "resources"));
			const cJSON *names = cJSON_GetObjectItemCaseSensitive(r, "resourceNames");
			if (names)
				yaml_list(out, "resourceNames", names);
			yaml_list(out, "verbs", cJSON_GetObjectItemCaseSensitive(r, "verbs"));
		}
	}
}
