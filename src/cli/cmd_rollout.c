/* cmd_rollout: `cutover rollout start|pause|resume|abort|promote|status`,
 * the autopilot's controls. Rollouts live in the engine, so that they
 * outlive the terminal that started them: every action goes through it. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cutover/rollout.h"
#include "engine_cli.h"

struct rollout_opts {
	const char *config;
	struct engine_where where;
	const char *action;	/* "start" ... "status" */
	bool plan, full, yes, json;
	char **targets;
	int n_targets;
};

static int usage(FILE *out, int rc)
{
	fprintf(out,
		"usage: cutover rollout start (TARGET...|--plan) [--yes] [--json]\n"
		"       cutover rollout pause|resume TARGET...\n"
		"       cutover rollout abort TARGET... [--yes]\n"
		"       cutover rollout promote [--full] TARGET... [--yes]\n"
		"       cutover rollout status [--json]\n"
		"  with [-c FILE | --engine URL --token-file F]\n"
		"Walks services to 100 on autopilot inside the release's engine (cutover\n"
		"serve): each step's weight, a bake with checks at every probe interval,\n"
		"rollback (or halt) after rollout.max_failed_checks failures. --plan runs\n"
		"the config's release plan in waves. start, abort and promote --full ask\n"
		"for a typed yes (or --yes); abort puts the services back on blue.\n"
		"Exit status: 0 done, 1 refused or failed, 2 usage.\n");
	return rc;
}

static int parse(int argc, char **argv, struct rollout_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "plan", no_argument, NULL, 'p' },
		{ "full", no_argument, NULL, 'f' }, { "yes", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		ENGINE_CLI_OPTIONS, { NULL, 0, NULL, 0 },
	};
	int c;
	o->where.kind = "cli";
	/* 0, not 1: glibc then starts afresh and permutes, so options may
	 * follow the action and its targets. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'p': o->plan = true; break;
		case 'f': o->full = true; break;
		case 'y': o->yes = true; break;
		case 'j': o->json = true; break;
		case 'h': return usage(stdout, EXIT_OK) - 100;
		default:
			if (!engine_cli_option(c, optarg, &o->where))
				return usage(stderr, EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "cutover rollout: which action? start, pause, resume, abort, promote or status\n");
		return usage(stderr, EXIT_USAGE);
	}
	o->action = argv[optind++];
	o->targets = argv + optind;
	o->n_targets = argc - optind;
	bool status = strcmp(o->action, "status") == 0, start = strcmp(o->action, "start") == 0;
	if (!status && !start && strcmp(o->action, "pause") && strcmp(o->action, "resume") &&
	    strcmp(o->action, "abort") && strcmp(o->action, "promote")) {
		fprintf(stderr, "cutover rollout: '%s' is no action (start, pause, resume, abort, promote, status)\n",
			o->action);
		return EXIT_USAGE;
	}
	if ((o->plan && !start) || (o->full && strcmp(o->action, "promote"))) {
		fprintf(stderr, "cutover rollout %s: %s does not go with it\n", o->action, o->plan ? "--plan" : "--full");
		return EXIT_USAGE;
	}
	if (!status && !o->plan && o->n_targets == 0) {
		fprintf(stderr, "cutover rollout %s: name services or @groups%s\n", o->action, start ? ", or --plan" : "");
		return EXIT_USAGE;
	}
	if (status && o->n_targets) {
		fprintf(stderr, "cutover rollout status: takes no targets (it shows every rollout)\n");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static cJSON *body_of(const struct rollout_opts *o, bool dry_run)
{
	cJSON *b = cJSON_CreateObject();
	if (o->plan) {
		cJSON_AddBoolToObject(b, "plan", true);
	} else {
		cJSON *t = cJSON_AddArrayToObject(b, "targets");
		for (int i = 0; i < o->n_targets; i++)
			cJSON_AddItemToArray(t, cJSON_CreateString(o->targets[i]));
	}
	if (o->full)
		cJSON_AddBoolToObject(b, "full", true);
	if (dry_run)
		cJSON_AddBoolToObject(b, "dry_run", true);
	return b;
}

static void print_answers(FILE *out, const cJSON *arr)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, arr) {
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(a, "wave");
		fprintf(out, "  %-24s %-12s %s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "service")),
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "result")),
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "detail")));
		const cJSON *ws = cJSON_GetObjectItemCaseSensitive(a, "weights");
		if (cJSON_IsArray(ws)) {
			fprintf(out, " steps:");
			const cJSON *x;
			cJSON_ArrayForEach(x, ws) {
				if (cJSON_IsNumber(x))
					fprintf(out, " %d", x->valueint);
				else
					fprintf(out, " pause");
			}
		}
		(void)w;
		fputc('\n', out);
	}
}

/* One POST; prints the answer; 200 and 409 carry per-service answers. */
static int post(struct engine_link *l, const struct rollout_opts *o, bool dry_run, cJSON **resp)
{
	char path[64];
	snprintf(path, sizeof path, "/v1/rollouts/%s", o->action);
	cJSON *b = body_of(o, dry_run);
	struct co_error err;
	int st = engine_link_call(l, "POST", path, b, resp, &err);
	cJSON_Delete(b);
	if (st < 0 || (st != 200 && st != 409)) {
		if (st >= 0)
			engine_cli_answer_error(l, st, *resp, &err);
		fprintf(stderr, "cutover rollout %s: %s\n", o->action, err.msg);
		return -1;
	}
	return st;
}

static bool confirmed(const struct rollout_opts *o, const char *what)
{
	if (o->yes)
		return true;
	if (o->json || !isatty(STDIN_FILENO)) {
		fprintf(stderr, "cutover rollout %s: refusing: no terminal to confirm; pass --yes\n", o->action);
		return false;
	}
	char line[64];
	printf("Type yes to %s: ", what);
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "yes") != 0)
		fprintf(stderr, "cutover rollout %s: not confirmed; nothing changed\n", o->action);
	return strcmp(line, "yes") == 0;
}

static bool needs_confirm(const struct rollout_opts *o)
{
	return strcmp(o->action, "start") == 0 || strcmp(o->action, "abort") == 0 || o->full;
}

static int act(struct engine_link *l, const struct rollout_opts *o)
{
	cJSON *resp = NULL;
	if (strcmp(o->action, "start") == 0) {
		int st = post(l, o, true, &resp);
		if (st < 0)
			return EXIT_FAILED;
		printf("%s would start:\n", o->plan ? "The release plan" : "The rollout");
		print_answers(stdout, cJSON_GetObjectItemCaseSensitive(resp, "services"));
		print_answers(stdout, cJSON_GetObjectItemCaseSensitive(resp, "refused"));
		cJSON_Delete(resp);
		resp = NULL;
		if (st == 409)
			return EXIT_FAILED;
	}
	if (needs_confirm(o) && !confirmed(o, o->action))
		return EXIT_FAILED;
	int st = post(l, o, false, &resp);
	if (st < 0)
		return EXIT_FAILED;
	if (o->json) {
		char *t = cJSON_Print(resp);
		printf("%s\n", t ? t : "{}");
		free(t);
	} else {
		print_answers(stdout, cJSON_GetObjectItemCaseSensitive(resp, "services"));
		print_answers(stderr, cJSON_GetObjectItemCaseSensitive(resp, "refused"));
	}
	cJSON_Delete(resp);
	return st == 200 ? EXIT_OK : EXIT_FAILED;
}

static int status(struct engine_link *l, const struct rollout_opts *o)
{
	cJSON *resp = NULL;
	struct co_error err;
	int st = engine_link_call(l, "GET", "/v1/rollouts", NULL, &resp, &err);
	if (st != 200) {
		if (st >= 0)
			engine_cli_answer_error(l, st, resp, &err);
		fprintf(stderr, "cutover rollout status: %s\n", err.msg);
		cJSON_Delete(resp);
		return EXIT_FAILED;
	}
	if (o->json) {
		char *t = cJSON_Print(resp);
		printf("%s\n", t ? t : "{}");
		free(t);
	} else {
		rollout_status_print(stdout, resp);
	}
	cJSON_Delete(resp);
	return EXIT_OK;
}

int cmd_rollout(int argc, char **argv)
{
	struct rollout_opts o = { 0 };
	int rc = parse(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	struct config *cfg = NULL;
	struct engine_link *link = NULL;
	rc = engine_cli_attach("rollout", o.config, &o.where, &cfg, &link);
	if (rc == EXIT_OK && !link) {
		fprintf(stderr, "cutover rollout: no engine runs for release %s: rollouts live in the engine "
			"so that they outlive this terminal; start one with 'cutover serve -c FILE'\n", cfg->release);
		rc = EXIT_FAILED;
	}
	if (rc == EXIT_OK)
		rc = strcmp(o.action, "status") == 0 ? status(link, &o) : act(link, &o);
	engine_link_free(link);
	config_free(cfg);
	return rc;
}
