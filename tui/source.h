/* source: where the console's state comes from, behind one table, as the
 * router drivers are. Three implementations, one face:
 *   hosted     - an engine inside this console (the embedded default);
 *   engine     - an engine elsewhere, mirrored through its event stream;
 *   standalone - probing on its own, read-only (watch with no engine, or a
 *                console while a command holds the release's lock).
 * The screen reads the model and a source_view and sends plans; it never
 * knows which one it has. */
#ifndef TUI_SOURCE_H
#define TUI_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "cutover/engine.h"
#include "cutover/engine_link.h"
#include "cutover/plan_request.h"

/* What the screen shows beside the model. */
struct source_view {
	const char *mode;		/* "hosted", "engine", "standalone" */
	bool can_act;			/* the lever is this console's */
	bool lever_held;		/* someone holds it (or the lock, standalone) */
	char holder[160];		/* "ana@ops1 (console) since 14:02:11" */
	bool stale;			/* the engine is lost: the model is its last state */
	uint64_t stale_ms;		/* for how long */
	char why[256];			/* why it was lost */
	struct executor_progress prog;
	uint64_t notice_seq;
	char notice[256];
};

struct source;

struct source_ops {
	const char *name;
	void (*poll)(struct source *s, struct source_view *v);
	/* The next journal record as a JSON line, for a source whose journal
	 * is not a file this host can read; NULL op: tail the file. */
	bool (*journal_next)(struct source *s, char *line, size_t cap);
	/* A plan for rq; -1 with err (the engine's words). */
	int (*plan)(struct source *s, const struct plan_request *rq, struct plan *out,
		    struct co_error *err);
	/* 0 applying; 1 the plan's inputs changed (fresh is the new one);
	 * -1 refused with err. NULL op: this source cannot act. */
	int (*apply)(struct source *s, const struct plan *p, bool force, const char *reason,
		     struct plan *fresh, struct co_error *err);
	int (*take_lever)(struct source *s, struct co_error *err);
	/* POST /v1/rollouts/ACTION with body: the engine's status with its
	 * answer in *out (the caller's), or -1 with err. NULL op: none here. */
	int (*rollout)(struct source *s, const char *action, const cJSON *body, cJSON **out,
		       struct co_error *err);
	/* Lets go of plan id while it waits for a job's gap: 0, or -1 with
	 * err (the engine's words). NULL op: none here. */
	int (*cancel)(struct source *s, const char *plan_id, struct co_error *err);
	/* Whether it is still the right source; false asks for a switch. */
	bool (*current)(struct source *s);
	void (*close)(struct source *s, const char *why);
};

struct source {
	const struct source_ops *ops;
	const struct config *cfg;
	struct model *model;		/* what the screen snapshots */
	char *journal_file;		/* tailed when journal_next is NULL */
};

/* How a console wants its source. */
struct source_want {
	bool watch;			/* never acts, never hosts */
	const struct engine_where *where;	/* --engine URL, or the socket */
	void (*report)(const char *line, void *ctx);	/* lines before the screen */
	void *report_ctx;
	char why_readonly[512];		/* out: why a console could not act */
	bool better_only;		/* no standalone: only an engine or hosting */
};

/* The best source now: an engine that answers, else (console) one hosted
 * here, else standalone. NULL with err when none can start. */
struct source *source_open(const struct config *cfg, struct source_want *w,
			   struct co_error *err);
void source_close(struct source *s, const char *why);	/* NULL: no-op */

struct source *source_hosted_open(const struct config *cfg, const struct source_want *w,
				  struct lock_owner *holder, struct co_error *err);
struct source *source_engine_open(const struct config *cfg, struct engine_link *link, bool watch,
				  struct co_error *err);
struct source *source_standalone_open(const struct config *cfg, struct co_error *err);

/* An engine's answer that is not a success, into err: its "error". -1. */
int source_refused(int code, const cJSON *o, struct co_error *err);
/* An apply's answer as the apply op returns it: 0, 1 (fresh filled), -1. */
int source_apply_answer(int code, const cJSON *o, const struct config *cfg, struct plan *fresh,
			struct co_error *err);

/* For plans: the service indices as names, the way a request names them. */
int source_request(const struct config *cfg, const size_t *svc, size_t n, enum move_goal goal,
		   bool rollback, struct plan_request *out);

#endif
