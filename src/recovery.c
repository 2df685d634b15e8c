/* recovery: reconciles the intents a crash left without an outcome. */
#include "cutover/recovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void weight_text(int w, char *out, size_t cap)
{
	if (w == WEIGHT_UNKNOWN)
		snprintf(out, cap, "unknown");
	else
		snprintf(out, cap, "%d", w);
}

/* Journals the reconcile record and the outcome that closes the intent, in
 * one write made durable by one fsync. Two appends let a kill fall between
 * them, leaving a reconcile with no outcome and the intent open; a kill now
 * lands before both or after both. A power loss (or a kill inside the very
 * write() where it crosses a page) can still cut the write short, tearing
 * the outcome: that line is then no record, the intent is still open, and
 * the next recovery reconciles it once more, naming this reconcile record
 * as previous_reconcile (recovery.h). */
static int reconcile_one(struct journal *j, const struct journal_intent *iv, long long earlier,
			 const struct router_merged *mg, size_t instances_up, struct co_error *err)
{
	cJSON *to = cJSON_GetObjectItemCaseSensitive(iv->record, "to");
	cJSON *o = cJSON_CreateObject();
	cJSON *out = NULL;
	int rc = -1;
	if (!o)
		goto oom;
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
	/* The outcome closes the intent, so the next start does not recover
	 * it again; only the reconcile record names the intent by seq. */
	out = cJSON_Duplicate(o, 1);
	if (out)
		cJSON_DeleteItemFromObjectCaseSensitive(out, "intent_seq");
	if (!out || !cJSON_AddStringToObject(out, "result", "reconciled") ||
	    (earlier > 0 && !cJSON_AddNumberToObject(o, "previous_reconcile", (double)earlier)))
		goto oom;
	const char *plan = iv->plan[0] ? iv->plan : NULL;
	const struct journal_entry v[2] = {
		{ .type = "reconcile", .plan = plan, .payload = o },
		{ .type = "outcome", .plan = plan, .payload = out },
	};
	rc = journal_append_many(j, v, 2, err);
	goto done;
oom:
	co_error_set(err, "reconciling intent %lld (service %s): out of memory", iv->seq,
		     iv->service);
done:
	cJSON_Delete(o);
	cJSON_Delete(out);
	return rc;
}

/* The reconcile records already in the journal for the open intents: an
 * earlier recovery wrote them, but the outcome that should follow never
 * became a record (torn by a power loss, or, from older versions that
 * wrote the two apart, never written). */
struct earlier {
	const struct journal_intent *iv;
	size_t n;
	long long *seq;		/* [n]: the last such record's seq, 0 if none */
};

static int earlier_reconcile(const cJSON *rec, long line, void *ctx)
{
	struct earlier *e = ctx;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
	const cJSON *of = cJSON_GetObjectItemCaseSensitive(rec, "intent_seq");
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "reconcile") != 0 ||
	    !cJSON_IsNumber(of) || !cJSON_IsNumber(seq))
		return 0;
	/* Open intents are few (those a crash interrupted): a walk is fine. */
	for (size_t k = 0; k < e->n; k++)
		if (e->iv[k].seq == (long long)of->valuedouble)
			e->seq[k] = (long long)seq->valuedouble;
	return 0;
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
	if (n == 0) {
		journal_intents_free(iv, n);	/* the array, even when empty */
		journal_mark_settled(j);
		return 0;
	}
	/* A second pass over the file, for the reconcile records an earlier
	 * recovery left: only after a crash left intents open, never on a
	 * clean start (the settled head spares even the first). */
	struct earlier e = { iv, n, calloc(n, sizeof(long long)) };
	if (!e.seq) {
		co_error_set(err, "%s: out of memory reconciling %zu intents", journal_path(j), n);
		journal_intents_free(iv, n);
		return -1;
	}
	if (journal_read(journal_path(j), earlier_reconcile, &e, err) < 0) {
		free(e.seq);
		journal_intents_free(iv, n);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		long s = config_find_service(cfg, iv[k].service);
		struct router_merged mg = { .weight = WEIGHT_UNKNOWN };
		if (s >= 0)
			router_view_merge(view, (size_t)s, WEIGHT_UNKNOWN, false, &mg);
		if (reconcile_one(j, &iv[k], e.seq[k], &mg, view->up, err) < 0) {
			free(e.seq);
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
	free(e.seq);
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
