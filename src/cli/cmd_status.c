/* cmd_status: `cutover status` — probe for a while, read the router once,
 * print one snapshot. */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/model.h"
#include "cutover/probe_burst.h"
#include "cutover/prober.h"
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
	fprintf(out, "usage: cutover status [-c FILE] [--json] [--for SECONDS]\n"
		"Probes blue and green of every service for SECONDS at the config's\n"
		"interval, or by default faster, until every service has gates.min_samples\n"
		"a side and a verdict (at most 10 s); reads the router once (weight, drift,\n"
		"traffic) and prints one snapshot. Takes no lock and writes nothing.\n");
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

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "for", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts o = { 0 };
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
		default: return usage(stderr, EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cutover status: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	struct config *cfg = cli_load_config(o.config, stderr);
	if (!cfg)
		return EXIT_USAGE;
	int rc = show(cfg, secs, o.json);
	config_free(cfg);
	return rc;
}
