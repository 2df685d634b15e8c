/* cmd_status: `cutover status` — probe for a while, print one snapshot. */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/model.h"
#include "cutover/prober.h"
#include "status_format.h"

/* Long enough for min_samples probes per side plus one interval of
 * scheduling jitter, capped at 10 s so a script never waits long. */
static double default_seconds(const struct config *cfg)
{
	double s = (cfg->gates.min_samples + 1.5) * cfg->probe.interval_ms / 1000.0;
	return s > 10.0 ? 10.0 : s;
}

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
		"Probes blue and green of every service for SECONDS (default: enough for\n"
		"gates.min_samples, at most 10) and prints one snapshot.\n");
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
	if (secs < 0)
		secs = default_seconds(cfg);
	struct model m;
	struct co_error err;
	struct prober *p = NULL;
	int rc = EXIT_FAILED;
	if (model_init(&m, cfg, &err) == 0) {
		uint64_t start = monotonic_ms();
		p = prober_start(&m, &err);
		if (p) {
			sleep_until(start + (uint64_t)llround(secs * 1000.0));
			prober_stop(p);
			struct snapshot snap = { 0 };
			model_snapshot(&m, &snap);
			double took = (double)(monotonic_ms() - start) / 1000.0;
			if (o.json)
				status_print_json(stdout, &snap, took);
			else
				status_print_table(stdout, &snap, took);
			snapshot_done(&snap);
			rc = EXIT_OK;
		}
		model_done(&m);
	}
	if (rc != EXIT_OK)
		fprintf(stderr, "cutover status: %s\n", err.msg);
	config_free(cfg);
	return rc;
}
