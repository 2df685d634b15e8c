/* cutover-sim: deadlines for delayed answers, as one binary min-heap.
 *
 * Every delayed response is a timer here, never a thread or a sleep: the loop
 * arms one timerfd for the earliest deadline. Each timer remembers its slot so
 * a connection that closes early can be taken out in O(log n). */
#include <stdlib.h>

#include "sim.h"

void sim_timers_init(struct sim_timers *t)
{
	t->heap = NULL;
	t->n = t->cap = 0;
}

void sim_timers_done(struct sim_timers *t)
{
	for (size_t i = 0; i < t->n; i++)
		t->heap[i]->slot = SIM_TIMER_IDLE;
	free(t->heap);
	sim_timers_init(t);
}

static void heap_put(struct sim_timers *t, size_t i, struct sim_timer *tm)
{
	t->heap[i] = tm;
	tm->slot = i;
}

static void sift_up(struct sim_timers *t, size_t i)
{
	struct sim_timer *tm = t->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (t->heap[parent]->due_ns <= tm->due_ns)
			break;
		heap_put(t, i, t->heap[parent]);
		i = parent;
	}
	heap_put(t, i, tm);
}

static void sift_down(struct sim_timers *t, size_t i)
{
	struct sim_timer *tm = t->heap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= t->n)
			break;
		if (child + 1 < t->n && t->heap[child + 1]->due_ns < t->heap[child]->due_ns)
			child++;
		if (tm->due_ns <= t->heap[child]->due_ns)
			break;
		heap_put(t, i, t->heap[child]);
		i = child;
	}
	heap_put(t, i, tm);
}

void sim_timers_add(struct sim_timers *t, struct sim_timer *tm, uint64_t due_ns)
{
	if (tm->slot != SIM_TIMER_IDLE)
		sim_timers_cancel(t, tm);
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->heap = sim_xrealloc(t->heap, t->cap * sizeof *t->heap);
	}
	tm->due_ns = due_ns;
	heap_put(t, t->n++, tm);
	sift_up(t, tm->slot);
}

void sim_timers_cancel(struct sim_timers *t, struct sim_timer *tm)
{
	size_t i = tm->slot;
	if (i == SIM_TIMER_IDLE)
		return;
	tm->slot = SIM_TIMER_IDLE;
	struct sim_timer *last = t->heap[--t->n];
	if (last == tm)
		return;
	/* The last entry fills the hole; it may belong above or below it. */
	heap_put(t, i, last);
	if (i > 0 && t->heap[(i - 1) / 2]->due_ns > last->due_ns)
		sift_up(t, i);
	else
		sift_down(t, i);
}

struct sim_timer *sim_timers_pop_due(struct sim_timers *t, uint64_t now_ns)
{
	if (t->n == 0 || t->heap[0]->due_ns > now_ns)
		return NULL;
	struct sim_timer *tm = t->heap[0];
	sim_timers_cancel(t, tm);
	return tm;
}

uint64_t sim_timers_next_due(const struct sim_timers *t)
{
	return t->n ? t->heap[0]->due_ns : UINT64_MAX;
}
