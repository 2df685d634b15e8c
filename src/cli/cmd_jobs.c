/* cmd_jobs: `cutover jobs [--json]`, each scheduled job's next fires, the
 * side it runs on, and its ledger of ticks. The ledger lives in the engine
 * (it needs someone watching when the ticks come); without one, the
 * schedules are shown from the config alone and the ledger is empty. */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/cron.h"
#include "cutover/jobs.h"
#include "engine_cli.h"

static int usage(FILE *out, int rc)
{
	fprintf(out,
		"usage: cutover jobs [--json] [-c FILE] [--engine URL --token-file F]\n"
		"Each scheduled job: its next three fires, its weight, runs active per side,\n"
		"and which side ran each tick since the engine began watching (ok, double,\n"
		"missed, pending). Exit status: 0 shown (even with doubles or misses: see\n"
		"the ledger), 1 failed, 2 usage.\n");
	return rc;
}

/* {"now", "jobs": [...]} from the config alone: no engine, no ledger. */
static cJSON *from_config(const struct config *cfg)
{
	char t[40];
	time_t now = time(NULL);
	cJSON *o = cJSON_CreateObject();
	jobs_rfc3339(now, NULL, t, sizeof t);
	cJSON_AddStringToObject(o, "now", t);
	cJSON_AddStringToObject(o, "engine", "none: no ledger without an engine (cutover serve)");
	cJSON *a = cJSON_AddArrayToObject(o, "jobs");
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct service_conf *sc = &cfg->services[i];
		struct cron c;
		char why[160];
		if (sc->kind != KIND_JOB || !sc->schedule || cron_parse(sc->schedule, &c, why, sizeof why) < 0)
			continue;
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", sc->name);
		cJSON_AddStringToObject(j, "schedule", sc->schedule);
		cJSON_AddStringToObject(j, "timezone", sc->timezone ? sc->timezone : "UTC");
		cJSON_AddItemToObject(j, "next", jobs_next_json(&c, sc->timezone, now, 3));
		cJSON_AddNullToObject(j, "weight");
		cJSON *act = cJSON_AddObjectToObject(j, "active");
		cJSON_AddNullToObject(act, "blue");
		cJSON_AddNullToObject(act, "green");
		cJSON_AddArrayToObject(j, "ticks");
		cJSON_AddItemToArray(a, j);
	}
	return o;
}

static const char *text(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
	return s ? s : "-";
}

static void count(FILE *out, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsNumber(v))
		fprintf(out, "%d", (int)v->valuedouble);
	else
		fputc('?', out);
}

static void print_job(FILE *out, const cJSON *j)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "weight");
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(j, "active");
	fprintf(out, "%s  \"%s\" %s  on %s", text(j, "name"), text(j, "schedule"), text(j, "timezone"),
		!cJSON_IsNumber(w) ? "?" : w->valuedouble >= 50 ? "G:green" : "B:blue");
	fprintf(out, "  active B:");
	count(out, act, "blue");
	fprintf(out, " G:");
	count(out, act, "green");
	fprintf(out, "  runs seen by: %s\n", text(j, "source"));
	fprintf(out, "  next:");
	const cJSON *x;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "next"))
		fprintf(out, " %s", cJSON_GetStringValue(x) ? cJSON_GetStringValue(x) : "?");
	fputc('\n', out);
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "handoff");
	if (cJSON_IsString(h))
		fprintf(out, "  %s\n", h->valuestring);
	const cJSON *ticks = cJSON_GetObjectItemCaseSensitive(j, "ticks");
	int n = cJSON_GetArraySize(ticks), shown = 0;
	cJSON_ArrayForEach(x, ticks) {
		if (n - shown++ > 10)	/* the last ten; --json has them all */
			continue;
		const char *st = text(x, "status");
		fprintf(out, "  %s  %-7s ran:", text(x, "time"), st);
		const cJSON *r;
		int k = 0;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(x, "ran"))
			fprintf(out, "%s%s", k++ ? "," : " ", cJSON_GetStringValue(r) ? cJSON_GetStringValue(r) : "?");
		fprintf(out, "%s%s\n", k ? "" : " none", strcmp(st, "double") == 0 ? "  << DOUBLE" :
			strcmp(st, "missed") == 0 ? "  << MISSED" : "");
	}
}

static int show(cJSON *doc, bool json)
{
	if (json) {
		char *t = cJSON_Print(doc);
		printf("%s\n", t ? t : "{}");
		free(t);
		return EXIT_OK;
	}
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "engine");
	if (cJSON_IsString(e))
		printf("(%s)\n", e->valuestring);
	const cJSON *j;
	int n = 0;
	cJSON_ArrayForEach(j, cJSON_GetObjectItemCaseSensitive(doc, "jobs")) {
		print_job(stdout, j);
		n++;
	}
	if (!n)
		printf("no job has a schedule\n");
	return EXIT_OK;
}

int cmd_jobs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, ENGINE_CLI_OPTIONS, { NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	struct engine_where where = { 0 };
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (c == 'c')
			config = optarg;
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return usage(stdout, EXIT_OK);
		else if (!engine_cli_option(c, optarg, &where))
			return usage(stderr, EXIT_USAGE);
	}
	if (optind < argc) {
		fprintf(stderr, "cutover jobs: takes no arguments ('%s')\n", argv[optind]);
		return usage(stderr, EXIT_USAGE);
	}
	struct config *cfg = NULL;
	struct engine_link *link = NULL;
	int rc = engine_cli_attach("jobs", config, &where, &cfg, &link);
	if (rc != EXIT_OK)
		return rc;
	cJSON *doc = NULL;
	struct co_error err;
	if (!link) {
		doc = from_config(cfg);
	} else {
		int st = engine_link_call(link, "GET", "/v1/jobs", NULL, &doc, &err);
		if (st != 200) {
			if (st >= 0)
				engine_cli_answer_error(link, st, doc, &err);
			fprintf(stderr, "cutover jobs: %s\n", err.msg);
			rc = EXIT_FAILED;
		}
	}
	if (rc == EXIT_OK)
		rc = doc ? show(doc, json) : EXIT_FAILED;
	cJSON_Delete(doc);
	engine_link_free(link);
	config_free(cfg);
	return rc;
}
