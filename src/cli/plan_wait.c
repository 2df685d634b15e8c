/* plan_wait: a plan's waits on stderr, and Ctrl-C (see plan_wait.h). */
#include "plan_wait.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Set by the handler; the only state a signal may touch. */
static volatile sig_atomic_t interrupted;

static void on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

void plan_wait_begin(struct plan_wait *w)
{
	memset(w, 0, sizeof *w);
	interrupted = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_int;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &w->old_int);
}

/* The words without the trailing "(m:ss)" countdown. */
static size_t stem(const char *s)
{
	const char *p = strrchr(s, '(');
	return p && p > s ? (size_t)(p - s) : strlen(s);
}

bool plan_wait_tick(struct plan_wait *w, const char *waiting)
{
	bool tty = isatty(STDERR_FILENO);
	size_t n = stem(waiting);
	if (waiting[0] && (n != stem(w->said) || strncmp(waiting, w->said, n) != 0 || tty)) {
		if (tty)
			fprintf(stderr, "\r\033[K%s  (Ctrl-C cancels)", waiting);
		else if (n != stem(w->said) || strncmp(waiting, w->said, n) != 0)
			fprintf(stderr, "%s; Ctrl-C cancels\n", waiting);
	}
	if (!waiting[0] && w->said[0] && tty)
		fprintf(stderr, "\r\033[K");
	snprintf(w->said, sizeof w->said, "%s", waiting);
	if (!interrupted)
		return false;
	interrupted = 0;
	if (!waiting[0]) {
		fprintf(stderr, "\nthe plan is applying: it can no longer be cancelled\n");
		return false;
	}
	if (w->asked)
		return false;
	w->asked = true;
	fprintf(stderr, "\ncancelling: the moves not yet made are skipped\n");
	return true;
}

void plan_wait_end(struct plan_wait *w)
{
	if (w->said[0] && isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	sigaction(SIGINT, &w->old_int, NULL);
}
