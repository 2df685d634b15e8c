/* header: release, sides, how much is on green, routers, lock, clock. */
#include "console.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "draw.h"

static const char *label(const struct config *cfg, enum side s)
{
	return cfg->label[s] && *cfg->label[s] ? cfg->label[s] : side_name(s);
}

/* "groups on G: payments 2/5  search 0/5 ..." from x, as far as it fits;
 * a group all on green reads OK, one part-way WARN. */
static void groups_draw(struct console *c, int y, int x)
{
	const struct config *cfg = c->cfg;
	if (cfg->n_groups < 2 || COLS - x < 20)
		return;
	x = draw_text(y, x, COLS - x, ROLE_DIM, "  groups on G:", false);
	for (size_t g = 0; g < cfg->n_groups && COLS - x > 8; g++) {
		const struct group_conf *gc = &cfg->groups[g];
		size_t on = 0, part = 0;
		for (size_t k = 0; k < gc->n_members; k++) {
			int w = c->snap.svc[gc->members[k]].weight;
			on += w == 100;
			part += w > 0 && w < 100;
		}
		enum theme_role role = on == gc->n_members ? ROLE_OK : on || part ? ROLE_WARN : ROLE_NORMAL;
		char item[96];
		int len = snprintf(item, sizeof item, " %s %zu/%zu", gc->name, on, gc->n_members);
		if (len >= COLS - x) {	/* a cut item would read as a wrong count */
			draw_text(y, x, COLS - x, ROLE_DIM, " ...", false);
			break;
		}
		x = draw_text(y, x, COLS - x, role, item, false);
	}
}

/* Returns the number of lines drawn. */
int header_draw(struct console *c, int y)
{
	const struct config *cfg = c->cfg;
	char clock[16];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(clock, sizeof clock, "%H:%M:%S", &tm);

	draw_fill(y, ROLE_HEADER);
	int x = draw_fmt(y, 0, COLS, ROLE_TITLE, " cutover %s ", cfg->release ? cfg->release : "");
	x = draw_text(y, x, COLS - x, ROLE_HEADER, " ", false);
	if (c->rehearsal)
		x = draw_text(y, x, COLS - x, ROLE_BADGE, "REHEARSAL", false) + 1;
	if (c->snap.router_warning[0])	/* e.g. the API's TLS is not verified */
		x = draw_fmt(y, x, COLS - x, ROLE_BAD, "%s", c->snap.router_warning) + 1;
	x = draw_text(y, x, COLS - x, ROLE_BADGE, c->readonly ? "[R]" : "[RW]", false) + 1;
	if (c->watch)
		x = draw_text(y, x, COLS - x, ROLE_BADGE, "WATCH", false) + 1;
	if (c->view.stale)
		x = draw_text(y, x, COLS - x, ROLE_BAD, "ENGINE LOST", false) + 1;
	else if (c->view.mode && !strcmp(c->view.mode, "standalone"))
		x = draw_text(y, x, COLS - x, ROLE_BADGE, "standalone", false) + 1;
	else if (c->view.mode)
		x = draw_text(y, x, COLS - x, ROLE_DIM, !strcmp(c->view.mode, "hosted") ? "engine:here" : "engine",
			      false) + 1;
	x = draw_fmt(y, x, COLS - x, ROLE_HEADER, " B:%s -> G:%s", label(cfg, SIDE_BLUE),
		     label(cfg, SIDE_GREEN));
	if (COLS - x > 9)
		draw_text(y, COLS - 9, 9, ROLE_HEADER, clock, false);

	size_t jobs = 0, exposed = 0;
	for (size_t i = 0; i < cfg->n_services; i++)
		cfg->services[i].kind == KIND_JOB ? jobs++ : exposed++;
	y++;
	draw_fill(y, ROLE_NORMAL);
	x = draw_fmt(y, 0, COLS, ROLE_NORMAL, " on G: jobs %zu/%zu  exposed %zu/%zu",
		     snapshot_count_on_green(&c->snap, KIND_JOB), jobs,
		     snapshot_count_on_green(&c->snap, KIND_EXPOSED), exposed);
	if (c->snap.router_known)
		x = draw_fmt(y, x, COLS - x, c->snap.routers_up < c->snap.routers_total ? ROLE_BAD : ROLE_NORMAL,
			     "  routers %d/%d", c->snap.routers_up, c->snap.routers_total);
	else
		x = draw_text(y, x, COLS - x, ROLE_DIM, "  routers ?", false);
	/* Every screen names who holds the lever. */
	if (c->view.can_act)
		x = draw_text(y, x, COLS - x, ROLE_OK, "  lever: mine", false);
	else if (c->view.lever_held)
		x = draw_fmt(y, x, COLS - x, ROLE_WARN, "  lever: %s", c->view.holder);
	else
		x = draw_text(y, x, COLS - x, ROLE_NORMAL, "  lever: free", false);
	if (!c->watch) {
		groups_draw(c, y, x);
		return 2;
	}

	/* Watch mode's larger summary: what a room reads from across it. */
	size_t n[4] = { 0 }, down = 0;
	for (size_t i = 0; i < c->snap.n; i++) {
		n[c->snap.svc[i].verdict]++;
		down += c->snap.svc[i].side[SIDE_GREEN].health == HEALTH_DOWN;
	}
	y++;
	draw_fill(y, ROLE_NORMAL);
	x = draw_fmt(y, 0, COLS, ROLE_OK, " pass %zu", n[VERDICT_PASS]);
	x = draw_fmt(y, x, COLS - x, n[VERDICT_MARGINAL] ? ROLE_WARN : ROLE_NORMAL, "  marginal %zu", n[VERDICT_MARGINAL]);
	x = draw_fmt(y, x, COLS - x, n[VERDICT_FAIL] ? ROLE_BAD : ROLE_NORMAL, "  FAIL %zu", n[VERDICT_FAIL]);
	x = draw_fmt(y, x, COLS - x, ROLE_DIM, "  nodata %zu", n[VERDICT_NODATA]);
	x = draw_fmt(y, x, COLS - x, down ? ROLE_BAD : ROLE_NORMAL, "  G down %zu", down);
	groups_draw(c, y, x);
	return 3;
}
