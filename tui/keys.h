/* keys: one list of requests generates the enum, the key map and the help
 * screen, so they cannot drift apart (tig's REQ_ idea). */
#ifndef TUI_KEYS_H
#define TUI_KEYS_H

#include <stdbool.h>

/* REQ_(id, keys as shown, help text, mutating) */
#define TUI_REQUESTS(REQ_) \
	REQ_(UP, "Up k", "cursor up one row", false) \
	REQ_(DOWN, "Down j", "cursor down one row", false) \
	REQ_(PGUP, "PgUp", "page up", false) \
	REQ_(PGDN, "PgDn", "page down", false) \
	REQ_(HOME, "Home", "first row", false) \
	REQ_(END, "End", "last row", false) \
	REQ_(MARK, "Space", "mark or unmark the row", false) \
	REQ_(FILTER, "/", "filter by name or group (Enter keeps, Esc clears)", false) \
	REQ_(SORT, "s", "cycle sort: name, group, dp95, verdict, weight", false) \
	REQ_(DETAIL, "Enter", "open or close the detail pane", false) \
	REQ_(GROUPS, "Tab", "switch between service and group view", false) \
	REQ_(HELP, "? F1", "this help", false) \
	REQ_(STEP_GREEN, "g", "one weight step toward green", true) \
	REQ_(STEP_BLUE, "b", "one weight step toward blue", true) \
	REQ_(ALL_GREEN, "G", "all the way to green (100)", true) \
	REQ_(ALL_BLUE, "B", "all the way to blue (0)", true) \
	REQ_(ROLLBACK, "R", "roll everything back to blue (type 'rollback')", true) \
	REQ_(REAPPLY, "A", "re-apply the journal's weights where a router drifted (lost them)", true) \
	REQ_(RO_START, "o", "start a rollout on autopilot: steps, bakes, checks (y confirms)", true) \
	REQ_(RO_PAUSE, "p", "pause the rollout, or resume it (a halted one bakes its step again)", true) \
	REQ_(RO_PROMOTE, "P", "promote: skip this bake or pause", true) \
	REQ_(RO_FULL, "F", "promote --full: skip every bake and pause left (type 'promote')", true) \
	REQ_(RO_ABORT, "X", "abort the rollout: back to blue (type 'abort')", true) \
	REQ_(CANCEL_WAIT, "C", "cancel a plan still waiting for a job's gap (nothing changes)", true) \
	REQ_(TAKE, "T", "take the lever from the console that holds it (type 'take')", false) \
	REQ_(QUIT, "q F10", "quit", false)

#define KEYS_ENUM_(id, k, h, m) REQ_##id,
enum tui_req { REQ_NONE = 0, TUI_REQUESTS(KEYS_ENUM_) REQ_READONLY, REQ_COUNT };
#undef KEYS_ENUM_

struct req_info {
	const char *keys;
	const char *help;
	bool mutating;
};

const struct req_info *keys_info(enum tui_req r);
/* Builds the key map; read-only leaves the mutating requests out: their
 * keys map to REQ_READONLY, which only flashes a hint. */
void keys_init(bool readonly);
enum tui_req keys_lookup(int key);

#endif
