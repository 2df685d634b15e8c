/* due_heap: min-heap of due times (see due_heap.h). */
#include "due_heap.h"

#include <stdlib.h>

int due_heap_init(struct due_heap *h, size_t cap)
{
	h->n = 0;
	h->cap = cap ? cap : 1;
	h->items = malloc(h->cap * sizeof(*h->items));
	return h->items ? 0 : -1;
}

void due_heap_done(struct due_heap *h)
{
	free(h->items);
	h->items = NULL;
	h->n = h->cap = 0;
}

static void swap(struct due_item *a, struct due_item *b)
{
	struct due_item t = *a;
	*a = *b;
	*b = t;
}

int due_heap_push(struct due_heap *h, uint64_t due_ms, size_t target)
{
	if (h->n == h->cap) {
		struct due_item *n = realloc(h->items, h->cap * 2 * sizeof(*n));
		if (!n)
			return -1;
		h->items = n;
		h->cap *= 2;
	}
	size_t i = h->n++;
	h->items[i] = (struct due_item){ due_ms, target };
	while (i > 0 && h->items[(i - 1) / 2].due_ms > h->items[i].due_ms) {
		swap(&h->items[(i - 1) / 2], &h->items[i]);
		i = (i - 1) / 2;
	}
	return 0;
}

const struct due_item *due_heap_peek(const struct due_heap *h)
{
	return h->n ? &h->items[0] : NULL;
}

void due_heap_pop(struct due_heap *h)
{
	if (!h->n)
		return;
	h->items[0] = h->items[--h->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && h->items[l].due_ms < h->items[m].due_ms)
			m = l;
		if (r < h->n && h->items[r].due_ms < h->items[m].due_ms)
			m = r;
		if (m == i)
			break;
		swap(&h->items[i], &h->items[m]);
		i = m;
	}
}
