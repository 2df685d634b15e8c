/* theme: colours by role. Nothing outside theme.c knows a colour number. */
#ifndef TUI_THEME_H
#define TUI_THEME_H

#include <stddef.h>

#include "cutover/error.h"

#define THEME_ROLES(_) \
	_(NORMAL, "normal") \
	_(HEADER, "header") \
	_(TITLE, "title") \
	_(BADGE, "badge") \
	_(BLUE, "blue") \
	_(GREEN, "green") \
	_(COLHEAD, "colhead") \
	_(SELECTED, "selected") \
	_(MARKED, "marked") \
	_(CHANGED, "changed") \
	_(OK, "ok") \
	_(WARN, "warn") \
	_(BAD, "bad") \
	_(DIM, "dim") \
	_(FKEY, "fkey") \
	_(FLABEL, "flabel") \
	_(MODAL, "modal") \
	_(FLASH, "flash")

#define THEME_ENUM_(id, name) ROLE_##id,
enum theme_role { THEME_ROLES(THEME_ENUM_) ROLE_COUNT };
#undef THEME_ENUM_

struct theme_entry {
	short fg, bg;		/* -1: terminal default */
	int attrs;		/* ncurses A_* bits */
	int set;
};

struct theme {
	char name[64];
	struct theme_entry role[ROLE_COUNT];
};

/* Parses `role = fg bg attrs` lines; name is used in messages (FILE:LINE). */
int theme_parse(struct theme *t, const char *name, const char *text, struct co_error *err);
/* NAME (looked up in ./themes, $CUTOVER_THEME_DIR, the install dir) or a
 * PATH (contains '/'). NULL or "" gives the built-in default. */
int theme_load(struct theme *t, const char *name_or_path, struct co_error *err);
void theme_monochrome(struct theme *t);
/* After initscr: sets up colour pairs; monochrome when the terminal has no
 * colours or NO_COLOR is set. */
void theme_apply(struct theme *t);
int theme_attr(enum theme_role r);

#endif
