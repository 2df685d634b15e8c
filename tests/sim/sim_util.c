/* cutover-sim: the clock, the log line and allocation that cannot fail quietly. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim.h"

/* Monotonic, so latency and flap periods survive wall-clock jumps. */
uint64_t sim_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SIM_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* stderr only: stdout stays empty so tests can use it for their own output. */
void sim_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("cutover-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The simulator is a test tool: running out of memory is a failed run, said
 * loudly, rather than a path every caller has to carry. */
void *sim_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		sim_log("out of memory (%zu bytes)", n);
		abort();
	}
	return p;
}

void *sim_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		sim_log("out of memory (%zu bytes)", n);
		abort();
	}
	return q;
}
