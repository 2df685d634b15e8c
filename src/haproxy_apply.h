/* haproxy_apply: setting a batch of weights on one HAProxy instance so that
 * no backend ever has zero total weight, then checking they took. Internal
 * to the haproxy driver. */
#ifndef CUTOVER_HAPROXY_APPLY_H
#define CUTOVER_HAPROXY_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "cutover/config.h"
#include "cutover/error.h"
#include "cutover/router.h"

/* Spreads each change over its service's servers (router_haproxy_spread),
 * sets them on sock and reads them back, all before deadline_ms. Returns 0,
 * or -1 with err naming the instance and, for a refusal, HAProxy's words,
 * the refused command and how many of the batch's sets took. */
int haproxy_apply(const struct config *cfg, const struct socket_conf *sock, uint64_t deadline_ms,
		  const struct weight_change *changes, size_t n, struct co_error *err);

#endif
