/* cron: parses cron schedules (Kubernetes CronJob five fields, or six with
 * seconds first) and computes their next fire time in an IANA zone. */
#ifndef CUTOVER_CRON_H
#define CUTOVER_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* flags */
#define CRON_SECONDS	0x1u	/* six-field form: the seconds field was given */
#define CRON_DOM_ANY	0x2u	/* day-of-month covers 1-31 */
#define CRON_DOW_ANY	0x4u	/* day-of-week covers every day */

/* One bit per allowed value: bit n set means value n matches. */
struct cron {
	uint64_t second;	/* 0-59; only bit 0 in the five-field form */
	uint64_t minute;	/* 0-59 */
	uint32_t hour;		/* 0-23 */
	uint32_t dom;		/* 1-31 */
	uint16_t month;		/* 1-12 */
	uint8_t dow;		/* 0-6, Sunday = 0 (7 is read as 0) */
	unsigned flags;
};

/* Parses text ("0,30 * * * *", "0 30 2 * * MON-FRI", "@daily"). Returns 0,
 * or -1 with why naming the field and the fault, e.g.
 * "minute field: 61 is out of range 0-59". */
int cron_parse(const char *text, struct cron *out, char *why, size_t cap);

/* The first fire time strictly after `after`, computed in the wall-clock time
 * of zone tz (NULL or "" = UTC); (time_t)-1 when none falls within 5 years
 * (e.g. Feb 30) or the zone cannot be used.
 * DST: a wall time skipped by a spring-forward fires once, at the first
 * instant after the gap (the transition itself); a wall time repeated by a
 * fall-back fires once, at its first occurrence.
 * The first call for a zone sets TZ process-wide for a moment to read it
 * (see cron_next.c); cron_zone_valid does that early, before threads. */
time_t cron_next(const struct cron *c, time_t after, const char *tz);

/* Whether tz names a zone in /usr/share/zoneinfo; refuses names with ".."
 * or a leading '/'. NULL and "" (UTC) are valid. Loads the zone's offsets,
 * so later cron_next calls for it never touch TZ. */
bool cron_zone_valid(const char *tz);

/* Seconds east of UTC in zone tz at instant t (0 for UTC or a bad zone). */
long cron_zone_offset(const char *tz, time_t t);

#endif
