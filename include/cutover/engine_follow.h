/* engine_follow: a client's mirror of an engine. A thread reads the event
 * stream (GET /v1/events) and applies the snapshot and each delta to a
 * client-side model, which screens read exactly as they read a local one;
 * plan progress, the lever, notices and journal records are kept beside it.
 * It reconnects by itself when the engine goes away and comes back. */
#ifndef CUTOVER_ENGINE_FOLLOW_H
#define CUTOVER_ENGINE_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "cutover/engine.h"
#include "cutover/engine_link.h"
#include "cutover/model.h"

enum follow_link { FOLLOW_CONNECTING, FOLLOW_ATTACHED, FOLLOW_LOST };

struct follow_state {
	enum follow_link link;
	uint64_t since_ms;		/* monotonic ms the link entered that state */
	uint64_t events;		/* events applied */
	uint64_t client;		/* our stream's id at the engine */
	struct executor_progress prog;
	struct lever_state lever;
	bool lever_yours;
	char engine[128];		/* the engine's user@host */
	char why[256];			/* why the link was lost */
	bool bye;			/* the engine said it stopped (not killed) */
	uint64_t notice_seq;
	char notice[256];
};

struct engine_follow;

/* link is the follower's own (it takes it). operate: an operator console,
 * which asks for the lever. */
struct engine_follow *engine_follow_start(struct engine_link *link, struct model *m, bool operate,
					  struct co_error *err);
void engine_follow_stop(struct engine_follow *f);	/* NULL: no-op */
void engine_follow_get(struct engine_follow *f, struct follow_state *out);
/* The next journal record after *cursor (a count), copied into out as a
 * JSON line; false when there is none newer. */
bool engine_follow_journal(struct engine_follow *f, uint64_t *cursor, char *out, size_t cap);
/* A snapshot event arrived since the last call (the model was replaced
 * whole): a screen re-reads what it derives. */
bool engine_follow_resynced(struct engine_follow *f);

#endif
