/* cmd_status: `cutover status` — probe for a while, read the router once,
 * print one snapshot; or, with an engine for the release, print the one it
 * holds (its windows are warm: nothing is probed here). */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/model.h"
#include "cutover/probe_burst.h"
#include "cutover/prober.h"
#include "engine_cli.h"
#include "status_format.h"

/* Without --for: a burst until every service has a verdict, capped so a
 * script never waits long. */
#define BURST_MAX_MS 10000

static void sleep_until(uint64_t deadline_ms)
{
	uint64_t now;
	while ((now = monotonic_ms()) < deadline_ms) {
		uint64_t left = deadline_ms - now;
		struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static int usage(FILE *out, int rc)
{
	fprintf(out, "usage: cutover status [-c FILE | --engine URL --token-file F] [--json]"
		" [--for SECONDS]\n"
		"Probes blue and green of every service for SECONDS at the config's\n"
		"interval, or by default faster, until every service has gates.min_samples\n"
		"a side and a verdict (at most 10 s); reads the router once (weight, drift,\n"
		"traffic) and prints one snapshot. Takes no lock and writes nothing.\n"
		"With an engine for the release (or --engine), prints the engine's state\n"
		"after SECONDS (default at once): it probes and reads the router already.\n");
	return rc;
}

/* The router is read on this thread while the prober runs on its own, so
 * a slow or dead router instance costs time only beyond the probing. secs
 * < 0: a burst until every service has a verdict. */
static int show(const struct config *cfg, double secs, bool json)
{
	struct model m;
	struct co_error err;
	if (model_init(&m, cfg, &err) < 0) {
		fprintf(stderr, "cutover status: %s\n", err.msg);
		return EXIT_FAILED;
	}
	uint64_t start = monotonic_ms();
	struct probe_burst b = { 0 };
	if (secs < 0)
		probe_burst_start(&b, &m, NULL, 0, BURST_MAX_MS, &err);
	else
		b.prober = prober_start(&m, &err);
	if (!b.prober) {
		fprintf(stderr, "cutover status: %s\n", err.msg);
		model_done(&m);
		return EXIT_FAILED;
	}
	struct co_error rerr;
	if (cli_router_read(cfg, &m, stderr, &rerr) < 0)
		fprintf(stderr, "warning: router not read: %s\n", rerr.msg);
	if (secs < 0)
		probe_burst_wait(&b, &m);
	else
		sleep_until(start + (uint64_t)llround(secs * 1000.0));
	probe_burst_stop(&b);
	struct snapshot snap = { 0 };
	int rc = EXIT_OK;
	if (model_snapshot(&m, &snap) < 0) {
		fprintf(stderr, "cutover status: out of memory\n");
		rc = EXIT_FAILED;
	} else {
		double took = (double)(monotonic_ms() - start) / 1000.0;
		if (json)
			status_print_json(stdout, &snap, took);
		else
			status_print_table(stdout, &snap, took);
	}
	snapshot_done(&snap);
	model_done(&m);
	return rc;
}

/* The engine's document as it is, or as the table over a snapshot of it. */
static int print_engine_doc(const struct config *cfg, const cJSON *doc, bool json)
{
	if (json) {
		char *text = cJSON_Print(doc);
		if (text)
			printf("%s\n", text);
		free(text);
		return text ? EXIT_OK : EXIT_FAILED;
	}
	struct snapshot snap = { 0 };
	struct co_error err;
	int rc = EXIT_OK;
	if (engine_cli_snapshot(cfg, doc, &snap, &err) < 0) {
		fprintf(stderr, "cutover status: %s\n", err.msg);
		rc = EXIT_FAILED;
	} else {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "probed_s");
		status_print_table(stdout, &snap, cJSON_IsNumber(p) ? p->valuedouble : 0);
	}
	snapshot_done(&snap);
	return rc;
}

/* Through the engine: its windows are warm, so --for is only a wait. */
static int show_engine(struct engine_link *l, const struct config *cfg, double secs, bool json)
{
	if (secs > 0)
		sleep_until(monotonic_ms() + (uint64_t)llround(secs * 1000.0));
	cJSON *doc = NULL;
	struct co_error err;
	if (engine_cli_status(l, &doc, &err) < 0) {
		fprintf(stderr, "cutover status: %s\n", err.msg);
		return EXIT_FAILED;
	}
	int rc = print_engine_doc(cfg, doc, json);
	cJSON_Delete(doc);
	return rc;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "for", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		ENGINE_CLI_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts o = { 0 };
	struct engine_where where = { .kind = "cli" };
	double secs = -1;
	char *end;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'j': o.json = true; break;
		case 'f':
			secs = strtod(optarg, &end);
			if (*end || !(secs >= 0 && secs <= 3600)) {
				fprintf(stderr, "cutover status: --for takes seconds from 0 to 3600, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': return usage(stdout, EXIT_OK);
		default:
			if (!engine_cli_option(c, optarg, &where))
				return usage(stderr, EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cutover status: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	struct config *cfg;
	struct engine_link *link;
	int rc = engine_cli_attach("status", o.config, &where, &cfg, &link);
	if (rc != EXIT_OK)
		return rc;
	rc = link ? show_engine(link, cfg, secs, o.json) : show(cfg, secs, o.json);
	engine_link_free(link);
	config_free(cfg);
	return rc;
}
