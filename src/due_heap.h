/* due_heap: a binary min-heap of (due time, target) for the prober's
 * schedule, so each wakeup costs O(log n), not a scan of every target. */
#ifndef CUTOVER_DUE_HEAP_H
#define CUTOVER_DUE_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct due_item {
	uint64_t due_ms;
	size_t target;
};

struct due_heap {
	struct due_item *items;
	size_t n, cap;
};

int due_heap_init(struct due_heap *h, size_t cap);
void due_heap_done(struct due_heap *h);
int due_heap_push(struct due_heap *h, uint64_t due_ms, size_t target);
/* The earliest item, or NULL when empty. */
const struct due_item *due_heap_peek(const struct due_heap *h);
void due_heap_pop(struct due_heap *h);

#endif
