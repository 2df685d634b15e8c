/* router_exec: the router driver that runs the user's own tools (kubectl
 * wrappers, AWS CLI scripts) until native drivers exist.
 *
 * router.exec.set and router.exec.get are argv templates, run without a
 * shell; in each argument {service} {weight} {backend} {group} {kind} are
 * replaced by the service's values ({weight} is "" for get). `set` must
 * exit 0 once the weight is in force. `get` must exit 0 and print
 * {"weight": N} with N a whole number 0..100, and may add
 *   "traffic": {"blue": {"rtime_ms": .., "err5xx_pct": .., "sessions": ..,
 *                        "requests": ..}, "green": {...}}
 * Every run is bounded by router.exec.timeout_ms, after which the tool's
 * whole process group is killed. A failure names the call and carries the
 * tool's words: "exec set checkout-api 25: exit 3: <first lines of stderr>".
 *
 * The driver has one instance, named "exec". observe() runs get for up to
 * ROUTER_EXEC_PARALLEL services at once; apply() runs set once per change,
 * in order, and stops at the first failure. */
#ifndef CUTOVER_ROUTER_EXEC_H
#define CUTOVER_ROUTER_EXEC_H

#include "cutover/router.h"

extern const struct router_driver router_driver_exec;

#define ROUTER_EXEC_PARALLEL 8

#endif
