/* rollout_format: `cutover rollout status` as a table a person reads at a
 * glance: phase as a glyph and a word, step i/n, bake left mm:ss, failed
 * checks k/N, and above it every service that needs a human. */
#include "cli.h"

#include <string.h>

#include "cutover/rollout.h"



static double num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void needs_you(FILE *out, const cJSON *doc)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "needs_you"), *x;
	if (!cJSON_GetArraySize(n))
		return;
	fprintf(out, "NEEDS YOU:");
	cJSON_ArrayForEach(x, n)
		fprintf(out, " %s", cJSON_GetStringValue(x));
	fprintf(out, "  (promote, resume or abort)\n\n");
}

int rollout_status_print(FILE *out, const cJSON *doc)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "services"), *s;
	if (!cJSON_GetArraySize(arr)) {
		fprintf(out, "no rollout has run in this engine's journal\n");
		return 0;
	}
	needs_you(out, doc);
	fprintf(out, "%-24s %-14s %-6s %6s %-9s %-7s %s\n", "SERVICE", "PHASE", "STEP", "WEIGHT",
		"BAKE LEFT", "FAILED", "LAST FAILED CHECK");
	cJSON_ArrayForEach(s, arr) {
		const char *phase = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "phase"));
		int p = phase ? rollout_phase_parse(phase) : -1;
		char ph[24], step[16], w[8] = "?", bake[16] = "-", failed[16];
		snprintf(ph, sizeof ph, "%s %s", p >= 0 ? rollout_phase_glyph(p) : "?", phase ? phase : "?");
		snprintf(step, sizeof step, "%d/%d", (int)num(s, "step", 0), (int)num(s, "steps", 0));
		if (num(s, "weight", -1) >= 0)
			snprintf(w, sizeof w, "%d%%", (int)num(s, "weight", 0));
		double left = num(s, "bake_left_s", -1);
		if (left >= 0)
			snprintf(bake, sizeof bake, "%02d:%02d", (int)left / 60, (int)left % 60);
		snprintf(failed, sizeof failed, "%d/%d", (int)num(s, "failed_checks", 0),
			 (int)num(s, "max_failed_checks", 0));
		const cJSON *lf = cJSON_GetObjectItemCaseSensitive(s, "last_failed_check");
		const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(lf, "detail"));
		fprintf(out, "%-24s %-14s %-6s %6s %-9s %-7s %s\n",
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "service")), ph, step, w, bake,
			failed, why ? why : "");
	}
	return 0;
}
