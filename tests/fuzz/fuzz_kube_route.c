/* libFuzzer target: API objects as the kubernetes driver reads them
 * (src/k8s/kube_route.c). Any bytes, parsed as an object of each route
 * kind, give a weight in 0..100 or none with a reason; a patch is JSON,
 * and a JSON patch begins with its resourceVersion test. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cutover/config.h"
#include "cutover/model.h"
#include "../../src/k8s/kube_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define H "\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}"
static const char config_text[] =
	"{\"release\":\"f\",\"router\":{\"driver\":\"kubernetes\"},\"services\":["
	"{\"name\":\"a\",\"kind\":\"exposed\"," H ",\"route\":{\"kind\":\"service-selector\",\"namespace\":\"s\","
	"\"service\":\"a\",\"blue\":{\"app\":\"a\",\"t\":\"b\"},\"green\":{\"app\":\"a\",\"t\":\"g\"}}},"
	"{\"name\":\"b\",\"kind\":\"exposed\"," H ",\"route\":{\"kind\":\"httproute\",\"namespace\":\"s\","
	"\"httproute\":\"b\",\"rule\":0,\"blue\":{\"backend\":\"b1\"},\"green\":{\"backend\":\"b2\"}}},"
	"{\"name\":\"c\",\"kind\":\"exposed\"," H ",\"route\":{\"kind\":\"alb-ingress\",\"namespace\":\"s\","
	"\"ingress\":\"c\",\"action\":\"x\",\"blue\":{\"service\":\"c1\",\"port\":80},"
	"\"green\":{\"service\":\"c2\",\"port\":80}}}]}";

static const struct config *the_config(void)
{
	static struct config *cfg;
	if (!cfg) {
		struct diag_list d;
		diag_list_init(&d);
		cfg = config_parse("fuzz.json", config_text, strlen(config_text), &d);
		diag_list_done(&d);
		if (!cfg)
			abort();
	}
	return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct config *cfg = the_config();
	cJSON *obj = cJSON_ParseWithLength((const char *)data, size);
	if (!obj)
		return 0;
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct kube_route_conf *k = &cfg->services[i].route.kube;
		char why[300] = "";
		int w = kroute_weight(k, obj, why, sizeof why);
		if (w != WEIGHT_UNKNOWN && (w < 0 || w > 100))
			abort();
		if (w == WEIGHT_UNKNOWN && !why[0])
			abort();	/* no weight always says why */
		const char *ct = NULL;
		char *p = kroute_patch(k, obj, 100, &ct, why, sizeof why);
		if (!p)
			continue;
		cJSON *pj = cJSON_Parse(p);
		if (!pj)
			abort();
		if (k->kind == KROUTE_HTTPROUTE) {
			const cJSON *op = cJSON_GetObjectItem(cJSON_GetArrayItem(pj, 0), "op");
			if (!cJSON_IsString(op) || strcmp(op->valuestring, "test") != 0)
				abort();
		}
		cJSON_Delete(pj);
		free(p);
	}
	cJSON_Delete(obj);
	return 0;
}
