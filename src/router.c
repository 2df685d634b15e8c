/* router: the table of router drivers, one per enum driver_kind. */
#include "cutover/router.h"

#include "cutover/router_exec.h"
#include "cutover/router_haproxy.h"
#include "cutover/router_rehearsal.h"

const struct router_driver *router_driver_for(enum driver_kind kind)
{
	switch (kind) {
	case DRIVER_HAPROXY: return &router_driver_haproxy;
	case DRIVER_EXEC: return &router_driver_exec;
	case DRIVER_REHEARSAL: return &router_driver_rehearsal;
	}
	return NULL;
}
