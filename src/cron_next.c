/* cron_next: the next fire time of a parsed schedule in an IANA zone.
 *
 * The search walks wall-clock ("naive") times of the zone, kept as seconds
 * since the epoch read as if the zone were UTC, so gmtime_r/timegm do the
 * calendar arithmetic; each matching wall time is then resolved to an
 * instant with the zone's offsets.
 *
 * Zone offsets come from the C library (localtime_r with TZ set), which
 * knows TZif files but only for the process-wide TZ, and setenv is not safe
 * against a getenv on another thread. So TZ is set once per zone, under a
 * mutex, to build a table of the zone's offset changes from 1970 to 2100
 * (struct zone); every later call reads the table and never
 * touches TZ. cron_zone_valid loads the table, and config validation calls
 * it before any thread starts, so an engine's threads only ever read. UTC
 * needs no table. */
#include "cutover/cron.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DAY 86400L
/* The search gives up after five years: Feb 30 never comes, and Feb 29 on a
 * Monday comes within 28 years, which callers do not wait for. */
#define HORIZON (5L * 366 * DAY)

/* A zone's offsets: off[0] before at[1], off[i] from at[i] on (at[0] is
 * unused). Outside the table's years the nearest offset holds. */
struct zone {
	char name[201];
	size_t n;
	time_t *at;
	long *off;
};

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct zone *zones;	/* loaded tables; owned here, never freed */
static size_t n_zones;

static long libc_offset(time_t t)
{
	struct tm tm;
	return localtime_r(&t, &tm) ? tm.tm_gmtoff : 0;
}

/* Samples every day from 1970 to 2100 (offsets change months apart; about
 * 20 ms) and bisects each change to the second. Called with tz_lock held
 * and TZ set. */
static int zone_build(struct zone *z)
{
	time_t t = 0, end = (time_t)4102444800LL;	/* 2100-01-01 */
	size_t cap = 64;
	z->at = malloc(cap * sizeof *z->at);
	z->off = malloc(cap * sizeof *z->off);
	if (!z->at || !z->off)
		return -1;
	z->at[0] = t;
	z->off[0] = libc_offset(t);
	z->n = 1;
	for (; t < end; t += DAY) {
		long next = libc_offset(t + DAY);
		if (next == z->off[z->n - 1])
			continue;
		time_t lo = t, hi = t + DAY;	/* offset(hi) = next */
		while (hi - lo > 1) {
			time_t mid = lo + (hi - lo) / 2;
			if (libc_offset(mid) == next)
				hi = mid;
			else
				lo = mid;
		}
		if (z->n == cap) {
			cap *= 2;
			time_t *a = realloc(z->at, cap * sizeof *a);
			if (a)
				z->at = a;
			long *o = a ? realloc(z->off, cap * sizeof *o) : NULL;
			if (!o)
				return -1;
			z->off = o;
		}
		z->at[z->n] = hi;
		z->off[z->n++] = next;
	}
	return 0;
}

/* The zone's table, loaded on first use; NULL for UTC or when it cannot be
 * had (no such zone, out of memory). */
static const struct zone *zone_get(const char *tz)
{
	if (!tz || !*tz || strcmp(tz, "UTC") == 0)
		return NULL;
	pthread_mutex_lock(&tz_lock);
	for (size_t i = 0; i < n_zones; i++)
		if (strcmp(zones[i].name, tz) == 0) {
			pthread_mutex_unlock(&tz_lock);
			return &zones[i];
		}
	struct zone *more = realloc(zones, (n_zones + 1) * sizeof *more);
	if (!more) {
		pthread_mutex_unlock(&tz_lock);
		return NULL;
	}
	zones = more;
	struct zone *z = &zones[n_zones];
	memset(z, 0, sizeof *z);
	snprintf(z->name, sizeof z->name, "%s", tz);
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	setenv("TZ", tz, 1);
	tzset();
	int rc = zone_build(z);
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
	if (rc == 0)
		n_zones++;
	else {
		free(z->at);
		free(z->off);
	}
	pthread_mutex_unlock(&tz_lock);
	return rc == 0 ? z : NULL;
}

bool cron_zone_valid(const char *tz)
{
	if (!tz || !*tz || strcmp(tz, "UTC") == 0)
		return true;
	if (tz[0] == '/' || strstr(tz, "..") || strlen(tz) > 200)
		return false;
	char path[256];
	struct stat st;
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && zone_get(tz);
}

/* The zone's UTC offset at instant t, in seconds east. */
static long offset_at(const struct zone *z, time_t t)
{
	if (!z)
		return 0;
	size_t lo = 0, hi = z->n;	/* the last i with at[i] <= t, or 0 */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

/* The instant at which wall time n is to fire, or -1 when it falls in a
 * fall-back's repeat and its first occurrence is not after `after` (it fired
 * already, or would fire in the past). Around n there is at most one offset
 * change (changes are months apart, and n's instant is within 14 h of n), so
 * the offsets a day before and after are all there are. */
static time_t resolve(const struct zone *z, time_t n, time_t after)
{
	long oa = offset_at(z, n - DAY), ob = offset_at(z, n + DAY);
	time_t best = -1;
	long offs[2] = { oa, ob };
	for (int i = 0; i < (oa == ob ? 1 : 2); i++) {
		time_t t = n - offs[i];
		if (offset_at(z, t) == offs[i] && (best == -1 || t < best))
			best = t;
	}
	if (best != -1)
		return best > after ? best : -1;
	/* In a spring-forward gap: fire at the first instant after it, the
	 * transition, found by bisection between the two readings of n. */
	time_t lo = n - ob, hi = n - oa;	/* offset(lo) = oa, offset(hi) = ob */
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;
		if (offset_at(z, mid) == ob)
			hi = mid;
		else
			lo = mid;
	}
	return hi > after ? hi : -1;
}

/* The lowest set bit of bits at or above from, or -1. */
static int next_bit(uint64_t bits, int from)
{
	if (from > 63)
		return -1;
	uint64_t m = bits & (~(uint64_t)0 << from);
	return m ? __builtin_ctzll(m) : -1;
}

static bool day_matches(const struct cron *c, const struct tm *tm)
{
	bool dom = c->dom >> tm->tm_mday & 1u, dow = c->dow >> tm->tm_wday & 1u;
	/* Both restricted: either one fires (Vixie cron, croniter). */
	if (!(c->flags & CRON_DOM_ANY) && !(c->flags & CRON_DOW_ANY))
		return dom || dow;
	return dom && dow;
}

/* Wall time n moved to the start of the next unit: 0 month, 1 day, 2 hour,
 * 3 minute. */
static time_t next_unit(time_t n, int unit)
{
	struct tm tm;
	gmtime_r(&n, &tm);
	tm.tm_sec = 0;
	if (unit <= 2)
		tm.tm_min = 0;
	if (unit <= 1)
		tm.tm_hour = 0;
	if (unit == 0) {
		tm.tm_mday = 1;
		tm.tm_mon++;
	} else if (unit == 1) {
		tm.tm_mday++;
	} else if (unit == 2) {
		tm.tm_hour++;
	} else {
		tm.tm_min++;
	}
	return timegm(&tm);
}

static time_t search(const struct cron *c, const struct zone *z, time_t after)
{
	time_t n = after + offset_at(z, after) + 1, end = n + HORIZON;
	struct tm tm;
	while (n < end) {
		gmtime_r(&n, &tm);
		if (!(c->month >> (tm.tm_mon + 1) & 1u)) {
			n = next_unit(n, 0);
			continue;
		}
		if (!day_matches(c, &tm)) {
			n = next_unit(n, 1);
			continue;
		}
		int h = next_bit(c->hour, tm.tm_hour);
		if (h != tm.tm_hour) {
			n = h < 0 ? next_unit(n, 1) : n - tm.tm_hour * 3600L - tm.tm_min * 60L
				- tm.tm_sec + h * 3600L;
			continue;
		}
		int m = next_bit(c->minute, tm.tm_min);
		if (m != tm.tm_min) {
			n = m < 0 ? next_unit(n, 2) : n - tm.tm_min * 60L - tm.tm_sec + m * 60L;
			continue;
		}
		int s = next_bit(c->second, tm.tm_sec);
		if (s != tm.tm_sec) {
			n = s < 0 ? next_unit(n, 3) : n - tm.tm_sec + s;
			continue;
		}
		time_t t = resolve(z, n, after);
		if (t != -1)
			return t;
		n++;
	}
	return (time_t)-1;
}

time_t cron_next(const struct cron *c, time_t after, const char *tz)
{
	if (!cron_zone_valid(tz))
		return (time_t)-1;
	return search(c, zone_get(tz), after);
}

long cron_zone_offset(const char *tz, time_t t)
{
	return cron_zone_valid(tz) ? offset_at(zone_get(tz), t) : 0;
}
