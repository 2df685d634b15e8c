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
#include "theme.h"

static void on_report(const char *line, void *ctx)
{
	console_notice_add(ctx, line);
	fprintf(stderr, "%s\n", line);
}

/* Once the screen is up, stderr would write over it. */
static void on_report_quiet(const char *line, void *ctx)
{
	console_notice_add(ctx, line);
}

/* The config: the local file, or with --engine the engine's own. */
static struct config *load_config(const char *path, const struct engine_where *where)
{
	if (!where->url)
		return config_load_reported(path, stderr);
	struct engine_link *l = NULL;
	struct co_error err;
	struct config *cfg = NULL;
	if (engine_link_open(NULL, where, &l, &err) == 0)
		cfg = engine_link_config(l, &err);
	if (!cfg)
		fprintf(stderr, "cutover: %s\n", err.msg);
	engine_link_free(l);
	return cfg;
}

static int start(struct console *c, const struct engine_where *where)
{
	const struct config *cfg = c->cfg;
	c->want.watch = c->watch;
	c->want.where = where;
	c->want.report = on_report;
	c->want.report_ctx = c;
	struct co_error err;
	c->src = source_open(cfg, &c->want, &err);
	if (!c->src) {
		fprintf(stderr, "cutover: %s\n", err.msg);
		return -1;
	}
	if (c->want.why_readonly[0])
		console_notice_add(c, c->want.why_readonly);
	c->model = c->src->model;
	c->readonly = true;	/* until the source says the lever is ours */
	c->marked = calloc(cfg->n_services ? cfg->n_services : 1, sizeof *c->marked);
	c->plan_pos = calloc(cfg->n_services ? cfg->n_services : 1, sizeof *c->plan_pos);
	for (size_t i = 0; i < cfg->n_services; i++) {
		int nl = (int)strlen(cfg->services[i].name), gl = (int)strlen(cfg->services[i].group);
		c->name_max = nl > c->name_max ? nl : c->name_max;
		c->group_max = gl > c->group_max ? gl : c->group_max;
	}
	if (!c->marked || !c->plan_pos) {
		fprintf(stderr, "cutover: out of memory\n");
		return -1;
	}
	console_events_open(c);
	return 0;
}

static int run_screen(struct console *c, struct theme *theme)
{
	if (!initscr()) {
		fprintf(stderr, "cutover: cannot start the terminal\n");
		return EXIT_FAILED;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	timeout(100);
	theme_apply(theme);
	c->want.report = on_report_quiet;
	int rc = screen_loop(c);
	endwin();
	return rc;
}

/* Why the engine this console hosted stops, for the journal and for the
 * next start to tell. */
static const char *stop_reason(int rc)
{
	switch (rc - 128) {
	case SIGHUP: return "the console hosting it lost its terminal (SIGHUP)";
	case SIGTERM: return "the console hosting it got SIGTERM";
	case SIGINT: return "the console hosting it got SIGINT";
	default: return "the console hosting it quit";
	}
}

int console_run(const char *config_path, const char *theme_name, bool watch,
		const struct engine_where *where)
{
	struct config *cfg = load_config(config_path, where);
	if (!cfg)
		return where->url ? EXIT_FAILED : EXIT_USAGE;
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
	signal(SIGPIPE, SIG_IGN);	/* an engine client gone mid-answer */
	struct console c;
	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.watch = watch;
	c.rehearsal = cfg->router.driver == DRIVER_REHEARSAL;
	int rc = start(&c, where) < 0 ? EXIT_FAILED : run_screen(&c, &theme);
	source_close(c.src, stop_reason(rc));	/* a plan in flight finishes first */
	journal_tail_done(&c.events);
	request_free(&c.pending);
	snapshot_done(&c.snap);
	free(c.rows);
	free(c.marked);
	free(c.ro_phase);
	free(c.plan_pos);
	free(c.name_rank);
	free(c.group_rank);
	free(c.keys);
	config_free(cfg);
	return rc;
}

static int parse(int argc, char **argv, bool watch)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "theme", required_argument, NULL, 't' },
		{ "engine", required_argument, NULL, 'e' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *theme = cli_theme;
	struct engine_where where = { .kind = watch ? "watch" : "console" };
	int ch;
	optind = 1;	/* main's own getopt pass may have moved it */
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = *optarg ? optarg : NULL; break;
		case 't': theme = optarg; break;
		case 'e': where.url = optarg; break;
		case 'T': where.token_file = optarg; break;
		case 'h':
			printf("usage: cutover %s[-c FILE] [--theme NAME|PATH] [--engine URL --token-file F]\n%s",
			       watch ? "watch " : "",
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
	if (where.token_file && !where.url) {
		fprintf(stderr, "cutover: --token-file goes with --engine URL\n");
		return EXIT_USAGE;
	}
	return console_run(config, theme, watch, &where);
}

int cmd_console(int argc, char **argv)
{
	return parse(argc, argv, false);
}

int cmd_watch(int argc, char **argv)
{
	return parse(argc, argv, true);
}
