/* engine_link: a client's way to a release's engine: the unix socket
 * STATE_DIR/RELEASE.sock, or a URL with a bearer token. One libcurl handle,
 * kept alive between calls; the token is never printed or logged. */
#ifndef CUTOVER_ENGINE_LINK_H
#define CUTOVER_ENGINE_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cutover/config.h"

struct engine_link;

/* Where a client looks for the engine: --engine URL (with --token-file),
 * else the release's socket from cfg. */
struct engine_where {
	const char *url;		/* "https://host:port" or NULL */
	const char *token_file;
	const char *kind;		/* "console", "watch", "cli" */
};

/* 0 with *out when an engine answers; 1 when none is there (no socket, or
 * nobody listening on it: a client then works standalone); -1 with err
 * when one was named (--engine) and cannot be reached or refused us. */
int engine_link_open(const struct config *cfg, const struct engine_where *w,
		     struct engine_link **out, struct co_error *err);
void engine_link_free(struct engine_link *l);

/* One request. body may be NULL. Returns the HTTP status with *resp (the
 * parsed JSON answer, the caller's), or -1 with err when the engine could
 * not be reached or answered something that is not JSON. */
int engine_link_call(struct engine_link *l, const char *method, const char *path,
		     const cJSON *body, cJSON **resp, struct co_error *err);

/* Requests name this event stream as theirs (X-Cutover-Stream): the
 * lever is lent to a stream. 0: none. */
void engine_link_set_stream(struct engine_link *l, uint64_t client);

/* "/tmp/x/rel.sock" or "https://host:7450": for messages. */
const char *engine_link_name(const struct engine_link *l);

/* A second handle for a long-lived stream on another thread. */
struct engine_link *engine_link_dup(const struct engine_link *l);
/* Sets up a libcurl easy handle for path on this link (URL, socket, token,
 * CA, client kind); the caller adds its own callbacks. headers must be
 * freed with curl_slist_free_all after the transfer. */
void *engine_link_easy(struct engine_link *l, const char *path, void **headers);

/* The engine's config (GET /v1/config), parsed: a remote client's view of
 * the release. NULL with err. */
struct config *engine_link_config(struct engine_link *l, struct co_error *err);

#endif
