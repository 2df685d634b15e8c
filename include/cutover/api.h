/* api: the engine's HTTP/1.1 + JSON API, served by libmicrohttpd on the
 * release's unix socket (STATE_DIR/RELEASE.sock, 0600, or 0660 to
 * engine.socket_group) and, when asked, on TCP with bearer tokens and TLS.
 * Handlers are short and call the engine: the core knows no HTTP. */
#ifndef CUTOVER_API_H
#define CUTOVER_API_H

#include "cutover/error.h"

struct engine;
struct api;

/* Limits, also in cutover(1). */
#define API_MAX_BODY (1u << 20)		/* 413 beyond */
#define API_MAX_CLIENTS 256		/* 503 beyond, per listener */
#define API_TIMEOUT_S 60		/* a request half sent is dropped after */

struct engine_opts;
int api_start(struct engine *e, const struct engine_opts *o, struct api **out, struct co_error *err);
const char *api_socket_path(const struct api *a);	/* "" when none */
/* What can be refused before anything starts: --listen without tokens, a
 * TLS pair half given, beyond loopback without TLS. */
int api_check_opts(const struct engine_opts *o, struct co_error *err);
void api_stop(struct api *a);	/* NULL: no-op */

#endif
