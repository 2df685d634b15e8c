/* api_private: the API's listeners and requests, shared by its files. */
#ifndef CUTOVER_API_PRIVATE_H
#define CUTOVER_API_PRIVATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <microhttpd.h>

#include "cutover/api.h"
#include "cutover/engine.h"
#include "cutover/tokens.h"

struct listener {
	struct api *api;
	struct MHD_Daemon *d;
	bool tcp;		/* tokens required */
	atomic_int conns;	/* open connections */
};

struct api {
	struct engine *e;
	struct listener unix_l, tcp_l;
	struct tokens *tokens;
	char *cert, *key;	/* PEM text for MHD */
	char host[64];
	char sock_path[512];
	int max_clients;
};

/* One request as it arrives: its body, bounded. */
struct request {
	char *body;
	size_t len, cap;
	bool too_large;
	struct hub_client *stream;	/* set when it became an event stream */
};

/* api_routes.c: answers a complete request. */
enum MHD_Result api_route(struct listener *l, struct MHD_Connection *c, const char *url,
			  const char *method, struct request *rq, const struct engine_actor *who);
/* Queues {"error", "code"} with that status. */
enum MHD_Result api_error(struct MHD_Connection *c, unsigned int code, const char *msg);
enum MHD_Result api_json(struct MHD_Connection *c, unsigned int code, const cJSON *body);

/* api_events.c */
enum MHD_Result api_events(struct listener *l, struct MHD_Connection *c, const struct engine_actor *who,
			   bool want_lever);

#endif
