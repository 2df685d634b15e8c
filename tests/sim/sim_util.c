/* cutover-sim: the clocks, the log line, allocation that cannot fail quietly
 * and a growable buffer. */
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

/* The wall clock, for what is about calendar time: job fires and run times. */
int64_t sim_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * (int64_t)SIM_NS_PER_S + (int64_t)ts.tv_nsec;
}

/* RFC 3339 in UTC ("Z" is the offset); returns the length written. */
size_t sim_format_ms(char *out, size_t cap, int64_t epoch_ms)
{
	time_t secs = (time_t)(epoch_ms / 1000);
	struct tm tm;
	char day[32];
	if (!gmtime_r(&secs, &tm) || strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		day[0] = '\0';
	int n = snprintf(out, cap, "%s.%03dZ", day, (int)(epoch_ms % 1000));
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
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

void sim_buf_reserve(struct sim_buf *b, size_t room)
{
	if (b->len + room <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + room)
		cap *= 2;
	b->p = sim_xrealloc(b->p, cap);
	b->cap = cap;
}

void sim_buf_printf(struct sim_buf *b, const char *fmt, ...)
{
	va_list ap;
	sim_buf_reserve(b, 256);
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		sim_buf_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void sim_buf_free(struct sim_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
