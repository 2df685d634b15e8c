/* hands: a console that opened read-only because another process held the
 * operator lock takes it once the holder lets go (see console.h). Apart
 * from console.c so the screen loop's use of it does not pull the whole
 * console start-up into what links the screen (the frame benchmark). */
#include "console.h"

#include <stdio.h>
#include <string.h>

#include "operate.h"

void console_notice_add(struct console *c, const char *line)
{
	size_t len = strlen(c->notice);
	snprintf(c->notice + len, sizeof c->notice - len, "%s%s", len ? "; " : "", line);
}

/* Recovery's lines once the screen is up: on the message line only, since
 * stderr would write over the screen. */
static void on_recovered_quiet(const char *line, void *ctx)
{
	console_notice_add(ctx, line);
}

bool console_take_hands(struct console *c)
{
	struct co_error err;
	int rc = operate_open(&c->op, c->model, c->drv, c->router, &c->owner, on_recovered_quiet, c,
			      &err);
	if (rc == 1) {
		c->lock_state = 1;	/* someone else was first: still read-only */
		return false;
	}
	c->wait_for_lock = false;	/* taken, or failed for a reason waiting won't fix */
	if (rc < 0) {
		snprintf(c->notice, sizeof c->notice, "read-only: %s", err.msg);
		return false;
	}
	c->lock_state = 0;
	c->readonly = false;
	return true;
}
