/* draw: the few painting primitives every part of the screen shares. */
#include "draw.h"

#include <curses.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool draw_utf8(void)
{
	static int cached = -1;
	if (cached < 0)
		cached = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	return cached;
}

/* The painter's one setting: what is drawn while it is on is last-known
 * state (an engine lost), dimmed so it reads as old. */
static bool dimmed;

void draw_set_stale(bool on)
{
	dimmed = on;
}

int draw_text(int y, int x, int w, enum theme_role role, const char *s, bool pad)
{
	if (w <= 0 || x >= COLS || y >= LINES || y < 0)
		return x;
	if (x + w > COLS)
		w = COLS - x;
	attrset(theme_attr(role) | (dimmed ? A_DIM : 0));
	/* Count columns, not bytes: UTF-8 continuation bytes take none. */
	int cols = 0;
	size_t bytes = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xC0) != 0x80) {
			if (cols == w)
				break;
			cols++;
		}
		bytes++;
	}
	mvaddnstr(y, x, s, (int)bytes);
	for (int i = cols; pad && i < w; i++)
		addch(' ');
	attrset(A_NORMAL);
	return x + (pad ? w : cols);
}

int draw_fmt(int y, int x, int w, enum theme_role role, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return draw_text(y, x, w, role, buf, false);
}

void draw_fill(int y, enum theme_role role)
{
	draw_text(y, 0, COLS, role, "", true);
}

void draw_bar(int y, int x, int w, int weight)
{
	if (w <= 0)
		return;
	if (weight == WEIGHT_UNKNOWN) {
		draw_text(y, x, w, ROLE_DIM, "?", true);
		return;
	}
	int g = (weight * w + 50) / 100;
	if (weight > 0 && g == 0)
		g = 1;	/* 1 % must not look like 0 % */
	if (weight < 100 && g == w)
		g = w - 1;
	const char *full = draw_utf8() ? "\u2588" : "#";
	const char *empty = draw_utf8() ? "\u2591" : ".";
	for (int i = 0; i < w; i++)
		draw_text(y, x + i, 1, i < g ? ROLE_GREEN : ROLE_BLUE, i < g ? full : empty, false);
}

void draw_spark(int y, int x, int w, const struct side_stats *st, float max)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = "_.-=+*#@";
	int n = st->n_spark < w ? st->n_spark : w;
	int start = st->n_spark - n;
	for (int i = 0; i < n; i++) {
		float v = st->spark[start + i];
		if (v < 0) {
			draw_text(y, x + i, 1, ROLE_BAD, "x", false);
			continue;
		}
		int lvl = max > 0 ? (int)(v / max * 7.0f + 0.5f) : 0;
		if (lvl > 7)
			lvl = 7;
		char a[2] = { ascii[lvl], 0 };
		draw_text(y, x + i, 1, ROLE_NORMAL, draw_utf8() ? blocks[lvl] : a, false);
	}
}

enum theme_role draw_verdict_role(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS: return ROLE_OK;
	case VERDICT_MARGINAL: return ROLE_WARN;
	case VERDICT_FAIL: return ROLE_BAD;
	default: return ROLE_DIM;
	}
}

const char *draw_verdict_short(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS: return "pass";
	case VERDICT_MARGINAL: return "MARG";
	case VERDICT_FAIL: return "FAIL";
	default: return "----";
	}
}

const char *draw_health_short(enum health h)
{
	switch (h) {
	case HEALTH_UP: return "up";
	case HEALTH_DOWN: return "DN";
	default: return "--";
	}
}

enum theme_role draw_health_role(enum health h)
{
	return h == HEALTH_UP ? ROLE_OK : h == HEALTH_DOWN ? ROLE_BAD : ROLE_DIM;
}
