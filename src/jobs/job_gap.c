/* job_gap: the safe gap between ticks (see job_gap.h). */
#include "cutover/job_gap.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Fires looked at when asking whether a schedule ever leaves a gap: enough
 * for every pattern within a day of an hourly-or-faster schedule, and a
 * few weeks of a daily one. */
#define GAP_FIRES 64

bool job_gap_changes_side(int from, int to)
{
	return from == WEIGHT_UNKNOWN || (from >= 50) != (to >= 50);
}

double job_gap_switch_s(const struct config *cfg, const struct job_conf *jc, double measured_s)
{
	double s = jc->handoff_s;
	if (s <= 0 && cfg)
		s = (cfg->router.driver == DRIVER_EXEC ? cfg->router.exec_timeout_ms
			: cfg->router.driver == DRIVER_HAPROXY ? cfg->router.timeout_ms : 0) / 1000.0;
	if (measured_s > s)
		s = measured_s;
	return s < 0.5 ? 0.5 : s;
}

/* How long after a fire the old side may still be running. */
static double run_s(const struct job_gap_input *in)
{
	return in->jc->max_run_s > 0 ? in->jc->max_run_s : JOB_SETTLE_S;
}

void job_gap_clock(time_t t, double now, const char *tz, char *out, size_t cap)
{
	struct tm tm, today;
	time_t w = t + cron_zone_offset(tz, t), n = (time_t)now;
	n += cron_zone_offset(tz, n);
	gmtime_r(&w, &tm);
	gmtime_r(&n, &today);
	if (tm.tm_yday == today.tm_yday && tm.tm_year == today.tm_year)
		snprintf(out, cap, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The longest time between consecutive fires over the next GAP_FIRES
 * (period_s gets it too, for the words). */
static double widest_gap(const struct job_gap_input *in, double *period_s)
{
	time_t t = cron_next(in->cron, (time_t)floor(in->now), in->tz);
	double best = -1;
	*period_s = 0;
	for (int i = 0; i < GAP_FIRES && t != (time_t)-1; i++) {
		time_t n = cron_next(in->cron, t, in->tz);
		if (n == (time_t)-1)
			return best < 0 ? 1e18 : best;	/* a last fire: forever after */
		double d = (double)(n - t);
		if (d > best) {
			best = d;
			*period_s = d;
		}
		t = n;
	}
	return best;
}

static void say_never(const struct job_gap_input *in, double period, double need,
		      struct job_gap *out)
{
	out->state = JOB_GAP_NEVER;
	if (in->jc->max_run_s > 0)
		snprintf(out->why, sizeof out->why,
			 "the schedule leaves no gap: fires every %.0f s at most, runs last up to "
			 "max_run_s %d s, and a handoff needs guard_s %d s + %.1f s to switch",
			 period, in->jc->max_run_s, in->jc->guard_s, need - in->jc->guard_s);
	else
		snprintf(out->why, sizeof out->why,
			 "the schedule leaves no gap: fires every %.0f s at most, and a handoff "
			 "needs %.0f s after a fire + guard_s %d s + %.1f s to switch",
			 period, JOB_SETTLE_S, in->jc->guard_s, need - in->jc->guard_s);
}

void job_gap_judge(const struct job_gap_input *in, struct job_gap *out)
{
	char at[48], nx[48];
	double need = in->jc->guard_s + in->switch_s, period;
	memset(out, 0, sizeof *out);
	out->next_fire = cron_next(in->cron, (time_t)floor(in->now), in->tz);
	if (out->next_fire == (time_t)-1) {
		out->state = JOB_GAP_OPEN;	/* no fire ahead: any time is a gap */
		return;
	}
	if (widest_gap(in, &period) < run_s(in) + need) {
		say_never(in, period, run_s(in) + need, out);
		return;
	}
	job_gap_clock(out->next_fire, in->now, in->tz, nx, sizeof nx);
	/* The last fire: the one before next_fire, found from a run's length
	 * back (a fire longer ago than that cannot still be running). */
	double back = run_s(in) > JOB_SETTLE_S ? run_s(in) : JOB_SETTLE_S;
	time_t last = cron_next(in->cron, (time_t)floor(in->now - back) - 1, in->tz);
	bool recent = last != (time_t)-1 && (double)last <= in->now;
	if (recent)
		job_gap_clock(last, in->now, in->tz, at, sizeof at);
	if ((double)out->next_fire - in->now < need) {
		out->state = JOB_GAP_WAIT;
		out->until = (double)out->next_fire + JOB_SETTLE_S;
		snprintf(out->why, sizeof out->why,
			 "handoff waits: the next fire %s is within guard_s %d s + %.1f s to switch; "
			 "then for its run to end", nx, in->jc->guard_s, in->switch_s);
		return;
	}
	if (in->active_old > 0 || (recent && in->active_old == 0 && in->active_at < last + JOB_SETTLE_S)) {
		out->state = JOB_GAP_WAIT;
		out->until = in->now + 0.2;	/* ask again at the next observation */
		snprintf(out->why, sizeof out->why, "handoff waits for the %s run to end; next fire %s",
			 recent ? at : "last", nx);
		return;
	}
	if (in->active_old < 0 && recent && in->now < (double)last + run_s(in)) {
		out->state = JOB_GAP_WAIT;
		out->until = (double)last + run_s(in);
		snprintf(out->why, sizeof out->why,
			 "handoff waits for the %s run to end (max_run_s %d s: runs are not observed); "
			 "next fire %s", at, in->jc->max_run_s, nx);
		return;
	}
	out->state = JOB_GAP_OPEN;
}
