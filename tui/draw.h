/* draw: clipped text in a role, and the glyphs that keep blue and green
 * apart without colour. */
#ifndef TUI_DRAW_H
#define TUI_DRAW_H

#include <stdbool.h>

#include "cutover/model.h"
#include "theme.h"

/* Writes s at y,x in role, at most w columns (pads with spaces to w when
 * pad). Returns the column after it. */
int draw_text(int y, int x, int w, enum theme_role role, const char *s, bool pad);
int draw_fmt(int y, int x, int w, enum theme_role role, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void draw_fill(int y, enum theme_role role);
/* While on, everything drawn is dimmed: last-known state. */
void draw_set_stale(bool on);
bool draw_utf8(void);
/* A w-column bar of weight (share on green): green part first. */
void draw_bar(int y, int x, int w, int weight);
void draw_spark(int y, int x, int w, const struct side_stats *st, float max);
enum theme_role draw_verdict_role(enum verdict v);
const char *draw_verdict_short(enum verdict v);
const char *draw_health_short(enum health h);
enum theme_role draw_health_role(enum health h);

#endif
