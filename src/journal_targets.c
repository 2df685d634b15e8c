/* journal_targets: each service's last set weight, from the journal (see
 * journal_targets.h). */
#include "cutover/journal_targets.h"

#include <stdlib.h>
#include <string.h>

#include "cutover/journal.h"

struct target_scan {
	const struct config *cfg;
	int *target;		/* per service, WEIGHT_UNKNOWN until an outcome sets it */
};

/* The field of an outcome that holds the weight the service was left at. */
static const char *weight_field(const char *result)
{
	if (strcmp(result, "applied") == 0)
		return "to";
	if (strcmp(result, "reverted") == 0)
		return "from";	/* put back where it was */
	if (strcmp(result, "reconciled") == 0)
		return "found";	/* what the router said after a crash */
	return NULL;		/* "failed": the instance did not change */
}

/* The weight an outcome record left service *s at: true with *s and *v,
 * false for any other record, a failure, a service not in the config, or a
 * weight the service cannot hold. */
static bool outcome_target(const cJSON *rec, const struct config *cfg, long *s, int *v)
{
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "type"));
	const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "service"));
	const char *result = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "result"));
	if (!type || strcmp(type, "outcome") != 0 || !svc || !result)
		return false;
	*s = config_find_service(cfg, svc);
	const char *field = weight_field(result);
	if (*s < 0 || !field)
		return false;	/* a service since removed from the config */
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(rec, field);
	if (!cJSON_IsNumber(w) || w->valuedouble < 0 || w->valuedouble > 100 ||
	    w->valuedouble != (double)(int)w->valuedouble)
		return false;	/* null ("from" unknown, "found" unreadable) or not a weight */
	*v = (int)w->valuedouble;
	return cfg->services[*s].kind != KIND_JOB || *v == 0 || *v == 100;
}

static int scan_outcome(const cJSON *rec, long line, void *ctx)
{
	struct target_scan *ts = ctx;
	(void)line;
	long s;
	int v;
	if (outcome_target(rec, ts->cfg, &s, &v))
		ts->target[s] = v;
	return 0;
}

void journal_target_note(const cJSON *rec, const struct config *cfg, struct model *m)
{
	long s;
	int v;
	struct co_error ignored;
	if (outcome_target(rec, cfg, &s, &v))
		model_set_target(m, (size_t)s, v, &ignored);
}

int journal_seed_targets(const char *journal_path, const struct config *cfg, struct model *m,
			 struct co_error *err)
{
	char *own = NULL;
	if (!journal_path) {
		own = journal_state_path(cfg->state_dir, cfg->release, "journal.jsonl", err);
		if (!own)
			return -1;
		journal_path = own;
	}
	size_t n = cfg->n_services;
	struct target_scan ts = { cfg, malloc((n ? n : 1) * sizeof(int)) };
	if (!ts.target) {
		free(own);
		co_error_set(err, "journal targets: out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		ts.target[i] = WEIGHT_UNKNOWN;
	/* journal_read opens read-only and takes a missing file as empty. */
	int rc = journal_read(journal_path, scan_outcome, &ts, err);
	struct co_error ignored;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (ts.target[i] != WEIGHT_UNKNOWN)
			model_set_target(m, i, ts.target[i], &ignored);	/* scan_outcome kept it valid */
	free(ts.target);
	free(own);
	return rc < 0 ? -1 : 0;
}
