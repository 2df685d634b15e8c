/* cron_next: the next fire time of a parsed schedule in an IANA zone.
 *
 * The search walks wall-clock ("naive") times of the zone, kept as seconds
 * since the epoch read as if the zone were UTC, so gmtime_r/timegm do the
 * calendar arithmetic; each matching wall time is then resolved to an
 * instant with the zone's offsets.
 *
 * Zone offsets come from the C library (localtime_r with TZ set), which
 * knows TZif files but only for the process-wide TZ. cron_next therefore
 * sets TZ under a mutex and restores it before returning. That is acceptable
 * because cutover's core shows instants, not local time: the only other
 * local-time reader is the TUI header clock (tui/header.c), which could show
 * a job's zone for one frame if a schedule were computed on another thread
 * at that moment. setenv is not safe against a concurrent getenv in another
 * thread, so callers compute schedules on one thread (today only tests and
 * config validation use this module, and validation does not call
 * cron_next). Reading TZif files directly would remove all of this. */
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

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

bool cron_zone_valid(const char *tz)
{
	if (!tz || !*tz || strcmp(tz, "UTC") == 0)
		return true;
	if (tz[0] == '/' || strstr(tz, "..") || strlen(tz) > 200)
		return false;
	char path[256];
	struct stat st;
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The zone's UTC offset at instant t, in seconds east. */
static long offset_at(time_t t)
{
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return 0;
	return tm.tm_gmtoff;
}

/* The instant at which wall time n is to fire, or -1 when it falls in a
 * fall-back's repeat and its first occurrence is not after `after` (it fired
 * already, or would fire in the past). Around n there is at most one offset
 * change (changes are months apart, and n's instant is within 14 h of n), so
 * the offsets a day before and after are all there are. */
static time_t resolve(time_t n, time_t after)
{
	long oa = offset_at(n - DAY), ob = offset_at(n + DAY);
	time_t best = -1;
	long offs[2] = { oa, ob };
	for (int i = 0; i < (oa == ob ? 1 : 2); i++) {
		time_t t = n - offs[i];
		if (offset_at(t) == offs[i] && (best == -1 || t < best))
			best = t;
	}
	if (best != -1)
		return best > after ? best : -1;
	/* In a spring-forward gap: fire at the first instant after it, the
	 * transition, found by bisection between the two readings of n. */
	time_t lo = n - ob, hi = n - oa;	/* offset(lo) = oa, offset(hi) = ob */
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;
		if (offset_at(mid) == ob)
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

static time_t search(const struct cron *c, time_t after)
{
	time_t n = after + offset_at(after) + 1, end = n + HORIZON;
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
		time_t t = resolve(n, after);
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
	pthread_mutex_lock(&tz_lock);
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	setenv("TZ", tz && *tz ? tz : "UTC", 1);
	tzset();
	time_t t = search(c, after);
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
	pthread_mutex_unlock(&tz_lock);
	return t;
}
