/* fanout: runs one function over an array of tasks, each on its own thread,
 * so that a fleet's instances are read or changed at once and a dead one
 * costs its timeout once, not once per instance. */
#ifndef CUTOVER_FANOUT_H
#define CUTOVER_FANOUT_H

#include <stddef.h>

/* Calls fn(tasks + i * size) for i in [0, n), at most max_parallel at once,
 * and returns when all are done. One runs on the calling thread; one whose
 * thread cannot be made runs there too, in turn. The threads block every
 * signal: signals belong to the main thread (the console's SIGWINCH, a
 * CLI's SIGINT). */
void fanout_run(void *tasks, size_t n, size_t size, void (*fn)(void *task), size_t max_parallel);

#endif
