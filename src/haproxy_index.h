/* haproxy_index: finds a row of a parsed runtime-API table by its two
 * names (backend, server) in constant time. Internal to the haproxy driver. */
#ifndef CUTOVER_HAPROXY_INDEX_H
#define CUTOVER_HAPROXY_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* Gives the two names of row i of items. */
typedef void (*haproxy_names_fn)(const void *items, size_t i, const char **a, const char **b);

struct haproxy_index {
	struct haproxy_index_slot *slots;	/* NULL: finds walk the rows */
	size_t mask;				/* number of slots - 1 */
};

/* Indexes rows 0..n of items. Out of memory leaves the index empty, which
 * only makes finds slower. */
void haproxy_index_build(struct haproxy_index *ix, const void *items, size_t n,
			 haproxy_names_fn names_of);
void haproxy_index_done(struct haproxy_index *ix);

/* The first row (in the order of items) named (a, b), or n when none is. */
size_t haproxy_index_find(const struct haproxy_index *ix, const void *items, size_t n,
			  haproxy_names_fn names_of, const char *a, const char *b);

#endif
