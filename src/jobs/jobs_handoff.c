/* jobs_handoff: the executor's hook that holds a job's move for its gap
 * (job_gap.h), saying what it waits for with a countdown, until the gap
 * opens or the plan is cancelled. */
#include "jobs_private.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cutover/executor.h"

#define WAIT_POLL_US 100000

static void countdown(double s, char *out, size_t cap)
{
	long t = s < 0 ? 0 : (long)(s + 0.999);
	if (t >= 3600)
		snprintf(out, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, cap, "%ld:%02ld", t / 60, t % 60);
}

/* One look at the gap, with js->lock held. */
static void judge(struct jobs *js, struct job_state *k, enum side old, struct job_gap *g)
{
	const struct service_conf *sc = &js->cfg->services[k->svc];
	struct job_gap_input in = {
		.cron = &k->cron, .tz = sc->timezone, .jc = &sc->job, .now = jobs_now(),
		.active_old = k->active[old], .active_at = k->active_at,
		.switch_s = job_gap_switch_s(js->cfg, &sc->job, k->switch_s),
	};
	job_gap_judge(&in, g);
}

int jobs_handoff_wait(void *ctx, size_t service, int from, int to, struct executor *e,
		      char *why, size_t cap)
{
	struct jobs *js = ctx;
	if (!js || service >= js->cfg->n_services || !job_gap_changes_side(from, to))
		return 0;
	enum side old = to >= 50 ? SIDE_BLUE : SIDE_GREEN;
	for (;;) {
		struct job_gap g;
		char text[sizeof g.why + 32], left[24];
		pthread_mutex_lock(&js->lock);
		struct job_state *k = jobs_find(js, service);
		if (!k) {
			pthread_mutex_unlock(&js->lock);
			return 0;	/* no schedule: any moment will do */
		}
		if (executor_cancelled(e)) {
			k->wait[0] = '\0';
			pthread_mutex_unlock(&js->lock);
			snprintf(why, cap, "cancelled while waiting for its gap; nothing changed");
			return -1;
		}
		judge(js, k, old, &g);
		if (g.state != JOB_GAP_WAIT) {
			k->wait[0] = '\0';
			pthread_mutex_unlock(&js->lock);
			if (g.state == JOB_GAP_OPEN)
				return 0;
			snprintf(why, cap, "refused: %s", g.why);
			return -1;
		}
		/* A countdown only to a known moment, not to the next look. */
		if (g.until - jobs_now() > 0.5) {
			countdown(g.until - jobs_now(), left, sizeof left);
			snprintf(text, sizeof text, "%s (%s)", g.why, left);
		} else {
			snprintf(text, sizeof text, "%s", g.why);
		}
		snprintf(k->wait, sizeof k->wait, "%s", text);
		pthread_mutex_unlock(&js->lock);
		executor_say_waiting(e, text);
		usleep(WAIT_POLL_US);
	}
}

void jobs_handoff_took(void *ctx, size_t service, double seconds)
{
	struct jobs *js = ctx;
	if (!js)
		return;
	pthread_mutex_lock(&js->lock);
	struct job_state *k = jobs_find(js, service);
	if (k && seconds > k->switch_s)
		k->switch_s = seconds;
	pthread_mutex_unlock(&js->lock);
}
