/* hands: the console's link to its source as the screen loop sees it:
 * reading the source's view, following the engine's journal records,
 * switching sources, and taking the lever. Apart from console.c so the
 * screen loop's use of it does not pull the whole console start-up into
 * what links the screen (the frame benchmark). */
#include "console.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/journal_targets.h"

#define SOURCE_CHECK_MS 2000

void console_notice_add(struct console *c, const char *line)
{
	size_t len = strlen(c->notice);
	snprintf(c->notice + len, sizeof c->notice - len, "%s%s", len ? "; " : "", line);
}

/* Another process set weights: drift is judged against what the journal
 * says, record by record as the tail reads them. With an engine, the
 * engine judges it and the model arrives judged. */
static void follow_targets(const cJSON *rec, void *ctx)
{
	struct console *c = ctx;
	if (c->src && !strcmp(c->src->ops->name, "standalone"))
		journal_target_note(rec, c->cfg, c->model);
}

/* The journal's recent records: the file when this host has it, else the
 * engine's journal events. */
void console_events_open(struct console *c)
{
	journal_tail_done(&c->events);
	memset(&c->events, 0, sizeof c->events);
	journal_tail_init(&c->events, c->src->journal_file ? c->src->journal_file : "");
	c->events.on_record = follow_targets;
	c->events.on_record_ctx = c;
	if (!c->src->journal_file)
		c->events.readable = true;	/* filled from the stream */
}

static bool events_poll(struct console *c)
{
	if (c->src->ops->journal_next) {
		char line[16384];
		bool got = false;
		while (c->src->ops->journal_next(c->src, line, sizeof line)) {
			journal_tail_add(&c->events, line);
			got = true;
		}
		return got;
	}
	bool got = journal_tail_poll(&c->events);	/* one stat() when nothing is new */
	if (c->events.skipped) {	/* too much at once: read it whole */
		c->events.skipped = false;
		struct co_error err;
		if (!strcmp(c->src->ops->name, "standalone"))
			journal_seed_targets(c->events.path, c->cfg, c->model, &err);
	}
	return got;
}

/* The one in use went away (an engine that stopped on purpose) or a
 * better one may be there (standalone): open the best there is now. */
static bool switch_source(struct console *c)
{
	struct co_error err;
	c->want.why_readonly[0] = '\0';
	/* From standalone only something better; a stopped engine may leave
	 * nothing better, and then standalone is what there is. */
	c->want.better_only = !strcmp(c->src->ops->name, "standalone");
	struct source *s = source_open(c->cfg, &c->want, &err);
	if (!s)
		return false;
	source_close(c->src, "the console switched to another source");
	c->src = s;
	clearok(curscr, TRUE);	/* whatever the switch printed goes */
	c->model = s->model;
	snapshot_done(&c->snap);
	memset(&c->snap, 0, sizeof c->snap);
	model_snapshot(c->model, &c->snap);
	view_rebuild(c);
	console_events_open(c);
	memset(&c->view, 0, sizeof c->view);
	console_flash(c, "now %s", !strcmp(s->ops->name, "engine") ? "attached to the release's engine"
				 : !strcmp(s->ops->name, "hosted") ? "hosting the release's engine" : "standalone");
	return true;
}

bool console_follow_source(struct console *c)
{
	if (!c->src)
		return false;
	uint64_t now = monotonic_ms();
	bool changed = false;
	if (now - c->src_check_ms >= SOURCE_CHECK_MS) {
		c->src_check_ms = now;
		if (!c->src->ops->current(c->src) && !request_running(c))
			changed = switch_source(c);
	}
	struct source_view v;
	memset(&v, 0, sizeof v);
	c->src->ops->poll(c->src, &v);
	if (v.notice_seq != c->view.notice_seq && v.notice[0])
		console_flash(c, "%s", v.notice);
	bool was = !c->readonly;
	changed |= memcmp(&v, &c->view, sizeof v) != 0;
	c->view = v;
	c->readonly = c->watch || !v.can_act;
	if (was != !c->readonly) {
		keys_init(c->readonly);
		if (!c->readonly)
			console_flash(c, "the lever is free: this console holds it now and can act");
	}
	changed |= events_poll(c);
	return changed;
}

void console_take_lever(struct console *c)
{
	if (c->watch || !c->src || !c->src->ops->take_lever) {
		console_flash(c, "read-only: this screen never acts");
		return;
	}
	struct co_error err;
	if (c->src->ops->take_lever(c->src, &err) < 0)
		console_flash(c, "the lever was not taken: %s", err.msg);
	else
		console_flash(c, "the lever is yours; its holder was told");
}
