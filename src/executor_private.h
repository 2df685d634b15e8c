/* executor_private: what executor.c (the thread, moves) and
 * executor_rollback.c (a rollback as one batch) share. Internal. */
#ifndef CUTOVER_EXECUTOR_PRIVATE_H
#define CUTOVER_EXECUTOR_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cutover/executor.h"
#include "cutover/journal.h"

struct executor {
	struct model *m;
	const struct router_driver *drv;
	struct router *r;
	struct journal *j;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	bool pending;
	struct plan plan;		/* the copy being run */
	bool forced;
	char reason[256];
	struct executor_progress prog;
	struct executor_gate gate;	/* .before NULL: none */
	bool cancel;			/* executor_cancel asked */
};

/* Records of one type journaled together: payloads collected, then one
 * journal_append_many (one fsync) for all of them. */
struct executor_batch {
	struct journal_entry *v;
	cJSON **payload;
	size_t n, cap;
	bool oom;
};

/* One instance's share of a batch, run on a thread of its own. */
struct executor_apply {
	struct executor *e;
	size_t instance;
	const struct weight_change *ch;
	size_t n;
	struct instance_result res;
};

/* Appends to the progress result (plain words, cut when full). */
void executor_result_add(struct executor *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The payloads of an intent and an outcome record (caller frees). */
cJSON *executor_intent_json(const struct executor *e, const struct plan_move *mv);
cJSON *executor_outcome_json(const struct executor *e, const struct plan_move *mv,
			     const char *result, const struct instance_result *res);

/* Collects a record (taking payload; NULL marks the batch out of memory). */
void executor_batch_add(struct executor_batch *b, const char *type, const char *plan,
			cJSON *payload);
/* Journals the batch with one fsync and frees it; -1 with err when nothing
 * was recorded. */
int executor_batch_flush(struct executor *e, struct executor_batch *b, struct co_error *err);

/* Fills res->name for instance i when the driver left it empty. */
void executor_instance_name(struct executor *e, size_t i, struct instance_result *res);

/* Runs every task's apply, the instances at once (threads, up to 64). */
void executor_apply_fleet(struct executor_apply *t, size_t n);

/* Runs e->plan, a rollback, as one batch; true when every service reached
 * every instance. */
bool executor_run_rollback(struct executor *e);

#endif
