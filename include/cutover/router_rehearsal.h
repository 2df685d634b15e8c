/* router_rehearsal: the router driver that changes nothing outside cutover,
 * so a release can be walked through end to end (plans, gates, journal,
 * screens) before it touches traffic.
 *
 * It keeps an in-memory weight table with one instance named "rehearsal".
 * The table starts from the release journal, so a rehearsal survives a
 * restart: for each service the last outcome record
 *   {"type":"outcome","service":NAME,"result":"applied","to":N}
 * sets N, and one with "result":"reverted" and "from":N sets N; a service
 * the journal never moved starts at 0 (all on blue). Records naming an
 * "instance" other than "rehearsal" are skipped, and so is a weight that
 * does not suit the service (a job at 25). Every apply is kept in a
 * history the executor's journal mirrors; it carries no traffic figures. */
#ifndef CUTOVER_ROUTER_REHEARSAL_H
#define CUTOVER_ROUTER_REHEARSAL_H

#include <stddef.h>
#include <stdint.h>

#include "cutover/router.h"

extern const struct router_driver router_driver_rehearsal;

/* One applied change, in the order they came. */
struct rehearsal_change {
	size_t service;
	int from;
	int to;
	uint64_t at_ms;		/* monotonic_ms() */
};

/* For r opened by router_driver_rehearsal only: how many changes were
 * applied since open, and the i-th of them (0 if i is out of range). */
size_t router_rehearsal_history_len(struct router *r);
int router_rehearsal_history(struct router *r, size_t i, struct rehearsal_change *out);

/* The journal the table was seeded from: records read, services set. */
void router_rehearsal_seeded(struct router *r, size_t *records, size_t *services);

#endif
