/* report: building the review's model from a journal (see report.h): the
 * chain checked first, then one pass over the records (report_records.c),
 * and the lookups, bounded lists and text cleaning that pass uses. */
#include "cutover/report.h"
#include "report_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* --- Bounded lists ------------------------------------------------------ */

void report_ring_init(struct report_ring *r, size_t size, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->max = max;
}

void report_ring_done(struct report_ring *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = r->start = 0;
}

size_t report_ring_len(const struct report_ring *r)
{
	return r->n;
}

size_t report_ring_dropped(const struct report_ring *r)
{
	return r->pushed - r->n;
}

const void *report_ring_at(const struct report_ring *r, size_t i)
{
	if (i >= r->n)
		return NULL;
	return (const char *)r->v + ((r->start + i) % r->cap) * r->size;
}

void *report_ring_pushed(struct report_ring *r, size_t k)
{
	size_t oldest = r->pushed - r->n;
	if (k < oldest || k >= r->pushed)
		return NULL;
	return (void *)report_ring_at(r, k - oldest);
}

void *report_ring_push(struct report_ring *r)
{
	/* Grows by doubling up to max; only a full ring wraps, so start stays
	 * 0 while it grows and a realloc keeps the order. */
	if (r->n == r->cap && r->cap < r->max) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		if (cap > r->max)
			cap = r->max;
		void *v = realloc(r->v, cap * r->size);
		if (!v)
			return NULL;
		r->v = v;
		r->cap = cap;
	}
	void *slot;
	if (r->n < r->cap) {
		slot = (char *)r->v + ((r->start + r->n) % r->cap) * r->size;
		r->n++;
	} else {
		slot = (char *)r->v + r->start * r->size;	/* the oldest goes */
		r->start = (r->start + 1) % r->cap;
	}
	r->pushed++;
	memset(slot, 0, r->size);
	return slot;
}

/* --- Names to entries: open addressing, FNV-1a ------------------------- */

struct strmap {
	char **keys;
	void **vals;
	size_t cap, n;
};

struct report_index {
	struct strmap services, actors, plans;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void **strmap_slot(struct strmap *m, const char *key, bool *found)
{
	size_t i = (size_t)fnv1a(key) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	*found = m->keys[i] != NULL;
	return &m->vals[i];
}

static int strmap_grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct strmap bigger = { calloc(cap, sizeof(char *)), calloc(cap, sizeof(void *)), cap, m->n };
	if (!bigger.keys || !bigger.vals) {
		free(bigger.keys);
		free(bigger.vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		bool found;
		void **v = strmap_slot(&bigger, m->keys[i], &found);
		*v = m->vals[i];
		bigger.keys[v - bigger.vals] = m->keys[i];
	}
	free(m->keys);
	free(m->vals);
	*m = bigger;
	return 0;
}

/* The value for key; when absent, make() gives one (NULL: out of memory). */
static void *strmap_get(struct strmap *m, const char *key, void *(*make)(const char *, void *),
			void *ctx)
{
	if ((m->n + 1) * 2 > m->cap && strmap_grow(m) < 0)
		return NULL;
	bool found;
	void **v = strmap_slot(m, key, &found);
	if (found)
		return *v;
	char *k = strdup(key);
	void *val = k ? make(key, ctx) : NULL;
	if (!val) {
		free(k);
		return NULL;
	}
	m->keys[v - m->vals] = k;
	*v = val;
	m->n++;
	return val;
}

static void strmap_done(struct strmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] && free_val)
			free_val(m->vals[i]);
		free(m->keys[i]);
	}
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* Appends p to the array *v of *n, growing it by doubling. */
static int array_add(void ***v, size_t *n, void *p)
{
	if ((*n & (*n - 1)) == 0) {	/* 0, 1, 2, 4...: full */
		void **bigger = realloc(*v, (*n ? *n * 2 : 1) * sizeof(void *));
		if (!bigger)
			return -1;
		*v = bigger;
	}
	(*v)[(*n)++] = p;
	return 0;
}

static char *clean_name(const char *raw)
{
	char text[256];
	report_text_copy(text, sizeof(text), raw);
	return strdup(text);
}

static void *make_service(const char *name, void *ctx)
{
	struct report *r = ctx;
	struct report_service *s = calloc(1, sizeof(*s));
	if (!s || !(s->name = clean_name(name)) ||
	    array_add((void ***)&r->services, &r->n_services, s) < 0) {
		if (s)
			free(s->name);
		free(s);
		return NULL;
	}
	s->weight = REPORT_NO_WEIGHT;
	s->start_weight = REPORT_NO_WEIGHT;
	report_ring_init(&s->timeline, sizeof(struct report_entry), REPORT_TIMELINE_KEPT);
	return s;
}

static void *make_actor(const char *name, void *ctx)
{
	struct report *r = ctx;
	struct report_actor *a = calloc(1, sizeof(*a));
	if (!a || !(a->name = clean_name(name)) ||
	    array_add((void ***)&r->actors, &r->n_actors, a) < 0) {
		if (a)
			free(a->name);
		free(a);
		return NULL;
	}
	return a;
}

static void *make_plan(const char *name, void *ctx)
{
	return calloc(1, sizeof(struct report_plan_mark));
}

struct report_service *report_service_get(struct report *r, const char *name)
{
	return strmap_get(&r->index->services, name, make_service, r);
}

struct report_actor *report_actor_get(struct report *r, const char *name)
{
	return strmap_get(&r->index->actors, name, make_actor, r);
}

struct report_plan_mark *report_plan_get(struct report *r, const char *plan)
{
	return strmap_get(&r->index->plans, plan, make_plan, r);
}

/* --- Building ------------------------------------------------------------ */

/* A torn last line is what a crash mid-write leaves (a warning), unless
 * the head file vouches for a record beyond the last whole one: then the
 * file was cut. As `cutover journal --verify` judges it. */
static bool torn_by_crash(const struct journal_verify_result *v)
{
	return v->fault == JOURNAL_TORN_TAIL && (!v->head_found || v->head_seq <= v->last_seq);
}

static void say_integrity(struct report *r)
{
	const struct journal_verify_result *v = &r->verify;
	r->intact = v->fault == JOURNAL_OK || torn_by_crash(v);
	if (!r->intact && v->fault == JOURNAL_TORN_TAIL)
		snprintf(r->integrity, sizeof(r->integrity),
			 "NOT INTACT: line %ld is cut short, yet the head file names seq %lld beyond "
			 "the last whole record (seq %lld): the file was truncated; records may be "
			 "missing from this review", v->bad_line, v->head_seq, v->last_seq);
	else if (!r->intact)
		snprintf(r->integrity, sizeof(r->integrity),
			 "NOT INTACT: %s. What follows is read from the file as it stands and "
			 "cannot be taken as the record of what was done", v->why);
	else if (v->torn_lines || torn_by_crash(v))
		snprintf(r->integrity, sizeof(r->integrity),
			 "intact: %ld records chained to seq %lld; line %ld was cut short by an "
			 "interrupted write and is skipped", v->records, v->last_seq,
			 v->first_torn_line ? v->first_torn_line : v->bad_line);
	else
		snprintf(r->integrity, sizeof(r->integrity), "intact: %ld records chained to seq %lld%s",
			 v->records, v->last_seq, v->head_found ? ", as the head file says" : "");
}

/* Lines in the file, a last one without a newline included. */
static long count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	char buf[65536];
	size_t n;
	long lines = 0;
	char last = '\n';
	if (!f)
		return 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		for (char *p = buf; (p = memchr(p, '\n', n - (size_t)(p - buf))); p++)
			lines++;
		last = buf[n - 1];
	}
	fclose(f);
	return lines + (last != '\n');
}

struct walk {
	struct report *r;
	struct co_error *err;
};

static int walk_record(const cJSON *rec, long line, void *ctx)
{
	struct walk *w = ctx;
	return report_take(w->r, rec, w->err) < 0 ? -1 : 0;
}

/* "DIR/R.journal.jsonl" names release R. */
static char *release_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strstr(base, ".journal.jsonl");
	char text[REPORT_NAME];
	char *raw = strndup(base, dot ? (size_t)(dot - base) : strlen(base));
	report_text_copy(text, sizeof(text), raw);
	free(raw);
	return strdup(text);
}

struct report *report_build(const char *path, const char *release, struct co_error *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		co_error_set(err, "no journal at %s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		co_error_set(err, "%s is not a journal file", path);
		return NULL;
	}
	struct report *r = calloc(1, sizeof(*r));
	if (!r || !(r->index = calloc(1, sizeof(*r->index))) || !(r->path = strdup(path)) ||
	    !(r->release = release ? strdup(release) : release_from_path(path))) {
		report_free(r);
		co_error_set(err, "%s: out of memory", path);
		return NULL;
	}
	report_ring_init(&r->breaches, sizeof(struct report_breach), REPORT_LIST_KEPT);
	report_ring_init(&r->rollbacks, sizeof(struct report_plan), REPORT_LIST_KEPT);
	report_ring_init(&r->forced, sizeof(struct report_plan), REPORT_LIST_KEPT);
	if (journal_verify(path, &r->verify, err) < 0) {
		report_free(r);
		return NULL;
	}
	say_integrity(r);
	struct walk w = { r, err };
	if (journal_read(path, walk_record, &w, err) != 0) {
		if (!err->msg[0])
			co_error_set(err, "%s: out of memory", path);
		report_free(r);
		return NULL;
	}
	long lines = count_lines(path);
	r->skipped_lines = lines > (long)r->records ? (size_t)lines - r->records : 0;
	report_finish(r);
	return r;
}

static void free_service(struct report_service *s)
{
	if (!s)
		return;
	report_ring_done(&s->timeline);
	free(s->name);
	free(s);
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_services; i++)
		free_service(r->services[i]);
	for (size_t i = 0; i < r->n_actors; i++) {
		free(r->actors[i]->name);
		free(r->actors[i]);
	}
	free(r->services);
	free(r->actors);
	if (r->index) {
		/* The services and actors are the arrays' to free. */
		strmap_done(&r->index->services, NULL);
		strmap_done(&r->index->actors, NULL);
		strmap_done(&r->index->plans, free);
		free(r->index);
	}
	report_ring_done(&r->breaches);
	report_ring_done(&r->rollbacks);
	report_ring_done(&r->forced);
	free(r->path);
	free(r->release);
	free(r);
}

double report_cpu_us_per_check(const struct report *r)
{
	if (r->checks <= 0)
		return -1;
	return r->cpu_s * 1e6 / (double)r->checks;
}

double report_duration_s(const struct report *r)
{
	return r->last_ms > r->first_ms ? (double)(r->last_ms - r->first_ms) / 1000.0 : 0;
}

/* --- Formats ------------------------------------------------------------- */

static const struct report_format *const formats[] = {
	&report_format_md, &report_format_json, &report_format_html, NULL,
};

const struct report_format *report_format_find(const char *name)
{
	for (size_t i = 0; name && formats[i]; i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}

const char *report_format_names(void)
{
	return "md, json, html";
}
