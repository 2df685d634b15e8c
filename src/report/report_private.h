/* report_private: what the report's reader (report.c, report_records.c)
 * and its writers (report_md.c, report_json.c, report_html.c) share. */
#ifndef CUTOVER_REPORT_PRIVATE_H
#define CUTOVER_REPORT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cutover/report.h"

/* What the reader remembers of one plan: enough to count it once, to say
 * whether its moves were a rollback or forced, and to find its entry in
 * the rollbacks and forced lists again (by pushed index + 1; 0: none). */
struct report_plan_mark {
	bool counted;
	bool rollback;			/* counted among the rollbacks */
	bool forced;
	bool autopilot;			/* a rolled_back rollout record names it */
	size_t rollback_entry;
	size_t forced_entry;
};

/* --- report.c: lookups, rings, text ---------------------------------- */

/* Found or added (NULL only when memory ran out). */
struct report_service *report_service_get(struct report *r, const char *name);
struct report_actor *report_actor_get(struct report *r, const char *name);
struct report_plan_mark *report_plan_get(struct report *r, const char *plan);

/* A zeroed slot at the end (dropping the oldest when full); NULL when
 * memory ran out. */
void *report_ring_push(struct report_ring *r);
/* The element pushed as number k (0-based, as pushed counts), NULL when
 * it was dropped since. */
void *report_ring_pushed(struct report_ring *r, size_t k);
void report_ring_init(struct report_ring *r, size_t size, size_t max);
void report_ring_done(struct report_ring *r);

/* Copies journal text into out (cap bytes, always terminated): valid
 * UTF-8 only (anything else as '?'), control bytes as '?', never a cut
 * character, and every URL in it through journal_redact_url. */
void report_text_copy(char *out, size_t cap, const char *in);

/* An RFC 3339 time ("2025-11-24T14:31:02.123Z", or with an offset) as
 * Unix ms; false when it is not one. */
bool report_time_parse(const char *s, int64_t *ms);
/* "2025-11-24T14:31:02.123Z" (with_ms) or "2025-11-24T14:31:02Z". */
void report_time_text(int64_t ms, bool with_ms, char *out, size_t cap);
/* "4.2 s", "42 s", "3m 07s", "2h 05m 03s", "3d 04h 10m". */
void report_duration_text(int64_t ms, char *out, size_t cap);

/* --- report_records.c, report_rollout.c: one record into the model ---- */

/* Takes one journal record; -1 with err only when memory ran out. */
int report_take(struct report *r, const cJSON *rec, struct co_error *err);
/* Closes what is still open at the journal's end (the last weights). */
void report_finish(struct report *r);

/* One record being taken. */
struct report_rec {
	struct report *r;
	const cJSON *o;
	int64_t at;
	long long seq;
	const char *actor;
	const char *plan;		/* NULL: JSON null */
	struct report_actor *a;
	struct co_error *err;
};

int report_take_rollout(struct report_rec *c);
/* Fills c->err ("out of memory at seq N") and returns -1. */
int report_rec_oom(struct report_rec *c);
/* Appends printf text to a bounded buffer. */
void report_addf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends journal text, cleaned (report_text_copy). */
void report_add_text(char *out, size_t cap, const char *text);

/* A field of a record, or absent when it is not of the type asked for. */
static inline const char *rec_str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static inline double rec_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A whole number in [lo, hi], else fallback. */
static inline int rec_whole(const cJSON *o, const char *key, int lo, int hi, int fallback)
{
	double v = rec_num(o, key);
	return v >= lo && v <= hi && floor(v) == v ? (int)v : fallback;
}

static inline int rec_weight(const cJSON *o, const char *key)
{
	return rec_whole(o, key, 0, 100, REPORT_NO_WEIGHT);
}

static inline bool rec_is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* --- report_words.c: the words md and html both say ------------------- */

/* What a timeline entry is, in a few words: "moved 5 → 25 %",
 * "rolled back 25 → 0 %", "at 0 % (before the first move)",
 * "rollout: check failed". */
void report_entry_what(const struct report_entry *e, char *out, size_t cap);
/* A figure as text: "412.0", or "-" when NaN. */
void report_num_text(double v, const char *unit, char *out, size_t cap);
/* "over the limit", "within the limit", or "" when either side is NaN:
 * whether value breaks max. */
const char *report_limit_word(double value, double max);
/* The integrity sentence without its "intact: " or "NOT INTACT: ". */
const char *report_integrity_detail(const struct report *r);
/* A weight as "25 %", or "?" when not known. */
void report_weight_text(int w, char *out, size_t cap);

#endif
