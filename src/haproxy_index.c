/* haproxy_index: an open-addressing hash of (backend, server) names.
 * A fleet of 1,000 services has 2,000 server rows per instance and observing
 * or verifying it looks every one up: a linear find made that quadratic, and
 * the sorted index that replaced it spent its time in strcmp over names that
 * share long prefixes ("be_svc0001"...). Hashing reads each name once. */
#include "haproxy_index.h"

#include <stdlib.h>
#include <string.h>

/* row + 1 (0: empty) and the hash, so a probe rarely compares strings. */
struct haproxy_index_slot {
	uint32_t row1;
	uint32_t hash;
};

/* FNV-1a over a, a separator, and b (so ("ab", "c") and ("a", "bc") differ). */
static uint32_t names_hash(const char *a, const char *b)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const unsigned char *p = (const unsigned char *)b; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static int same_names(const void *items, size_t i, haproxy_names_fn names_of, const char *a,
		      const char *b)
{
	const char *x, *y;
	names_of(items, i, &x, &y);
	return strcmp(x, a) == 0 && strcmp(y, b) == 0;
}

/* The slot holding (a, b), or the empty slot where it would go. */
static struct haproxy_index_slot *probe(const struct haproxy_index *ix, const void *items,
					haproxy_names_fn names_of, uint32_t h, const char *a,
					const char *b)
{
	for (size_t i = h & ix->mask;; i = (i + 1) & ix->mask) {
		struct haproxy_index_slot *s = &ix->slots[i];
		if (!s->row1 || (s->hash == h && same_names(items, s->row1 - 1, names_of, a, b)))
			return s;
	}
}

void haproxy_index_build(struct haproxy_index *ix, const void *items, size_t n,
			 haproxy_names_fn names_of)
{
	size_t size = 16;
	memset(ix, 0, sizeof(*ix));
	if (n >= UINT32_MAX / 4)
		return;
	while (size < 2 * n)	/* at most half full: probes stay short */
		size *= 2;
	if (!(ix->slots = calloc(size, sizeof(*ix->slots))))
		return;
	ix->mask = size - 1;
	for (size_t i = 0; i < n; i++) {
		const char *a, *b;
		names_of(items, i, &a, &b);
		uint32_t h = names_hash(a, b);
		struct haproxy_index_slot *s = probe(ix, items, names_of, h, a, b);
		if (!s->row1)	/* a repeated name keeps its first row */
			*s = (struct haproxy_index_slot){ (uint32_t)i + 1, h };
	}
}

void haproxy_index_done(struct haproxy_index *ix)
{
	if (!ix)
		return;
	free(ix->slots);
	memset(ix, 0, sizeof(*ix));
}

size_t haproxy_index_find(const struct haproxy_index *ix, const void *items, size_t n,
			  haproxy_names_fn names_of, const char *a, const char *b)
{
	if (!ix->slots) {
		for (size_t i = 0; i < n; i++)
			if (same_names(items, i, names_of, a, b))
				return i;
		return n;
	}
	const struct haproxy_index_slot *s = probe(ix, items, names_of, names_hash(a, b), a, b);
	return s->row1 ? s->row1 - 1 : n;
}
