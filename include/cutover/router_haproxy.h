/* router_haproxy: the HAProxy fleet driver (runtime API over unix or TCP
 * sockets) and the weight-spread scheme it uses, public so a screen can show
 * the exact per-server weights a move will set. */
#ifndef CUTOVER_ROUTER_HAPROXY_H
#define CUTOVER_ROUTER_HAPROXY_H

#include <stddef.h>

#include "cutover/router.h"

extern const struct router_driver router_driver_haproxy;

/* HAProxy accepts server weights 0..256. */
#define ROUTER_HAPROXY_WEIGHT_MAX 256

/* The spread. A share S (0..100) on green becomes side totals S*K on green
 * and (100-S)*K on blue, each split over that side's servers as evenly as
 * integers allow (the first T mod n servers get one more). Because the two
 * totals always add up to 100*K, the share read back is exact:
 * S = 100 * green_total / (blue_total + green_total).
 *
 * K = min(max(n_blue, n_green), floor(256 * min(n_blue, n_green) / 100)), so
 * no server exceeds 256, and when both sides have as many servers the
 * per-server weight *is* the percentage (25 % green: green servers at 25,
 * blue servers at 75). With one blue and five green servers K is 2, and a
 * 1 % share is carried by two of the five green servers (weight 1 each). */
int router_haproxy_scale(size_t n_blue, size_t n_green);

/* Fills blue[n_blue] and green[n_green] for share. Returns 0, or -1 if share
 * is outside 0..100 or a side has no server. */
int router_haproxy_spread(int share, size_t n_blue, size_t n_green, int *blue, int *green);

/* The share on green that per-server weights carry, rounded to the nearest
 * percent (exact for weights router_haproxy_spread set). WEIGHT_UNKNOWN if
 * a weight is negative or every weight is zero (the backend takes no
 * traffic at all). */
int router_haproxy_share(const int *blue, size_t n_blue, const int *green, size_t n_green);

#endif
