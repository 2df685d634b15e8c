/* screen: the main loop. Only this thread touches the terminal; it redraws
 * from a model snapshot at most every 100 ms, or at once on a key. */
#include "console.h"

#include <curses.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cutover/journal_targets.h"
#include "draw.h"

#define FRAME_MS 100		/* the getch timeout: a key shows within one frame */
#define PAGE_MS 5000		/* watch: how long a page of services stays up */
#define FLASH_MS 3000
#define RESULT_MS 30000		/* a plan that succeeded says so this long; a failure stays */
#define MIN_COLS 60
#define MIN_LINES 12

static volatile sig_atomic_t got_signal;	/* set by the handler only */

static void on_signal(int sig)
{
	got_signal = sig;
}

void console_flash(struct console *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->flash, sizeof c->flash, fmt, ap);
	va_end(ap);
	c->flash_until_ms = monotonic_ms() + FLASH_MS;
}

/* Keeps the cursor on the same service (or group) across a rebuild. */
static void rebuild_keep(struct console *c)
{
	size_t cur = c->n_rows ? c->rows[c->sel] : (size_t)-1;
	view_rebuild(c);
	for (size_t k = 0; k < c->n_rows; k++)
		if (c->rows[k] == cur) {
			c->sel = (int)k;
			break;
		}
}

/* Watch keeps the journal's recent events under the table. */
static int events_height(const struct console *c)
{
	if (!c->watch || LINES < 20)
		return 0;
	return LINES / 5 > 8 ? 8 : LINES / 5;
}

static int table_height(struct console *c, int header_h)
{
	int h = LINES - header_h - 2 - events_height(c);	/* message line + function bar */
	if (c->detail)
		h -= h / 2 > 12 ? 12 : h / 2;
	return h - 1;	/* column heads */
}

/* The message line: a flash, else the plan applying or its result, else
 * what recovery found, else who holds the lock, else the marks. */
static void message_draw(struct console *c, int y)
{
	const struct executor_progress *p = &c->prog;
	draw_fill(y, ROLE_NORMAL);
	if (c->flash[0] && monotonic_ms() < c->flash_until_ms)
		draw_fmt(y, 0, COLS, ROLE_FLASH, " %s ", c->flash);
	else if (request_running(c))
		draw_fmt(y, 0, COLS, ROLE_WARN, " applying plan %s: %zu of %zu services done", p->plan_id,
			 p->done, p->total);
	else if (c->view.stale)
		draw_fmt(y, 0, COLS, ROLE_BAD, " ENGINE LOST %llus ago (%s): the last state is shown, dimmed; "
			 "reconnecting", (unsigned long long)(c->view.stale_ms / 1000), c->view.why);
	else if (!c->watch && p->finished && p->plan_id[0] &&
		 (!p->ok || monotonic_ms() < c->result_until_ms))
		draw_fmt(y, 0, COLS, p->ok ? ROLE_OK : ROLE_BAD, " plan %s %s: %s", p->plan_id,
			 p->ok ? "done" : "FAILED", p->result);
	else if (c->notice[0])
		draw_fmt(y, 0, COLS, ROLE_WARN, " %s", c->notice);
	else if (c->readonly && c->view.lever_held && !c->watch)
		draw_fmt(y, 0, COLS, ROLE_WARN, " read-only: the lever is held by %s%s", c->view.holder,
			 c->src && c->src->ops->take_lever ? "; T takes it over" : "");
	else if (c->n_marked)
		draw_fmt(y, 0, COLS, ROLE_MARKED, " %zu marked", c->n_marked);
}

static void draw_small(void)
{
	erase();
	char now[32];
	snprintf(now, sizeof now, "now %dx%d", COLS, LINES);
	const char *lines[] = { "Terminal too small:", "enlarge the terminal", "to at least 60x12", now, "q quits" };
	int n = (int)(sizeof lines / sizeof lines[0]);
	for (int i = 0; i < n && i < LINES; i++) {
		int len = (int)strlen(lines[i]);
		draw_text(LINES / 2 - n / 2 + i, len < COLS ? (COLS - len) / 2 : 0, COLS,
			  i == 1 ? ROLE_WARN : ROLE_NORMAL, lines[i], false);
	}
}

static void draw_frame(struct console *c)
{
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		draw_small();
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	if (c->help) {
		help_draw(c);
	} else {
		int y = header_draw(c, 0);
		y += rollout_needs_draw(c, y);
		int th = table_height(c, y);
		draw_set_stale(c->view.stale);
		table_draw(c, y, th + 1);
		draw_set_stale(false);
		y += th + 1;
		int eh = events_height(c);
		if (c->detail)
			detail_draw(c, y, LINES - 2 - eh - y);
		if (eh)
			events_draw(c, LINES - 2 - eh, eh, NULL);
		message_draw(c, LINES - 2);
		fbar_draw(c, LINES - 1);
		confirm_draw(c);
	}
	wnoutrefresh(stdscr);
	doupdate();
}

void screen_draw(struct console *c)
{
	draw_frame(c);
}

static void move_sel(struct console *c, int d)
{
	if (c->watch) {
		c->top += d;	/* watch has no cursor: keys scroll */
		return;
	}
	c->sel += d;
	if (c->sel >= (int)c->n_rows)
		c->sel = (int)c->n_rows - 1;
	if (c->sel < 0)
		c->sel = 0;
}

/* T: the lever from whoever holds it, after the typed word. */
static void take_request(struct console *c)
{
	if (c->watch || !c->src || !c->src->ops->take_lever) {
		console_flash(c, c->watch ? "watch never holds the lever" : "no engine here lends a lever");
		return;
	}
	if (c->view.can_act) {
		console_flash(c, "the lever is already this console's");
		return;
	}
	struct tui_request req;
	memset(&req, 0, sizeof req);
	req.kind = REQUEST_TAKE_LEVER;
	confirm_open(c, &req);
}

/* C: lets go of the plan waiting for a job's gap; its moves not yet made
 * are journaled as skipped. */
static void cancel_wait(struct console *c)
{
	struct co_error err;
	if (!c->src || !c->src->ops->cancel || !c->view.prog.waiting[0]) {
		console_flash(c, "no plan waits for a job's gap");
		return;
	}
	if (c->src->ops->cancel(c->src, c->view.prog.plan_id, &err) < 0)
		console_flash(c, "cannot cancel: %s", err.msg);
	else
		console_flash(c, "plan %s cancelled: the moves not yet made are skipped", c->view.prog.plan_id);
}

static void do_request(struct console *c, enum tui_req r, int page)
{
	switch (r) {
	case REQ_UP: move_sel(c, -1); break;
	case REQ_DOWN: move_sel(c, 1); break;
	case REQ_PGUP: move_sel(c, -page); break;
	case REQ_PGDN: move_sel(c, page); break;
	case REQ_HOME: c->sel = c->top = 0; break;
	case REQ_END: c->sel = (int)c->n_rows - 1; c->top = c->sel; break;
	case REQ_MARK:
		if (c->n_rows && !c->group_view) {
			size_t i = c->rows[c->sel];
			c->marked[i] = !c->marked[i];
			c->n_marked += c->marked[i] ? 1 : (size_t)-1;
			move_sel(c, 1);
		}
		break;
	case REQ_FILTER: c->filtering = true; break;
	case REQ_SORT:
		c->sort = (enum sort_key)((c->sort + 1) % SORT_COUNT);
		rebuild_keep(c);
		break;
	case REQ_DETAIL: c->detail = !c->detail; break;
	case REQ_GROUPS:
		c->group_view = !c->group_view;
		c->sel = c->top = 0;
		view_rebuild(c);
		break;
	case REQ_HELP: c->help = true; break;
	case REQ_QUIT:
		if (request_running(c))
			c->modal = MODAL_QUIT;	/* a plan is never cut: ask */
		else
			c->quit = true;
		break;
	case REQ_READONLY: console_flash(c, "read-only: this screen changes nothing"); break;
	case REQ_TAKE: take_request(c); break;
	case REQ_CANCEL_WAIT: cancel_wait(c); break;
	case REQ_STEP_GREEN: case REQ_STEP_BLUE: case REQ_ALL_GREEN: case REQ_ALL_BLUE: case REQ_ROLLBACK:
	case REQ_REAPPLY:
		request_plan(c, r);
		break;
	case REQ_RO_START: case REQ_RO_PAUSE: case REQ_RO_PROMOTE: case REQ_RO_FULL: case REQ_RO_ABORT:
		rollout_request(c, r);
		break;
	default: break;
	}
}

static void filter_key(struct console *c, int key)
{
	size_t n = strlen(c->filter);
	if (key == 27) {
		c->filter[0] = '\0';
		c->filtering = false;
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		c->filtering = false;
	} else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (n)
			c->filter[n - 1] = '\0';
	} else if (key >= 32 && key < 127 && n + 1 < sizeof c->filter) {
		c->filter[n] = (char)key;
		c->filter[n + 1] = '\0';
	}
	c->sel = c->top = 0;
	view_rebuild(c);
}

static void on_key(struct console *c, int key)
{
	if (key == KEY_RESIZE)
		return;
	if (c->help) {
		if ((key == ' ' || key == KEY_NPAGE || key == KEY_DOWN) && help_more(c))
			c->help_page++;
		else
			c->help = false, c->help_page = 0;
		return;
	}
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		if (key == 'q')
			c->quit = true;
		return;
	}
	c->notice[0] = '\0';	/* seen */
	if (confirm_key(c, key))
		return;
	if (c->filtering) {
		filter_key(c, key);
		return;
	}
	if (key == 27 && c->filter[0]) {
		filter_key(c, key);
		return;
	}
	int page = table_height(c, c->watch ? 3 : 2);
	do_request(c, keys_lookup(key), page > 1 ? page - 1 : 1);
}

/* Watch: turn the page when the services do not fit. */
static bool watch_page(struct console *c, uint64_t now)
{
	int h = table_height(c, 3);
	if (!c->watch || h <= 0 || (int)c->n_rows <= h || now < c->page_at_ms)
		return false;
	c->page_at_ms = now + PAGE_MS;
	c->top += h;
	if (c->top >= (int)c->n_rows)
		c->top = 0;
	c->sel = c->top;
	return true;
}

int screen_loop(struct console *c)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: getch must return so the loop sees the signal. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	console_follow_source(c);
	keys_init(c->readonly);
	model_snapshot(c->model, &c->snap);
	view_rebuild(c);
	c->page_at_ms = monotonic_ms() + PAGE_MS;
	/* The first probes change every row; marking them all says nothing. */
	c->settled_ms = monotonic_ms() + 2 * (uint64_t)c->cfg->probe.interval_ms + 2000;
	long last_sec = -1;
	bool dirty = true;
	while (!c->quit && !got_signal) {
		uint64_t now = monotonic_ms();
		if (console_follow_source(c))
			dirty = true;
		if (request_poll(c)) {
			dirty = true;
			if (c->prog.finished)
				c->result_until_ms = now + RESULT_MS;
		}
		if (c->quit_when_done && !request_running(c))
			c->quit = true;
		if (model_snapshot(c->model, &c->snap) == 1) {
			rebuild_keep(c);
			rollout_alarm(c);
			dirty = true;
		}
		dirty |= watch_page(c, now);
		if ((long)(now / 1000) != last_sec) {
			last_sec = (long)(now / 1000);	/* the clock and flash expiry */
			dirty = true;
		}
		if (dirty) {
			draw_frame(c);
			dirty = false;
		}
		int key = getch();
		if (key != ERR) {
			on_key(c, key);
			dirty = true;
		}
	}
	return got_signal ? 128 + got_signal : 0;
}
