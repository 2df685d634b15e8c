/* fanout: one thread per task, in rounds of at most max_parallel. */
#include "cutover/fanout.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

struct slot {
	void (*fn)(void *);
	void *task;
	pthread_t thread;
	bool threaded;
};

static void *slot_run(void *arg)
{
	struct slot *s = arg;
	s->fn(s->task);
	return NULL;
}

static void run_round(struct slot *slots, size_t k)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 1; i < k; i++)
		slots[i].threaded = pthread_create(&slots[i].thread, NULL, slot_run, &slots[i]) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (size_t i = 0; i < k; i++)
		if (i == 0 || !slots[i].threaded)
			slot_run(&slots[i]);
	for (size_t i = 1; i < k; i++)
		if (slots[i].threaded)
			pthread_join(slots[i].thread, NULL);
}

void fanout_run(void *tasks, size_t n, size_t size, void (*fn)(void *task), size_t max_parallel)
{
	size_t cap = max_parallel ? max_parallel : 1;
	struct slot *slots = calloc(cap, sizeof(*slots));
	for (size_t start = 0; start < n; start += cap) {
		size_t k = n - start < cap ? n - start : cap;
		for (size_t i = 0; i < k; i++) {
			char *t = (char *)tasks + (start + i) * size;
			if (slots)
				slots[i] = (struct slot){ .fn = fn, .task = t };
			else
				fn(t);	/* no memory for slots: one at a time */
		}
		if (slots)
			run_round(slots, k);
	}
	free(slots);
}
