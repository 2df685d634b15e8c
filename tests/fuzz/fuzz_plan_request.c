/* libFuzzer target: the engine API's request body (POST /v1/plans),
 * plan_request_parse. A body is either refused with an error naming the
 * JSON path, or gives a request that keeps the contract's promises and
 * reads back the same from its own JSON (what a client POSTs). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/plan_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct plan_request *a, const struct plan_request *b)
{
	if (a->kind != b->kind || a->all != b->all || a->n_targets != b->n_targets ||
	    a->goal != b->goal || a->weight != b->weight || a->force != b->force ||
	    !a->reason != !b->reason || (a->reason && strcmp(a->reason, b->reason) != 0))
		return false;
	for (size_t i = 0; i < a->n_targets; i++)
		if (strcmp(a->targets[i], b->targets[i]) != 0)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_request r, back;
	struct co_error err = { .msg = "" };

	if (plan_request_parse((const char *)data, size, &r, &err) < 0) {
		if (!strchr(err.msg, ':') || r.targets || r.reason)
			abort();	/* named path; nothing left to free */
		return 0;
	}
	if (r.weight < 0 || r.weight > 100 || (r.force && !r.reason) || r.all == (r.n_targets > 0))
		abort();
	for (size_t i = 0; i < r.n_targets; i++)
		if (!r.targets[i][0])
			abort();

	cJSON *j = plan_request_json(&r);
	char *body = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!body)
		abort();
	if (plan_request_parse(body, strlen(body), &back, &err) < 0 || !same(&r, &back))
		abort();	/* what a client sends must read back as it was */
	plan_request_done(&back);
	cJSON_free(body);
	plan_request_done(&r);
	return 0;
}
