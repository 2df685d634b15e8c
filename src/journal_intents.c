/* journal_intents: intents a crash left without an outcome, for recovery. */
#include "cutover/journal.h"

#include <stdlib.h>
#include <string.h>

struct intents {
	struct journal_intent *v;
	size_t n, cap;
	bool oom;
};

static const char *field(const cJSON *rec, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(rec, name);

	return cJSON_IsString(it) ? it->valuestring : "";
}

static void intent_done(struct journal_intent *it)
{
	free(it->plan);
	free(it->service);
	cJSON_Delete(it->record);
}

static int add_intent(struct intents *s, const cJSON *rec, long line)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct journal_intent *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	struct journal_intent *it = &s->v[s->n];
	it->plan = strdup(field(rec, "plan"));
	it->service = strdup(field(rec, "service"));
	it->record = cJSON_Duplicate(rec, 1);
	it->seq = (long long)cJSON_GetObjectItemCaseSensitive(rec, "seq")->valuedouble;
	it->line = line;
	if (!it->plan || !it->service || !it->record) {
		intent_done(it);
		return -1;
	}
	s->n++;
	return 0;
}

/* Drops the open intents an outcome answers; keeps the others in order. */
static void close_intents(struct intents *s, const cJSON *outcome)
{
	const char *plan = field(outcome, "plan");
	const char *service = field(outcome, "service");
	size_t keep = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct journal_intent *it = &s->v[i];
		if (strcmp(it->plan, plan) == 0 &&
		    (!*service || strcmp(it->service, service) == 0)) {
			intent_done(it);
			continue;
		}
		s->v[keep++] = *it;
	}
	s->n = keep;
}

static int intent_record(const cJSON *rec, long line, void *ctx)
{
	struct intents *s = ctx;
	const char *type = field(rec, "type");

	if (strcmp(type, "intent") == 0 && add_intent(s, rec, line) < 0) {
		s->oom = true;
		return 1;
	}
	if (strcmp(type, "outcome") == 0)
		close_intents(s, rec);
	return 0;
}

int journal_open_intents(const char *path, struct journal_intent **out, size_t *n,
			 struct co_error *err)
{
	struct intents s = { 0 };
	int rc = journal_read(path, intent_record, &s, err);

	*out = NULL;
	*n = 0;
	if (rc != 0 || s.oom) {
		if (s.oom)
			co_error_set(err, "%s: out of memory listing open intents", path);
		journal_intents_free(s.v, s.n);
		return -1;
	}
	*out = s.v;
	*n = s.n;
	return 0;
}

void journal_intents_free(struct journal_intent *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		intent_done(&v[i]);
	free(v);
}
