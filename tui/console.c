/* console: `cutover` and `cutover watch`: starts the model's workers, the
 * terminal, runs the loop, and puts everything back. */
#include "console.h"

#include <curses.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "../src/cli/cli.h"
#include "cutover/journal.h"
#include "cutover/journal_targets.h"
#include "cutover/prober.h"
#include "cutover/router.h"
#include "cutover/router_poller.h"
#include "operate.h"
#include "theme.h"

#define ROUTER_POLL_MS 1000

struct workers {
	struct prober *prober;
	const struct router_driver *drv;
	struct router *router;
	struct router_poller *poller;
};

/* Workers are started with every signal the screen handles blocked, so
 * SIGWINCH and SIGINT reach the main thread only (btop's rule). */
static int workers_start(struct workers *w, struct model *m, const struct config *cfg, struct co_error *err)
{
	sigset_t all, old;
	sigemptyset(&all);
	sigaddset(&all, SIGWINCH);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGTSTP);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = -1;
	w->prober = prober_start(m, err);
	if (!w->prober)
		goto out;
	w->drv = router_driver_for(cfg->router.driver);
	w->router = w->drv ? w->drv->open(cfg, err) : NULL;
	if (!w->router)
		goto out;
	w->poller = router_poller_start(m, w->drv, w->router, ROUTER_POLL_MS, err);
	if (!w->poller)
		goto out;
	rc = 0;
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void workers_stop(struct workers *w)
{
	router_poller_stop(w->poller);
	if (w->router)
		w->drv->close(w->router);
	prober_stop(w->prober);
}

static void on_recovered(const char *line, void *ctx)
{
	console_notice_add(ctx, line);
	fprintf(stderr, "%s\n", line);
}

/* Another process set weights: what the journal says is the target drift
 * is judged by, taken record by record as the tail reads them (a journal of
 * many MB read whole on each append stalled the screen). With the lock
 * ours, the executor sets targets itself and nobody else writes. */
static void follow_targets(const cJSON *rec, void *ctx)
{
	struct console *c = ctx;
	if (!c->op)
		journal_target_note(rec, c->cfg, c->model);
}

/* Watch never takes the lock and never has an executor. The console takes
 * the lock (and then reconciles what a crash left, before anything else);
 * when another process holds it, this one opens read-only and names it. */
static int open_hands(struct console *c, struct workers *w, struct co_error *err)
{
	const struct config *cfg = c->cfg;
	char *path = journal_state_path(cfg->state_dir, cfg->release, "journal.jsonl", err);
	if (!path || journal_tail_init(&c->events, path) < 0) {
		free(path);
		return -1;
	}
	free(path);
	c->events.on_record = follow_targets;
	c->events.on_record_ctx = c;
	c->lock_state = 0;
	if (!c->watch) {
		int rc = operate_open(&c->op, c->model, w->drv, w->router, &c->owner, on_recovered, c, err);
		/* No journal, no hands: the dashboard still serves, read-only,
		 * and says why (a state_dir it cannot write, a broken journal). */
		if (rc < 0)
			snprintf(c->notice, sizeof c->notice, "read-only: %s", err->msg);
		c->lock_state = rc == 1 ? 1 : 0;
		c->wait_for_lock = rc == 1;
		c->drv = w->drv;
		c->router = w->router;
	}
	if (c->watch)
		c->lock_state = lock_read_owner(cfg->state_dir, cfg->release, &c->owner, err);
	c->owner_read_ms = monotonic_ms();
	c->readonly = c->op == NULL;
	return 0;
}

int console_run(const char *config_path, const char *theme_name, bool watch)
{
	struct config *cfg = cli_load_config(config_path, stderr);
	if (!cfg)
		return EXIT_USAGE;
	struct co_error err;
	struct theme theme;
	const char *tn = theme_name && *theme_name ? theme_name : cfg->theme;
	if (theme_load(&theme, tn, &err)) {
		fprintf(stderr, "cutover: %s\n", err.msg);
		config_free(cfg);
		return EXIT_USAGE;
	}
	/* Without a terminal getch never waits, and the loop would spin. */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "cutover: the console needs a terminal; 'cutover status' is for scripts\n");
		config_free(cfg);
		return EXIT_USAGE;
	}
	struct model m;
	if (model_init(&m, cfg, &err)) {
		fprintf(stderr, "cutover: %s\n", err.msg);
		config_free(cfg);
		return EXIT_FAILED;
	}
	/* Targets before the first router pass, so drift shows from the start;
	 * a journal that cannot be read only leaves drift unjudged. */
	journal_seed_targets(NULL, cfg, &m, &err);
	struct console c;
	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.model = &m;
	c.watch = watch;
	c.rehearsal = cfg->router.driver == DRIVER_REHEARSAL;
	c.marked = calloc(cfg->n_services ? cfg->n_services : 1, sizeof *c.marked);
	for (size_t i = 0; i < cfg->n_services; i++) {
		int nl = (int)strlen(cfg->services[i].name), gl = (int)strlen(cfg->services[i].group);
		c.name_max = nl > c.name_max ? nl : c.name_max;
		c.group_max = gl > c.group_max ? gl : c.group_max;
	}
	c.plan_pos = calloc(cfg->n_services ? cfg->n_services : 1, sizeof *c.plan_pos);
	struct workers w = { 0 };
	int rc = EXIT_FAILED;
	if (!c.marked || !c.plan_pos) {
		fprintf(stderr, "cutover: out of memory\n");
		goto done;
	}
	if (workers_start(&w, &m, cfg, &err)) {
		fprintf(stderr, "cutover: %s\n", err.msg);
		goto done;
	}
	if (open_hands(&c, &w, &err) < 0) {
		fprintf(stderr, "cutover: %s\n", err.msg);
		goto done;
	}

	if (!initscr()) {
		fprintf(stderr, "cutover: cannot start the terminal\n");
		goto done;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	timeout(100);
	theme_apply(&theme);
	rc = screen_loop(&c);
	endwin();
done:
	operate_close(c.op);	/* a plan in flight finishes first */
	journal_tail_done(&c.events);
	workers_stop(&w);
	request_free(&c.pending);
	snapshot_done(&c.snap);
	free(c.rows);
	free(c.marked);
	free(c.plan_pos);
	free(c.name_rank);
	free(c.group_rank);
	free(c.keys);
	model_done(&m);
	config_free(cfg);
	return rc;
}

static int parse(int argc, char **argv, bool watch)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "theme", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *theme = cli_theme;
	int ch;
	optind = 1;	/* main's own getopt pass may have moved it */
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = *optarg ? optarg : NULL; break;
		case 't': theme = optarg; break;
		case 'h':
			printf("usage: cutover %s[-c FILE] [--theme NAME|PATH]\n%s", watch ? "watch " : "",
			       watch ? "Read-only console for wall screens; takes no lock. See cutover(1).\n"
				     : "Interactive console. '?' lists the keys. See cutover(1).\n");
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cutover: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return console_run(config, theme, watch);
}

int cmd_console(int argc, char **argv)
{
	return parse(argc, argv, false);
}

int cmd_watch(int argc, char **argv)
{
	return parse(argc, argv, true);
}
