/* Unit tests for the kubernetes driver's pure parts: the config of its
 * routes (each mistake at its key), the weight each route kind reads from
 * its object, the patch it writes (precondition first, other keys kept),
 * which API answers are a precondition to retry, and the RBAC Roles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "cutover/config.h"
#include "cutover/kube_rbac.h"
#include "cutover/model.h"
#include "../../src/k8s/kube_client.h"
#include "../../src/k8s/kube_route.h"

#define assert_contains(text, part) do { \
	if (!strstr((text), (part))) \
		fail_msg("\"%s\" lacks \"%s\"", (text), (part)); \
} while (0)

#define HEALTH "\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}"
#define ROUTER "\"router\":{\"driver\":\"kubernetes\",\"kubeconfig\":\"/nonexistent\",\"context\":\"main\"}"

static struct config *load(const char *services, struct diag_list *d)
{
	char text[4096];
	snprintf(text, sizeof text, "{\"release\":\"r\",%s,\"services\":[%s]}", ROUTER, services);
	diag_list_init(d);
	return config_parse("t.json", text, strlen(text), d);
}

/* The config is refused with a diagnostic at path containing part. */
static void refused(const char *services, const char *path, const char *part)
{
	struct diag_list d;
	struct config *cfg = load(services, &d);
	bool found = false;
	for (size_t i = 0; i < d.n; i++)
		found |= strcmp(d.items[i].path, path) == 0 && strstr(d.items[i].msg, part);
	if (!found || cfg) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "  have %s: %s\n", d.items[i].path, d.items[i].msg);
		fail_msg("no diagnostic at '%s' containing '%s'", path, part);
	}
	diag_list_done(&d);
}

#define SELECTOR "{\"name\":\"web\",\"kind\":\"exposed\"," HEALTH ",\"route\":{\"kind\":\"service-selector\"," \
	"\"namespace\":\"shop\",\"service\":\"web\",\"blue\":{\"app\":\"web\",\"track\":\"blue\",\"pool\":\"p1\"}," \
	"\"green\":{\"app\":\"web\",\"track\":\"green\"}}}"
#define HTTPROUTE "{\"name\":\"api\",\"kind\":\"exposed\"," HEALTH ",\"route\":{\"kind\":\"httproute\"," \
	"\"namespace\":\"shop\",\"httproute\":\"api\",\"rule\":1,\"blue\":{\"backend\":\"api-b\"}," \
	"\"green\":{\"backend\":\"api-g\"}}}"
#define ALB "{\"name\":\"shop\",\"kind\":\"exposed\"," HEALTH ",\"route\":{\"kind\":\"alb-ingress\"," \
	"\"namespace\":\"shop\",\"ingress\":\"shop\",\"action\":\"bg\",\"context\":\"edge\"," \
	"\"blue\":{\"service\":\"s-b\",\"port\":80},\"green\":{\"service\":\"s-g\",\"port\":8080}}}"
#define CRONJOB "{\"name\":\"sync\",\"kind\":\"job\",\"schedule\":\"*/5 * * * *\"," HEALTH "," \
	"\"route\":{\"kind\":\"cronjob\",\"blue\":{\"namespace\":\"shop\",\"cronjob\":\"sync-b\"}," \
	"\"green\":{\"namespace\":\"batch\",\"cronjob\":\"sync-g\",\"context\":\"fargate\"}}}"

static void routes_are_read(void **state)
{
	(void)state;
	struct diag_list d;
	struct config *cfg = load(SELECTOR "," HTTPROUTE "," ALB "," CRONJOB, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s: %s\n", d.items[i].path, d.items[i].msg);
	assert_non_null(cfg);
	const struct kube_route_conf *k = &cfg->services[0].route.kube;
	assert_int_equal(k->kind, KROUTE_SERVICE_SELECTOR);
	assert_int_equal(k->side[SIDE_BLUE].n_labels, 3);
	assert_true(service_all_or_nothing(&cfg->services[0]));
	assert_false(service_all_or_nothing(&cfg->services[1]));
	assert_int_equal(cfg->services[1].route.kube.rule, 1);
	assert_string_equal(cfg->services[2].route.kube.context, "edge");
	assert_int_equal(cfg->services[2].route.kube.side[SIDE_GREEN].port, 8080);
	k = &cfg->services[3].route.kube;
	assert_string_equal(k->side[SIDE_GREEN].context, "fargate");
	assert_null(k->side[SIDE_BLUE].context);
	/* A selector service steps 0 -> 100 in one step, as a job does. */
	assert_int_equal(cfg->services[0].rollout.n_steps, 1);
	assert_int_equal(cfg->services[0].rollout.steps[0].weight, 100);
	config_free(cfg);
	diag_list_done(&d);
}

static void route_mistakes_are_named(void **state)
{
	(void)state;
	refused("{\"name\":\"a\",\"kind\":\"exposed\"," HEALTH ",\"route\":{\"kind\":\"istio\"}}",
		"services[0].route.kind", "unknown route kind 'istio'");
	refused("{\"name\":\"a\",\"kind\":\"exposed\"," HEALTH "}", "services[0].route",
		"missing required key");
	refused("{\"name\":\"a\",\"kind\":\"job\",\"schedule\":\"@hourly\"," HEALTH ",\"route\":"
		"{\"kind\":\"httproute\",\"namespace\":\"s\",\"httproute\":\"x\",\"blue\":{\"backend\":\"b\"},"
		"\"green\":{\"backend\":\"g\"}}}", "services[0].route.kind", "a job's route is kind cronjob");
	refused("{\"name\":\"a\",\"kind\":\"exposed\"," HEALTH ",\"route\":{\"kind\":\"cronjob\","
		"\"blue\":{\"namespace\":\"s\",\"cronjob\":\"b\"},\"green\":{\"namespace\":\"s\",\"cronjob\":\"g\"}}}",
		"services[0].route.kind", "only a job");
	refused("{\"name\":\"a\",\"kind\":\"exposed\"," HEALTH ",\"route\":{\"kind\":\"service-selector\","
		"\"namespace\":\"s\",\"service\":\"x\",\"blue\":{\"app\":\"a\"},\"green\":{\"app\":\"a\"}}}",
		"services[0].route", "green is the same as blue");
	refused("{\"name\":\"a\",\"kind\":\"exposed\"," HEALTH ",\"route\":{\"kind\":\"httproute\","
		"\"namespace\":\"Shop_1\",\"httproute\":\"x\",\"blue\":{\"backend\":\"b\"},\"green\":{\"backend\":\"g\"}}}",
		"services[0].route.namespace", "not a Kubernetes name");
	refused("{\"name\":\"a\",\"kind\":\"exposed\"," HEALTH ",\"route\":{\"kind\":\"alb-ingress\","
		"\"namespace\":\"s\",\"ingress\":\"x\",\"action\":\"bg\",\"blue\":{\"service\":\"b\"},"
		"\"green\":{\"service\":\"g\",\"port\":80}}}", "services[0].route.blue", "needs \"port\"");
	refused("{\"name\":\"a\",\"kind\":\"exposed\"," HEALTH ",\"route\":{\"kind\":\"httproute\","
		"\"namespace\":\"s\",\"httproute\":\"x\",\"weight\":3,\"blue\":{\"backend\":\"b\"},"
		"\"green\":{\"backend\":\"g\"}}}", "services[0].route.weight", "unknown key");
	refused("{\"name\":\"a\",\"kind\":\"exposed\"," HEALTH ",\"route\":{\"kind\":\"service-selector\","
		"\"namespace\":\"s\",\"service\":\"x\",\"blue\":{\"app\":7},\"green\":{\"app\":\"g\"}}}",
		"services[0].route.blue.app", "non-empty string");
}

/* With another driver, a route kind is an error at that key. */
static void route_kind_needs_the_kubernetes_driver(void **state)
{
	(void)state;
	const char *text = "{\"release\":\"r\",\"services\":[{\"name\":\"a\",\"kind\":\"exposed\"," HEALTH
		",\"route\":{\"kind\":\"httproute\"}}]}";
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("t.json", text, strlen(text), &d);
	assert_null(cfg);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].path, "services[0].route.kind");
	assert_contains(d.items[0].msg, "kubernetes driver only");
	diag_list_done(&d);
}

static struct config *one(const char *svc)
{
	struct diag_list d;
	struct config *cfg = load(svc, &d);
	assert_non_null(cfg);
	diag_list_done(&d);
	return cfg;
}

static void selector_weights_and_patches(void **state)
{
	(void)state;
	struct config *cfg = one(SELECTOR);
	const struct kube_route_conf *k = &cfg->services[0].route.kube;
	char why[200] = "", path[200];
	const char *ct;
	kroute_path(k, path, sizeof path);
	assert_string_equal(path, "/api/v1/namespaces/shop/services/web");
	cJSON *blue = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"41\"},\"spec\":{\"selector\":"
				  "{\"track\":\"blue\",\"app\":\"web\",\"pool\":\"p1\"}}}");
	assert_int_equal(kroute_weight(k, blue, why, sizeof why), 0);
	char *p = kroute_patch(k, blue, 100, &ct, why, sizeof why);
	assert_non_null(p);
	assert_string_equal(ct, "application/merge-patch+json");
	/* pool is dropped with null: a merge patch keeps keys it does not name. */
	cJSON *pj = cJSON_Parse(p);
	char *sel = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(pj, "spec"), "selector"));
	assert_string_equal(sel, "{\"pool\":null,\"app\":\"web\",\"track\":\"green\"}");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(pj, "metadata"), "resourceVersion")->valuestring, "41");
	free(sel);
	cJSON_Delete(pj);
	free(p);
	assert_null(kroute_patch(k, blue, 25, &ct, why, sizeof why));
	assert_contains(why, "0 or 100 only");
	/* A selector that is neither side's is no weight, and says what it is. */
	cJSON *odd = cJSON_Parse("{\"spec\":{\"selector\":{\"app\":\"web\"}}}");
	assert_int_equal(kroute_weight(k, odd, why, sizeof why), WEIGHT_UNKNOWN);
	assert_contains(why, "{\"app\":\"web\"} is neither");
	cJSON_Delete(odd);
	cJSON_Delete(blue);
	config_free(cfg);
}

static void httproute_weights_and_patches(void **state)
{
	(void)state;
	struct config *cfg = one(HTTPROUTE);
	const struct kube_route_conf *k = &cfg->services[0].route.kube;
	char why[200] = "";
	const char *ct;
	cJSON *o = cJSON_Parse("{\"metadata\":{\"resourceVersion\":\"7\"},\"spec\":{\"rules\":["
			       "{\"backendRefs\":[{\"name\":\"other\"}]},"
			       "{\"backendRefs\":[{\"name\":\"api-g\",\"weight\":1},{\"name\":\"api-b\",\"weight\":3}]}]}}");
	assert_int_equal(kroute_weight(k, o, why, sizeof why), 25);
	char *p = kroute_patch(k, o, 40, &ct, why, sizeof why);
	assert_string_equal(ct, "application/json-patch+json");
	assert_string_equal(p, "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"7\"},"
			    "{\"op\":\"add\",\"path\":\"/spec/rules/1/backendRefs/1/weight\",\"value\":60},"
			    "{\"op\":\"add\",\"path\":\"/spec/rules/1/backendRefs/0/weight\",\"value\":40}]");
	free(p);
	/* A missing weight is Gateway API's default of 1 each: 50 %. */
	cJSON *dflt = cJSON_Parse("{\"spec\":{\"rules\":[{},{\"backendRefs\":[{\"name\":\"api-b\"},{\"name\":\"api-g\"}]}]}}");
	assert_int_equal(kroute_weight(k, dflt, why, sizeof why), 50);
	cJSON *zero = cJSON_Parse("{\"spec\":{\"rules\":[{},{\"backendRefs\":[{\"name\":\"api-b\",\"weight\":0},"
				  "{\"name\":\"api-g\",\"weight\":0}]}]}}");
	assert_int_equal(kroute_weight(k, zero, why, sizeof why), WEIGHT_UNKNOWN);
	assert_contains(why, "both weights are 0");
	/* A hostile reply (the API never stores one) is no weight either. */
	cJSON *neg = cJSON_Parse("{\"spec\":{\"rules\":[{},{\"backendRefs\":[{\"name\":\"api-b\",\"weight\":90},"
				 "{\"name\":\"api-g\",\"weight\":-10}]}]}}");
	assert_int_equal(kroute_weight(k, neg, why, sizeof why), WEIGHT_UNKNOWN);
	assert_contains(why, "not both within 0..1000000");
	cJSON_Delete(neg);
	cJSON *missing = cJSON_Parse("{\"spec\":{\"rules\":[{},{\"backendRefs\":[{\"name\":\"api-b\"}]}]}}");
	assert_null(kroute_patch(k, missing, 50, &ct, why, sizeof why));
	assert_contains(why, "no green backend 'api-g'");
	cJSON *norule = cJSON_Parse("{\"spec\":{\"rules\":[]}}");
	assert_int_equal(kroute_weight(k, norule, why, sizeof why), WEIGHT_UNKNOWN);
	assert_contains(why, "spec.rules[1] has no backendRefs");
	cJSON_Delete(norule);
	cJSON_Delete(missing);
	cJSON_Delete(zero);
	cJSON_Delete(dflt);
	cJSON_Delete(o);
	config_free(cfg);
}

static void alb_keeps_every_other_key(void **state)
{
	(void)state;
	struct config *cfg = one(ALB);
	const struct kube_route_conf *k = &cfg->services[0].route.kube;
	char why[300] = "";
	const char *ct;
	cJSON *o = cJSON_CreateObject();
	cJSON *md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "resourceVersion", "9");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "annotations"), "alb.ingress.kubernetes.io/actions.bg",
		"{\"type\":\"forward\",\"forwardConfig\":{\"targetGroups\":[{\"serviceName\":\"s-b\",\"servicePort\":\"80\","
		"\"weight\":90},{\"serviceName\":\"s-g\",\"servicePort\":8080,\"weight\":10},{\"targetGroupARN\":\"arn:x\","
		"\"weight\":0}],\"targetGroupStickinessConfig\":{\"enabled\":true,\"durationSeconds\":60}}}");
	assert_int_equal(kroute_weight(k, o, why, sizeof why), 10);
	char *p = kroute_patch(k, o, 30, &ct, why, sizeof why);
	assert_string_equal(ct, "application/merge-patch+json");
	cJSON *pj = cJSON_Parse(p);
	cJSON *ann = cJSON_GetObjectItem(cJSON_GetObjectItem(pj, "metadata"), "annotations");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(pj, "metadata"), "resourceVersion")->valuestring, "9");
	cJSON *a = cJSON_Parse(cJSON_GetObjectItem(ann, "alb.ingress.kubernetes.io/actions.bg")->valuestring);
	char *text = cJSON_PrintUnformatted(a);
	assert_string_equal(text, "{\"type\":\"forward\",\"forwardConfig\":{\"targetGroups\":["
			    "{\"serviceName\":\"s-b\",\"servicePort\":\"80\",\"weight\":70},"
			    "{\"serviceName\":\"s-g\",\"servicePort\":8080,\"weight\":30},"
			    "{\"targetGroupARN\":\"arn:x\",\"weight\":0}],"
			    "\"targetGroupStickinessConfig\":{\"enabled\":true,\"durationSeconds\":60}}}");
	free(text);
	cJSON_Delete(a);
	cJSON_Delete(pj);
	free(p);
	/* No annotation, or one that is not JSON: named, no weight. */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(md, "annotations"), "alb.ingress.kubernetes.io/actions.bg",
				  cJSON_CreateString("not json"));
	assert_int_equal(kroute_weight(k, o, why, sizeof why), WEIGHT_UNKNOWN);
	assert_contains(why, "is not a JSON object");
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(md, "annotations"), "alb.ingress.kubernetes.io/actions.bg");
	assert_int_equal(kroute_weight(k, o, why, sizeof why), WEIGHT_UNKNOWN);
	assert_contains(why, "has no annotation alb.ingress.kubernetes.io/actions.bg");
	cJSON_Delete(o);
	config_free(cfg);
}

static void preconditions_are_told_apart(void **state)
{
	(void)state;
	struct kube_reply r = { .status = 409 };
	assert_true(kube_reply_precondition(&r));
	r.status = 422;
	snprintf(r.message, sizeof r.message, "the server rejected our request (testing value /metadata/resourceVersion failed: test failed)");
	assert_true(kube_reply_precondition(&r));
	r.status = 500;
	snprintf(r.message, sizeof r.message, "Testing value /metadata/resourceVersion failed");
	assert_true(kube_reply_precondition(&r));
	r.status = 422;
	snprintf(r.message, sizeof r.message, "spec.rules[0].backendRefs[0].weight: Invalid value");
	assert_false(kube_reply_precondition(&r));
	r.status = 403;
	assert_false(kube_reply_precondition(&r));
	r.status = 500;
	snprintf(r.message, sizeof r.message, "etcdserver: request timed out");
	assert_false(kube_reply_precondition(&r));
}

static void rbac_roles_are_the_least(void **state)
{
	(void)state;
	struct config *cfg = one(SELECTOR "," HTTPROUTE "," ALB "," CRONJOB);
	cJSON *roles = kube_rbac_roles(cfg);
	char *text = cJSON_PrintUnformatted(roles);
	/* main/shop: the selector and the route (context main), then the
	 * cronjob's blue side; edge/shop: the ingress; fargate/batch: green. */
	assert_int_equal(cJSON_GetArraySize(roles), 3);
	assert_contains(text, "{\"context\":\"main\",\"namespace\":\"shop\",\"rules\":[{\"apiGroups\":[\"\"],"
			"\"resources\":[\"services\"],\"resourceNames\":[\"web\"],\"verbs\":[\"get\",\"patch\"]}");
	assert_contains(text, "{\"apiGroups\":[\"discovery.k8s.io\"],\"resources\":[\"endpointslices\"],\"verbs\":[\"list\"]}");
	assert_contains(text, "{\"context\":\"edge\",\"namespace\":\"shop\"");
	assert_contains(text, "{\"context\":\"fargate\",\"namespace\":\"batch\",\"rules\":[{\"apiGroups\":[\"batch\"],"
			"\"resources\":[\"cronjobs\"],\"resourceNames\":[\"sync-g\"],\"verbs\":[\"get\",\"patch\"]},"
			"{\"apiGroups\":[\"batch\"],\"resources\":[\"cronjobs/status\"],\"resourceNames\":[\"sync-g\"],"
			"\"verbs\":[\"patch\"]},{\"apiGroups\":[\"batch\"],\"resources\":[\"jobs\"],\"verbs\":[\"list\"]}]}");
	free(text);
	cJSON_Delete(roles);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(routes_are_read),
		cmocka_unit_test(route_mistakes_are_named),
		cmocka_unit_test(route_kind_needs_the_kubernetes_driver),
		cmocka_unit_test(selector_weights_and_patches),
		cmocka_unit_test(httproute_weights_and_patches),
		cmocka_unit_test(alb_keeps_every_other_key),
		cmocka_unit_test(preconditions_are_told_apart),
		cmocka_unit_test(rbac_roles_are_the_least),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
