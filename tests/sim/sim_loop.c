/* cutover-sim: the one event loop — sockets, the timer heap and signals.
 *
 * Everything runs on this thread, so the services, their counters and the
 * connections have a single owner and need no locks. epoll is level-triggered
 * (simple, and fair enough with bounded reads); delayed answers share one
 * timerfd armed for the earliest deadline; signals arrive as a descriptor so
 * SIGHUP and SIGTERM are handled between events, never inside one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "sim.h"

#define MAX_EVENTS 512

static void sweep_due(struct sim_loop *L, struct sim_timer *tm)
{
	sim_conn_sweep(L);
	sim_listen_reconcile(L);
	sim_timers_add(&L->timers, tm, L->now_ns + SIM_NS_PER_S);
}

static int add_fd(struct sim_loop *L, int fd, struct sim_handle *h)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h};
	return epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* The caller has blocked SIGINT, SIGTERM and SIGHUP in every thread, so they
 * queue for the signalfd instead of interrupting. */
int sim_loop_init(struct sim_loop *L, struct sim_world *w)
{
	memset(L, 0, sizeof *L);
	L->world = w;
	L->timerfd = L->sigfd = L->spare_fd = -1;
	sim_timers_init(&L->timers);
	L->sweep.slot = SIM_TIMER_IDLE;
	L->sweep.fn = sweep_due;
	L->timer_armed = UINT64_MAX;
	L->max_conns = SIM_DEFAULT_MAX_CONNS;
	L->now_ns = sim_now_ns();
	L->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (L->epfd < 0)
		return -1;
	L->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	L->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	L->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	L->timer_h.kind = SIM_K_TIMERFD;
	L->sig_h.kind = SIM_K_SIGNALFD;
	if (L->timerfd < 0 || L->sigfd < 0 || add_fd(L, L->timerfd, &L->timer_h) < 0 ||
	    add_fd(L, L->sigfd, &L->sig_h) < 0)
		return -1;
	return 0;
}

void sim_loop_done(struct sim_loop *L)
{
	sim_conn_close_all(L);
	sim_call_close_all(L);
	sim_job_runs_done(L);
	sim_buf_free(&L->body);
	sim_buf_free(&L->big);
	for (size_t i = 0; i < L->nlisteners; i++)
		sim_listen_close(L, &L->listeners[i]);
	sim_timers_done(&L->timers);
	if (L->spare_fd >= 0)
		close(L->spare_fd);
	if (L->sigfd >= 0)
		close(L->sigfd);
	if (L->timerfd >= 0)
		close(L->timerfd);
	if (L->epfd >= 0)
		close(L->epfd);
}

/* SIGHUP: re-read --spec. A bad file is reported and ignored, so the running
 * simulator keeps its last good state. */
void sim_loop_reload(struct sim_loop *L)
{
	if (!L->spec_path) {
		sim_log("SIGHUP ignored: no --spec file to re-read");
		return;
	}
	char err[512];
	sim_job_catch_up_all(L); /* fires due before the reload see the old state */
	if (sim_spec_load(L->world, L->spec_path, L->now_ns, err, sizeof err) < 0) {
		sim_log("reload failed, keeping the previous spec: %s", err);
		return;
	}
	sim_log("reloaded %s (%zu services)", L->spec_path, L->world->n);
	sim_listen_reconcile(L);
	sim_job_sync_all(L);
}

static void on_signals(struct sim_loop *L)
{
	struct signalfd_siginfo si;
	while (read(L->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP)
			sim_loop_reload(L);
		else
			L->stop = true;
	}
}

static void run_timers(struct sim_loop *L)
{
	struct sim_timer *tm;
	while ((tm = sim_timers_pop_due(&L->timers, L->now_ns)) != NULL)
		tm->fn(L, tm);
}

/* Arms the timerfd for the earliest deadline, only when that changed: a
 * syscall saved on most iterations under load. */
static void arm_timer(struct sim_loop *L)
{
	uint64_t due = sim_timers_next_due(&L->timers);
	if (due == L->timer_armed)
		return;
	struct itimerspec its;
	memset(&its, 0, sizeof its);
	if (due != UINT64_MAX) {
		its.it_value.tv_sec = (time_t)(due / SIM_NS_PER_S);
		its.it_value.tv_nsec = (long)(due % SIM_NS_PER_S);
		if (due == 0)
			its.it_value.tv_nsec = 1; /* all zero would disarm it */
	}
	timerfd_settime(L->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
	L->timer_armed = due;
}

void sim_loop_run(struct sim_loop *L)
{
	struct epoll_event evs[MAX_EVENTS];
	L->now_ns = sim_now_ns();
	sim_timers_add(&L->timers, &L->sweep, L->now_ns + SIM_NS_PER_S);
	sim_job_sync_all(L); /* the jobs --spec defined start firing */
	while (!L->stop) {
		arm_timer(L);
		int n = epoll_wait(L->epfd, evs, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sim_log("epoll_wait: %s", strerror(errno));
			break;
		}
		L->now_ns = sim_now_ns();
		for (int i = 0; i < n; i++) {
			struct sim_handle *h = evs[i].data.ptr;
			switch (h->kind) {
			case SIM_K_LISTENER:
				sim_listen_accept(L, (struct sim_listener *)h);
				break;
			case SIM_K_CONN:
				sim_conn_event(L, (struct sim_conn *)h, evs[i].events);
				break;
			case SIM_K_TIMERFD: {
				uint64_t ticks;
				if (read(L->timerfd, &ticks, sizeof ticks) < 0) {
					/* EAGAIN: already cleared; nothing to do */
				}
				L->timer_armed = UINT64_MAX; /* expired: must be re-armed */
				break;
			}
			case SIM_K_SIGNALFD:
				on_signals(L);
				break;
			case SIM_K_TRIGGER:
				sim_call_event(L, (struct sim_call *)h, evs[i].events);
				break;
			}
		}
		/* Due timers run every iteration, not only on a timerfd tick, so a
		 * busy loop never lets an answer slip past its deadline. */
		run_timers(L);
		sim_conn_reap(L);
	}
}
