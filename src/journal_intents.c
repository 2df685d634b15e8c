/* journal_intents: intents not yet answered by an outcome — what a crash
 * left for recovery (journal_open_intents, a scan of the file), and what a
 * writer tracks of its own appends to know its journal is settled. */
#include "cutover/journal.h"
#include "journal_private.h"

#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

static size_t key_hash(const char *plan, const char *service)
{
	size_t h = 14695981039346656037u;	/* FNV-1a */
	for (const char *p = plan; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	h = (h ^ 0xff) * 1099511628211u;	/* keeps ("ab","c") apart from ("a","bc") */
	for (const char *p = service; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	return h;
}

/* Keeps the chains at about one intent per bucket. */
static int rehash(struct jintents *s)
{
	size_t nb = s->nbucket ? s->nbucket * 2 : 64;
	size_t *b = malloc(nb * sizeof(*b));
	if (!b)
		return -1;
	for (size_t i = 0; i < nb; i++)
		b[i] = NONE;
	for (size_t i = 0; i < s->n; i++) {
		size_t h = key_hash(s->v[i].plan, s->v[i].service) & (nb - 1);
		s->next[i] = b[h];
		b[h] = i;
	}
	free(s->bucket);
	s->bucket = b;
	s->nbucket = nb;
	return 0;
}

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

int jintents_add(struct jintents *s, const char *plan, const char *service, const cJSON *rec,
		 long line)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct journal_intent *v = realloc(s->v, cap * sizeof(*v));
		if (v)
			s->v = v;
		size_t *next = v ? realloc(s->next, cap * sizeof(*next)) : NULL;
		if (next)
			s->next = next;
		bool *closed = next ? realloc(s->closed, cap * sizeof(*closed)) : NULL;
		if (!closed)
			return -1;
		s->closed = closed;
		s->cap = cap;
	}
	if (s->n >= s->nbucket && rehash(s) < 0)
		return -1;
	struct journal_intent *it = &s->v[s->n];
	memset(it, 0, sizeof(*it));
	it->plan = strdup(plan);
	it->service = strdup(service);
	it->record = rec ? cJSON_Duplicate(rec, 1) : NULL;
	it->line = line;
	if (rec)
		it->seq = (long long)cJSON_GetObjectItemCaseSensitive(rec, "seq")->valuedouble;
	if (!it->plan || !it->service || (rec && !it->record)) {
		intent_done(it);
		return -1;
	}
	size_t h = key_hash(it->plan, it->service) & (s->nbucket - 1);
	s->next[s->n] = s->bucket[h];
	s->bucket[h] = s->n;
	s->closed[s->n] = false;
	s->n++;
	s->n_open++;
	return 0;
}

static void close_one(struct jintents *s, size_t i)
{
	s->closed[i] = true;
	s->n_open--;
	cJSON_Delete(s->v[i].record);	/* the names stay for the chain walks */
	s->v[i].record = NULL;
}

void jintents_answer(struct jintents *s, const char *plan, const char *service)
{
	if (!*service) {	/* the whole plan: rare, a walk is fine */
		for (size_t i = 0; i < s->n; i++)
			if (!s->closed[i] && strcmp(s->v[i].plan, plan) == 0)
				close_one(s, i);
		return;
	}
	if (!s->nbucket)
		return;
	for (size_t i = s->bucket[key_hash(plan, service) & (s->nbucket - 1)]; i != NONE;
	     i = s->next[i])
		if (!s->closed[i] && strcmp(s->v[i].plan, plan) == 0 &&
		    strcmp(s->v[i].service, service) == 0)
			close_one(s, i);
}

/* Frees the closed intents and keeps the open ones, in journal order. */
static void keep_open(struct jintents *s)
{
	size_t keep = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->closed[i])
			intent_done(&s->v[i]);
		else
			s->v[keep++] = s->v[i];
	}
	s->n = keep;
	free(s->next);
	free(s->closed);
	free(s->bucket);
	s->next = s->bucket = NULL;
	s->closed = NULL;
	s->nbucket = 0;
}

static int intent_record(const cJSON *rec, long line, void *ctx)
{
	struct jintents *s = ctx;
	const char *type = field(rec, "type");

	if (strcmp(type, "intent") == 0 &&
	    jintents_add(s, field(rec, "plan"), field(rec, "service"), rec, line) < 0) {
		s->oom = true;
		return 1;
	}
	if (strcmp(type, "outcome") == 0)
		jintents_answer(s, field(rec, "plan"), field(rec, "service"));
	return 0;
}

int journal_open_intents(const char *path, struct journal_intent **out, size_t *n,
			 struct co_error *err)
{
	struct jintents s = { 0 };
	int rc = journal_read(path, intent_record, &s, err);

	*out = NULL;
	*n = 0;
	keep_open(&s);
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

void jintents_clear(struct jintents *s)
{
	keep_open(s);
	journal_intents_free(s->v, s->n);
	memset(s, 0, sizeof(*s));
}

void journal_intents_free(struct journal_intent *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		intent_done(&v[i]);
	free(v);
}
