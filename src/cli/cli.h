/* cli: the command-line front end — subcommands over the core. */
#ifndef CUTOVER_CLI_H
#define CUTOVER_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cutover/config.h"
#include "cutover/error.h"
#include "cutover/model.h"

/* Exit codes, documented in cutover(1). Only the CLI turns errors into these. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the operation failed or was refused */
	EXIT_USAGE = 2,		/* bad usage or bad config */
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the subcommand */
	const char *summary;
};

/* Options every subcommand takes. */
struct common_opts {
	const char *config;	/* -c FILE */
	bool json;		/* --json */
};

/* Loads the located config; prints every diagnostic to err. NULL on failure. */
struct config *cli_load_config(const char *explicit_path, FILE *err);
void cli_hint_no_config(FILE *out, const char *explicit_path, const struct diag_list *diags);
void cli_print_diags(FILE *out, const char *file, const struct diag_list *diags);

struct router_view;

/* Reads the router once into m (model_init'ed on cfg), taking no lock and
 * writing nothing: opens the driver, sets each service's target from the
 * journal (a missing journal is fine), observes every instance, publishes
 * weight, drift and traffic, and closes. Every unreachable instance, and a
 * journal that could not be read, is a warning on warn, not a failure.
 * Returns -1 with err when the driver could not open or memory ran out. */
int cli_router_read(const struct config *cfg, struct model *m, FILE *warn,
		    struct co_error *err);

/* "warning: router instance NAME unreachable: REASON", one line each. */
void cli_router_warn(FILE *out, const struct router_view *view);

int cmd_check(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_journal(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_move(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_reapply(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_rollout(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
/* rollout_format.c: GET /v1/rollouts as the status table. */
struct cJSON;
int rollout_status_print(FILE *out, const struct cJSON *doc);
int cmd_console(int argc, char **argv);	/* tui/console.c */
int cmd_watch(int argc, char **argv);	/* tui/console.c */

/* --theme given before any command; NULL when absent. */
extern const char *cli_theme;

extern const struct command cli_commands[];

#endif
