/* main: global options, then hands over to a subcommand. */
#include "cli.h"

#include <curl/curl.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CUTOVER_VERSION
#define CUTOVER_VERSION "dev"
#endif

const struct command cli_commands[] = {
	{ "watch", cmd_watch, "read-only console for wall screens" },
	{ "serve", cmd_serve, "run the release's engine: one prober and lever for every client" },
	{ "status", cmd_status, "probe both sides and print one snapshot" },
	{ "check", cmd_check, "validate a config file and list every problem" },
	{ "move", cmd_move, "move services or @groups toward green or blue" },
	{ "rollback", cmd_rollback, "put services, @groups or --all back on blue" },
	{ "reapply", cmd_reapply, "set the journal's weights again where a router lost them" },
	{ "rollout", cmd_rollout, "walk services to green on autopilot: start, pause, promote, abort, status" },
	{ "jobs", cmd_jobs, "scheduled jobs: next fires, the side each tick ran on, doubles and misses" },
	{ "journal", cmd_journal, "print or --verify the release journal" },
	{ "report", cmd_report, "write the post-release review from the journal (md, json, html)" },
	{ NULL, NULL, NULL },
};

const char *cli_theme;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cutover [-c FILE] [--theme NAME|PATH]   interactive console\n"
		"       cutover COMMAND [-c FILE] [options]\n"
		"       cutover --help | --version\n\ncommands:\n");
	for (const struct command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out,
		"\nThe config is -c FILE, else $CUTOVER_CONFIG, else ./cutover.json.\n"
		"Exit status: 0 success, 1 failed or refused, 2 usage or config error.\n"
		"'cutover COMMAND --help' describes one command; see cutover(1).\n");
}

static const struct command *find_command(const char *name)
{
	for (const struct command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int run_command(const struct command *cmd, int argc, char **argv)
{
	optind = 1;	/* the subcommand parses its own argv from the start */
	int rc = cmd->run(argc, argv);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "theme", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	int c;

	setlocale(LC_ALL, "");
	/* '+': stop at the subcommand, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 't': cli_theme = optarg; break;	/* the console and watch read it */
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("cutover %s\n", CUTOVER_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "cutover: cannot initialise libcurl\n");
		return EXIT_FAILED;
	}
	int rc;
	if (optind >= argc) {
		char *console[] = { "console", "-c", (char *)(config ? config : ""), NULL };
		rc = cmd_console(config ? 3 : 1, console);
	} else {
		const struct command *cmd = find_command(argv[optind]);
		if (!cmd) {
			fprintf(stderr, "cutover: unknown command '%s'\n\n", argv[optind]);
			usage(stderr);
			rc = EXIT_USAGE;
		} else if (config) {
			/* -c before the command: pass it on as the command's own. */
			int n = argc - optind;
			char **av = calloc((size_t)n + 3, sizeof(char *));
			if (!av) {
				curl_global_cleanup();
				return EXIT_FAILED;
			}
			av[0] = argv[optind];
			av[1] = "-c";
			av[2] = (char *)config;
			for (int i = 1; i < n; i++)
				av[i + 2] = argv[optind + i];
			rc = run_command(cmd, n + 2, av);
			free(av);
		} else {
			rc = run_command(cmd, argc - optind, argv + optind);
		}
	}
	curl_global_cleanup();
	return rc;
}
