/* router: the table of router drivers, one per enum driver_kind. */
#include "cutover/router.h"

#include <string.h>

#include "cutover/router_exec.h"
#include "cutover/router_haproxy.h"
#include "cutover/router_kubernetes.h"
#include "cutover/router_rehearsal.h"

const struct router_driver *router_driver_for(enum driver_kind kind)
{
	switch (kind) {
	case DRIVER_HAPROXY: return &router_driver_haproxy;
	case DRIVER_EXEC: return &router_driver_exec;
	case DRIVER_REHEARSAL: return &router_driver_rehearsal;
	case DRIVER_KUBERNETES: return &router_driver_kubernetes;
	}
	return NULL;
}

const char *router_instance_reason(const struct instance_result *r)
{
	/* "DRIVER NAME: reason": one word, the name, a colon. */
	const char *sp = strchr(r->error, ' ');
	size_t len = strlen(r->name);
	if (r->name[0] && sp && strncmp(sp + 1, r->name, len) == 0 && strncmp(sp + 1 + len, ": ", 2) == 0)
		return sp + 1 + len + 2;
	return r->error;
}
