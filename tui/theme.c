/* theme: loads `role = fg bg attrs` files and turns roles into attributes. */
#include "theme.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define THEME_NAME_(id, name) name,
static const char *const role_names[ROLE_COUNT] = { THEME_ROLES(THEME_NAME_) };
#undef THEME_NAME_

/* Built in so the console looks right before anything is installed; the
 * files in themes/ carry the same text. */
static const char builtin_default[] =
	"normal = default default none\n"
	"header = white blue bold\n"
	"title = white blue bold\n"
	"badge = black yellow bold\n"
	"blue = cyan default bold\n"
	"green = green default bold\n"
	"colhead = black cyan none\n"
	"selected = black cyan none\n"
	"marked = yellow default bold\n"
	"changed = magenta default bold\n"
	"ok = green default none\n"
	"warn = yellow default bold\n"
	"bad = red default bold\n"
	"dim = default default dim\n"
	"fkey = white default bold\n"
	"flabel = black cyan none\n"
	"modal = white blue none\n"
	"flash = black yellow bold\n";

static const char builtin_mono[] =
	"normal = default default none\n"
	"header = default default reverse\n"
	"title = default default reverse,bold\n"
	"badge = default default reverse,bold\n"
	"blue = default default bold\n"
	"green = default default bold,underline\n"
	"colhead = default default reverse\n"
	"selected = default default reverse\n"
	"marked = default default bold\n"
	"changed = default default underline\n"
	"ok = default default none\n"
	"warn = default default bold\n"
	"bad = default default bold,reverse\n"
	"dim = default default dim\n"
	"fkey = default default bold\n"
	"flabel = default default reverse\n"
	"modal = default default reverse\n"
	"flash = default default reverse,bold\n";

static const struct { const char *name; short n; } colours[] = {
	{ "default", -1 }, { "black", COLOR_BLACK }, { "red", COLOR_RED },
	{ "green", COLOR_GREEN }, { "yellow", COLOR_YELLOW }, { "blue", COLOR_BLUE },
	{ "magenta", COLOR_MAGENTA }, { "cyan", COLOR_CYAN }, { "white", COLOR_WHITE },
};

static const struct { const char *name; int a; } attr_names[] = {
	{ "none", 0 }, { "bold", A_BOLD }, { "dim", A_DIM }, { "reverse", A_REVERSE },
	{ "underline", A_UNDERLINE }, { "standout", A_STANDOUT }, { "blink", A_BLINK },
};

static struct theme_entry active[ROLE_COUNT];
static int active_colour;

static int parse_colour(const char *s, short *out)
{
	for (size_t i = 0; i < sizeof colours / sizeof colours[0]; i++)
		if (strcasecmp(s, colours[i].name) == 0) {
			*out = colours[i].n;
			return 0;
		}
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (*s && !*end && !errno && n >= 0 && n <= 255) {
		*out = (short)n;
		return 0;
	}
	return -1;
}

static int parse_attrs(const char *s, int *out)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", s);
	*out = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++)
			if (strcasecmp(tok, attr_names[i].name) == 0)
				break;
		if (i == sizeof attr_names / sizeof attr_names[0])
			return -1;
		*out |= attr_names[i].a;
	}
	return 0;
}

static int parse_line(struct theme *t, char *line, const char **why)
{
	char role[32], fg[32], bg[32], attrs[128], extra[8];
	int n = sscanf(line, " %31[a-z_] = %31s %31s %127s %7s", role, fg, bg, attrs, extra);
	if (n != 4) {
		*why = "expected 'role = fg bg attrs'";
		return -1;
	}
	int r;
	for (r = 0; r < ROLE_COUNT; r++)
		if (strcmp(role, role_names[r]) == 0)
			break;
	if (r == ROLE_COUNT) {
		*why = "unknown role";
		return -1;
	}
	struct theme_entry *e = &t->role[r];
	if (parse_colour(fg, &e->fg) || parse_colour(bg, &e->bg)) {
		*why = "unknown colour (default, black, red, green, yellow, blue, magenta, cyan, white or 0-255)";
		return -1;
	}
	if (parse_attrs(attrs, &e->attrs)) {
		*why = "unknown attribute (none, bold, dim, reverse, underline, standout, blink)";
		return -1;
	}
	e->set = 1;
	return 0;
}

int theme_parse(struct theme *t, const char *name, const char *text, struct co_error *err)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	int lineno = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[256];
		lineno++;
		if (len >= sizeof line) {
			co_error_set(err, "%s:%d: line too long", name, lineno);
			return -1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r") != strlen(line)) {
			const char *why = NULL;
			if (parse_line(t, line, &why)) {
				co_error_set(err, "%s:%d: %s", name, lineno, why);
				return -1;
			}
		}
		p += len + (nl ? 1 : 0);
	}
	/* A theme may name only some roles; the rest read as plain text. */
	for (int r = 0; r < ROLE_COUNT; r++)
		if (!t->role[r].set)
			t->role[r] = (struct theme_entry){ -1, -1, 0, 1 };
	return 0;
}

void theme_monochrome(struct theme *t)
{
	struct co_error err;
	theme_parse(t, "monochrome", builtin_mono, &err);
}

static char *read_file(const char *path, struct co_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		co_error_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (!buf) {
		co_error_set(err, "%s: out of memory", path);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int theme_load(struct theme *t, const char *spec, struct co_error *err)
{
	if (!spec || !*spec || strcmp(spec, "default") == 0)
		return theme_parse(t, "default", builtin_default, err);
	char path[1024];
	if (strchr(spec, '/')) {
		snprintf(path, sizeof path, "%s", spec);
	} else if (strcmp(spec, "monochrome") == 0) {
		theme_monochrome(t);
		return 0;
	} else {
		const char *env = getenv("CUTOVER_THEME_DIR");
		const char *dirs[] = { env, "themes", "/usr/local/share/cutover/themes",
				       "/usr/share/cutover/themes" };
		path[0] = '\0';
		for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
			if (!dirs[i] || !*dirs[i])
				continue;
			snprintf(path, sizeof path, "%s/%s", dirs[i], spec);
			FILE *f = fopen(path, "r");
			if (f) {
				fclose(f);
				break;
			}
			path[0] = '\0';
		}
		if (!path[0]) {
			co_error_set(err, "theme '%s' not found (looked in $CUTOVER_THEME_DIR, ./themes, "
				     "/usr/local/share/cutover/themes)", spec);
			return -1;
		}
	}
	char *text = read_file(path, err);
	if (!text)
		return -1;
	int rc = theme_parse(t, path, text, err);
	free(text);
	return rc;
}

void theme_apply(struct theme *t)
{
	const char *nc = getenv("NO_COLOR");
	active_colour = has_colors() && !(nc && *nc);
	if (!active_colour)
		theme_monochrome(t);
	else {
		start_color();
		use_default_colors();
	}
	for (int r = 0; r < ROLE_COUNT; r++) {
		active[r] = t->role[r];
		if (active_colour && (active[r].fg >= COLORS || active[r].bg >= COLORS)) {
			/* A 256-colour theme on an 8-colour terminal: keep the attributes. */
			active[r].fg = active[r].bg = -1;
		}
		if (active_colour)
			init_pair((short)(r + 1), active[r].fg, active[r].bg);
	}
}

int theme_attr(enum theme_role r)
{
	int a = active[r].attrs;
	if (active_colour && (active[r].fg != -1 || active[r].bg != -1))
		a |= COLOR_PAIR(r + 1);
	return a;
}
