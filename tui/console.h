/* console: the state one console screen draws from, and the entry point. */
#ifndef TUI_CONSOLE_H
#define TUI_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover/executor.h"
#include "cutover/model.h"
#include "cutover/plan.h"
#include "cutover/rollout.h"
#include "cutover/journal_tail.h"
#include "cutover/router.h"
#include "keys.h"
#include "source.h"
#include "theme.h"

enum sort_key { SORT_NAME, SORT_GROUP, SORT_DP95, SORT_VERDICT, SORT_WEIGHT, SORT_COUNT };

/* What a mutating key asks the core to do: a plan built by the core's
 * planner from the snapshot on screen, gates and all, so that what the
 * engineer confirms is exactly what runs. request_submit() is the one place
 * that hands it on. */
enum request_kind { REQUEST_MOVE, REQUEST_ROLLBACK_ALL, REQUEST_TAKE_LEVER, REQUEST_ROLLOUT };
struct tui_request {
	enum request_kind kind;
	struct plan plan;
	/* REQUEST_ROLLOUT: the control, its body, and for a start what the
	 * engine's dry run said would start. */
	char action[16];
	cJSON *body;
	cJSON *preview;
};

/* CONFIRM: y applies. TYPED: a word and Enter (rollback, or force when a
 * gate blocks, or take for the lever). QUIT: a plan is applying, leave
 * when it ends? */
enum modal_kind { MODAL_NONE, MODAL_CONFIRM, MODAL_TYPED, MODAL_QUIT };

struct console {
	const struct config *cfg;
	struct source *src;		/* NULL only in the frame benchmark */
	struct source_want want;	/* how to find another when it goes */
	struct source_view view;	/* what it says beside the model */
	uint64_t src_check_ms;
	struct model *model;		/* src's */
	struct snapshot snap;
	bool watch;
	bool readonly;
	bool rehearsal;

	int name_max, group_max;	/* longest service and group names */
	uint32_t *name_rank, *group_rank;	/* per service, for sorting (view.c) */
	void *keys;			/* view.c's sort keys, in last build's order */
	bool keys_built;		/* keys hold the rows of built_sort/built_filter */
	enum sort_key built_sort;
	char built_filter[64];
	size_t built_rows;
	size_t *rows;			/* service (or group) indices shown, in order */
	size_t n_rows;
	bool *marked;			/* per service */
	size_t n_marked;
	int sel, top;
	bool group_view;
	enum sort_key sort;
	char filter[64];
	bool filtering;
	bool detail, help;
	int help_page;

	enum modal_kind modal;
	struct tui_request pending;
	char typed[96];			/* what the engineer typed in a MODAL_TYPED */
	const char *typed_word;
	int modal_top;			/* first body line shown in the modal */

	struct executor_progress prog;	/* the last plan, as the source tells it */
	bool awaiting_plan;		/* submitted; the source has not named it yet */
	bool quit_when_done;
	long *plan_pos;			/* per service: its place in the running plan, -1 */
	uint64_t result_until_ms;
	struct journal_tail events;		/* the journal's recent records */

	uint8_t *ro_phase;		/* per service: the rollout phase last seen */
	bool has_rollouts;		/* some service has one: the table shows them */
	char notice[512];		/* recovery after a crash: shown until a key */
	char flash[160];
	uint64_t flash_until_ms;
	uint64_t page_at_ms;		/* watch: when to turn the page */
	uint64_t settled_ms;		/* changes before this are first data, not news */
	bool quit;
};

/* Rebuilds rows from the snapshot, filter, sort and view. */
void view_rebuild(struct console *c);
double view_dp95(const struct service_state *s);

/* Draw functions: each paints its part of stdscr, nothing is refreshed. */
int header_draw(struct console *c, int y);
void table_draw(struct console *c, int y, int h);
void detail_draw(struct console *c, int y, int h);
void help_draw(struct console *c);
int help_rows(void);
bool help_more(const struct console *c);	/* keys beyond this page */
void fbar_draw(struct console *c, int y);
void confirm_draw(struct console *c);

/* Keys in a modal; returns true when it consumed the key. */
bool confirm_key(struct console *c, int key);
/* Opens the confirm modal for req (ownership of req->items passes). */
void confirm_open(struct console *c, struct tui_request *req);

void request_plan(struct console *c, enum tui_req r);
/* Hands a confirmed request to the executor; force with the reason typed
 * (or one that names the console and the engineer). */
void request_submit(struct console *c, const struct tui_request *req, bool force,
		    const char *reason);
void request_free(struct tui_request *req);
/* Reads the executor's progress; true when it changed what is shown. */
bool request_poll(struct console *c);
bool request_running(const struct console *c);
/* For a row while a plan applies: "busy" (applying now), "wait" (queued),
 * "done" (handled); NULL otherwise. */
const char *request_row_state(const struct console *c, size_t service);

/* The services a key acts on: the marked ones, else the group under the
 * cursor in group view, else the service under it. */
size_t request_choose(const struct console *c, enum tui_req r, size_t *out);

/* rollout_keys.c: o p P F X, through the source to the engine. */
void rollout_request(struct console *c, enum tui_req r);
void rollout_submit(struct console *c, const struct tui_request *req);
/* rollout_draw.c: the needs-you line (lines used), a row's rollout cell,
 * the confirm modal of a rollout, and the bell and flash on a halt or a
 * rollback (from the snapshot: true when it rang). */
int rollout_needs_draw(struct console *c, int y);
int rollout_cell(int y, int x, int w, const struct rollout_view *rv, enum theme_role base);
/* A job's cell in the same column: next fire, who ran the last tick. */
int job_cell(int y, int x, int w, const struct job_view *jv, enum theme_role base);
/* Jobs with doubles or misses, appended at out for the needs-you line;
 * *n counts them (and what came before). Returns the length written. */
size_t job_needs_text(const struct console *c, char *out, size_t cap, size_t *n);
/* The detail pane's job lines from y (below end: none); returns how many. */
int job_detail_lines(struct console *c, size_t i, int y, int end);
void rollout_confirm_draw(struct console *c);
bool rollout_alarm(struct console *c);

/* Recent journal events (watch's lower part, and the detail pane). */
int events_draw(struct console *c, int y, int h, const char *service);

void console_flash(struct console *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The main loop over an initialised terminal; 0 after q, 128+N after signal N. */
int screen_loop(struct console *c);
/* One frame exactly as the loop draws it, out to the terminal, without the
 * loop around it: tests/bench/frame.c times it over a large fleet. */
void screen_draw(struct console *c);

/* Runs the console until q or a signal; returns an exit code. */
int console_run(const char *config_path, const char *theme, bool watch,
		const struct engine_where *where);

/* Reads the source's view and switches to a better source when the one in
 * use is gone (an engine that stopped) or one appears (standalone). True
 * when what is shown changed. */
bool console_follow_source(struct console *c);
/* (Re)opens c->events on the source's journal. */
void console_events_open(struct console *c);
/* Asks the engine for the lever held by another console (journaled). */
void console_take_lever(struct console *c);

/* Adds a line to the notice the message line shows (recovery's findings),
 * "; " between lines, cut at the notice's size. */
void console_notice_add(struct console *c, const char *line);

#endif
