/* api_events: GET /v1/events, a text/event-stream fed from the engine's
 * hub. A connection with nothing to send is suspended (no thread waits on
 * it) and resumed when its queue gets data. */
#include "api_private.h"

#include <stdlib.h>

#include "cutover/hub.h"

struct stream {
	struct engine *e;
	struct MHD_Connection *c;
	struct hub_client *hc;
	uint64_t client;
	bool lever;
};

static void suspend(void *ctx)
{
	struct stream *s = ctx;
	MHD_suspend_connection(s->c);
}

static void wake(void *ctx)
{
	struct stream *s = ctx;
	MHD_resume_connection(s->c);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	ssize_t n = hub_read(s->hc, buf, max, suspend, s);
	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void done(void *cls)
{
	struct stream *s = cls;
	hub_detach(engine_hub(s->e), s->hc);	/* no wake after this */
	if (s->lever)
		engine_lever_drop(s->e, s->client);
	free(s);
}

enum MHD_Result api_events(struct listener *l, struct MHD_Connection *c, const struct engine_actor *who,
			   bool want_lever)
{
	struct stream *s = calloc(1, sizeof *s);
	if (!s)
		return api_error(c, 500, "out of memory");
	s->e = l->api->e;
	s->c = c;
	s->client = engine_client_id(s->e);
	s->lever = want_lever;
	s->hc = engine_attach(s->e, s->client, want_lever, who->name, who->kind, wake, s);
	if (!s->hc) {
		if (want_lever)
			engine_lever_drop(s->e, s->client);
		free(s);
		return api_error(c, 500, "out of memory");
	}
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, reader,
								  s, done);
	if (!r) {
		done(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	enum MHD_Result res = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return res;
}
