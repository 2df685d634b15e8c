/* recovery: reconciles the intents a crash left without an outcome. */
#include "cutover/recovery.h"

#include <stdio.h>
#include <string.h>

static void weight_text(int w, char *out, size_t cap)
{
	if (w == WEIGHT_UNKNOWN)
		snprintf(out, cap, "unknown");
	else
		snprintf(out, cap, "%d", w);
}

/* Journals the reconcile record and the outcome that closes the intent. */
static int reconcile_one(struct journal *j, const struct journal_intent *iv,
			 const struct router_merged *mg, size_t instances_up, struct co_error *err)
{
	cJSON *to = cJSON_GetObjectItemCaseSensitive(iv->record, "to");
	cJSON *o = cJSON_CreateObject();
	if (!o) {
		co_error_set(err, "out of memory");
		return -1;
	}
	cJSON_AddStringToObject(o, "service", iv->service);
	cJSON_AddNumberToObject(o, "intent_seq", (double)iv->seq);
	if (cJSON_IsNumber(to))
		cJSON_AddNumberToObject(o, "intended", to->valuedouble);
	if (mg->weight == WEIGHT_UNKNOWN)
		cJSON_AddNullToObject(o, "found");
	else
		cJSON_AddNumberToObject(o, "found", mg->weight);
	cJSON_AddBoolToObject(o, "drift", mg->drift);
	cJSON_AddStringToObject(o, "detail", mg->detail);
	cJSON_AddNumberToObject(o, "instances_up", (double)instances_up);
	const char *plan = iv->plan[0] ? iv->plan : NULL;
	int rc = journal_append(j, "reconcile", plan, o, err);
	/* The outcome closes the intent, so the next start does not
	 * recover it again. */
	cJSON_DeleteItemFromObjectCaseSensitive(o, "intent_seq");
	cJSON_AddStringToObject(o, "result", "reconciled");
	if (rc == 0)
		rc = journal_append(j, "outcome", plan, o, err);
	cJSON_Delete(o);
	return rc;
}

/* A torn tail stays in the file (journal_verify names it); a note says the
 * chain goes on after it, and who found it. */
static int note_torn(struct journal *j, recovery_report_cb report, void *ctx, struct co_error *err)
{
	long torn = journal_torn_line(j);
	if (!torn)
		return 0;
	cJSON *o = cJSON_CreateObject();
	if (!o) {
		co_error_set(err, "out of memory");
		return -1;
	}
	cJSON_AddNumberToObject(o, "torn_line", (double)torn);
	cJSON_AddStringToObject(o, "note", "last line cut short by a crash; kept as it is");
	int rc = journal_append(j, "note", NULL, o, err);
	cJSON_Delete(o);
	if (rc == 0 && report) {
		char line[256];
		snprintf(line, sizeof(line),
			 "recovered: journal line %ld was cut short by a crash; kept, and the chain goes on after it",
			 torn);
		report(line, ctx);
	}
	return rc;
}

long recovery_run(struct journal *j, const struct config *cfg, const struct router_view *view,
		  recovery_report_cb report, void *ctx, struct co_error *err)
{
	struct journal_intent *iv = NULL;
	size_t n = 0;
	if (note_torn(j, report, ctx, err) < 0)
		return -1;
	if (journal_settled(j))
		return 0;	/* the head vouches: nothing open, no scan */
	if (journal_open_intents(journal_path(j), &iv, &n, err) < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		long s = config_find_service(cfg, iv[k].service);
		struct router_merged mg = { .weight = WEIGHT_UNKNOWN };
		if (s >= 0)
			router_view_merge(view, (size_t)s, WEIGHT_UNKNOWN, false, &mg);
		if (reconcile_one(j, &iv[k], &mg, view->up, err) < 0) {
			journal_intents_free(iv, n);
			return -1;
		}
		char wt[32], line[512];
		weight_text(mg.weight, wt, sizeof(wt));
		snprintf(line, sizeof(line),
			 "recovered: plan %s left service %s unfinished; router says %s%s%s%s",
			 iv[k].plan[0] ? iv[k].plan : "(none)", iv[k].service, wt,
			 mg.drift ? " (drift: " : "", mg.drift ? mg.detail : "", mg.drift ? ")" : "");
		if (report)
			report(line, ctx);
	}
	journal_intents_free(iv, n);
	journal_mark_settled(j);
	return (long)n;
}

int recovery_needed(struct journal *j, struct co_error *err)
{
	struct journal_intent *iv = NULL;
	size_t n = 0;
	if (journal_torn_line(j))
		return 1;
	if (journal_settled(j))
		return 0;
	if (journal_open_intents(journal_path(j), &iv, &n, err) < 0)
		return -1;
	journal_intents_free(iv, n);
	return n > 0;
}
