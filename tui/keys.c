/* keys: the key map, built from the request list and one binding table. */
#include "keys.h"

#include <curses.h>
#include <stddef.h>

#define KEYS_INFO_(id, k, h, m) [REQ_##id] = { k, h, m },
static const struct req_info info[REQ_COUNT] = {
	TUI_REQUESTS(KEYS_INFO_)
	[REQ_READONLY] = { "", "read-only: this key changes nothing here", false },
};
#undef KEYS_INFO_

static const struct { int key; enum tui_req req; } bindings[] = {
	{ KEY_UP, REQ_UP }, { 'k', REQ_UP }, { KEY_DOWN, REQ_DOWN }, { 'j', REQ_DOWN },
	{ KEY_PPAGE, REQ_PGUP }, { KEY_NPAGE, REQ_PGDN }, { KEY_HOME, REQ_HOME },
	{ KEY_END, REQ_END }, { ' ', REQ_MARK }, { '/', REQ_FILTER }, { 's', REQ_SORT },
	{ '\n', REQ_DETAIL }, { '\r', REQ_DETAIL }, { KEY_ENTER, REQ_DETAIL },
	{ '\t', REQ_GROUPS }, { '?', REQ_HELP }, { KEY_F(1), REQ_HELP },
	{ 'g', REQ_STEP_GREEN }, { 'b', REQ_STEP_BLUE }, { 'G', REQ_ALL_GREEN },
	{ 'B', REQ_ALL_BLUE }, { 'R', REQ_ROLLBACK }, { 'A', REQ_REAPPLY },
	{ 'o', REQ_RO_START }, { 'p', REQ_RO_PAUSE }, { 'P', REQ_RO_PROMOTE }, { 'F', REQ_RO_FULL },
	{ 'X', REQ_RO_ABORT }, { 'C', REQ_CANCEL_WAIT }, { 'T', REQ_TAKE }, { 'q', REQ_QUIT }, { KEY_F(10), REQ_QUIT },
};

#define KEYMAP_SIZE (KEY_MAX + 1)
static unsigned char keymap[KEYMAP_SIZE];

const struct req_info *keys_info(enum tui_req r)
{
	return r > REQ_NONE && r < REQ_COUNT ? &info[r] : NULL;
}

void keys_init(bool readonly)
{
	for (size_t i = 0; i < KEYMAP_SIZE; i++)
		keymap[i] = REQ_NONE;
	for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++) {
		enum tui_req r = bindings[i].req;
		keymap[bindings[i].key] = (unsigned char)(readonly && info[r].mutating ? REQ_READONLY : r);
	}
}

enum tui_req keys_lookup(int key)
{
	return key >= 0 && key < KEYMAP_SIZE ? (enum tui_req)keymap[key] : REQ_NONE;
}
