/* engine_sock: the sockets an engine listens on. */
#ifndef CUTOVER_ENGINE_SOCK_H
#define CUTOVER_ENGINE_SOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "cutover/config.h"

/* Binds STATE_DIR/RELEASE.sock (or path), mode 0600, or 0660 with the
 * group engine.socket_group; a socket left by a killed engine is replaced
 * (the caller holds the release's lock, so no live engine owns it). The
 * path goes to out. Returns the listening fd, or -1 with err. */
int engine_sock_listen_unix(const struct config *cfg, const char *path, char *out, size_t cap,
			    struct co_error *err);
/* "HOST:PORT" or "[V6]:PORT"; *loopback says whether every address bound
 * is a loopback one. */
/* The same address checks without binding: refused before anything starts. */
int engine_sock_resolve(const char *hostport, bool *loopback, struct co_error *err);
int engine_sock_listen_tcp(const char *hostport, bool *loopback, struct co_error *err);

#endif
