/* bench_prober: the prober alone against the service simulator, measured.
 *
 * Usage:
 *   bench_prober --port P --services N [--interval-ms I] [--timeout-ms T]
 *                [--window W] [--warmup S] [--seconds S]
 *   bench_prober --verdict-cost [--window W]
 *
 * Builds a config in memory for services svc0000 .. svc(N-1) (blue and green
 * each, so 2N targets) on 127.0.0.1:P, starts a model and a prober, lets it
 * warm up (connections opened, first interval's spread over), then measures
 * for --seconds and prints one line of key=value pairs on stdout:
 *
 *   targets probes failures seconds probes_per_s cpu_us_per_probe cpu_share
 *   rss_kib peak_rss_kib verdicts_per_s max_in_flight last_error
 *
 * CPU is getrusage(RUSAGE_SELF) user+sys over the measured span only, so the
 * start-up (config parse, handle creation, first connects) is left out; the
 * main thread only sleeps, so it is the probe thread's cost. rss_kib is the
 * resident size at the end of the span (steady state); peak_rss_kib is
 * ru_maxrss up to then, start-up (the config's JSON tree) included.
 *
 * --verdict-cost measures, without any network, what the prober computes on
 * top of each transfer (see prober.c: on_done and publish_verdict), through
 * the same public calls: per probe, side_window_add + side_window_summarize;
 * per verdict, both sides summarized, their latencies copied and
 * verdict_judge. Once with full windows of W samples (steady state), once
 * with 10 samples (below min_samples: the "nodata" early exit every verdict
 * takes in a short run at a 2 s interval). It prints
 *   probe_us_full probe_us_short verdict_us_full verdict_us_short
 * so a short sustain run can be projected to its steady state.
 *
 * Exit 0, or 1 when the rig cannot start, 2 on bad arguments. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cutover/config.h"
#include "cutover/model.h"
#include "cutover/prober.h"
#include "cutover/stats.h"
#include "cutover/verdict.h"

struct bench_opts {
	int port;
	int services;
	int interval_ms;
	int timeout_ms;
	int window;
	double warmup_s;
	double seconds;
	bool verdict_cost;
};

struct bench_sample {
	double wall_s;
	double cpu_s;
	long peak_rss_kib;
	struct prober_counters c;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(long *maxrss_kib)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	if (maxrss_kib)
		*maxrss_kib = ru.ru_maxrss;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long rss_now_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void take(struct prober *p, struct bench_sample *s)
{
	s->wall_s = now_s();
	s->cpu_s = cpu_s(&s->peak_rss_kib);
	prober_get_counters(p, &s->c);
}

/* The same shape a user writes; about 260 bytes per service. */
static char *config_text(const struct bench_opts *o, size_t *len_out)
{
	size_t cap = 1024 + (size_t)o->services * 320, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	len += (size_t)snprintf(buf, cap,
		"{\"release\":\"bench\",\"probe\":{\"interval_ms\":%d,\"timeout_ms\":%d,"
		"\"window\":%d},\"gates\":{\"min_samples\":%d},\"services\":[",
		o->interval_ms, o->timeout_ms, o->window, o->window < 20 ? o->window : 20);
	for (int i = 0; i < o->services; i++)
		len += (size_t)snprintf(buf + len, cap - len,
			"%s{\"name\":\"svc%04d\",\"kind\":\"exposed\","
			"\"blue\":{\"health\":\"http://127.0.0.1:%d/svc%04d/blue/health\"},"
			"\"green\":{\"health\":\"http://127.0.0.1:%d/svc%04d/green/health\"}}",
			i ? "," : "", i, o->port, i, o->port, i);
	len += (size_t)snprintf(buf + len, cap - len, "]}");
	*len_out = len;
	return buf;
}

static struct config *make_config(const struct bench_opts *o)
{
	size_t len = 0;
	char *text = config_text(o, &len);
	if (!text)
		return NULL;
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("bench.json", text, len, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "bench_prober: config: %s: %s\n", d.items[i].path, d.items[i].msg);
	diag_list_done(&d);
	free(text);
	return cfg;
}

/* The most recent error any side shows, so a run with failures says why. */
static void last_error(struct model *m, char *out, size_t cap)
{
	struct snapshot snap;
	memset(&snap, 0, sizeof(snap));
	snprintf(out, cap, "none");
	if (model_snapshot(m, &snap) < 0)
		return;
	for (size_t i = 0; i < snap.n; i++)
		for (int s = 0; s < 2; s++)
			if (snap.svc[i].side[s].last_error[0]) {
				snprintf(out, cap, "%s", snap.svc[i].side[s].last_error);
				for (char *c = out; *c; c++)
					if (*c == ' ')
						*c = '_';	/* one token for the key=value line */
				snapshot_done(&snap);
				return;
			}
	snapshot_done(&snap);
}

/* Latencies like the simulator's default endpoint (1 ms + up to 0.4 ms),
 * at curl's microsecond resolution, the same law on both sides: a healthy
 * fleet, whose verdicts are "pass" after the full rank test. */
static double sim_latency(uint64_t *rng)
{
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return 1.0 + (double)(*rng % 400) / 1000.0;
}

struct compute_cost {
	double probe_us;
	double verdict_us;
};

/* As many windows as the sustain run has targets, visited in turn as the
 * prober does, so the cost includes fetching each window from memory (20,000
 * windows of 120 samples are ~21 MB, well over any cache) and not just the
 * arithmetic on one hot window. */
#define COST_WINDOWS 20000

/* Time per call of the prober's computations with windows of cap samples
 * holding `fill` of them; each loop runs for about 0.3 s of CPU. */
static int compute_cost(int cap, int fill, struct compute_cost *out)
{
	struct side_window *w = calloc(COST_WINDOWS, sizeof(*w));
	struct side_stats st[2];
	struct co_error err;
	struct gates_conf gates = { .max_p95_delta_pct = 25, .max_error_rate_pct = 1,
				    .min_samples = 20, .jobs_first = JOBS_FIRST_WARN };
	double *lat[2] = { malloc((size_t)cap * sizeof(double)), malloc((size_t)cap * sizeof(double)) };
	uint64_t rng = 0x9E3779B97F4A7C15ull;
	long sink = 0;
	int rc = -1;

	if (!w || !lat[0] || !lat[1])
		goto done;
	for (size_t i = 0; i < COST_WINDOWS; i++) {
		if (side_window_init(&w[i], cap, 3, 2, &err) < 0)
			goto done;
		for (int k = 0; k < fill; k++)
			side_window_add(&w[i], true, sim_latency(&rng), NULL);
	}

	/* Per probe: a window full stays full, one short stays short. */
	long n = 0;
	size_t at = 0;
	double t0 = cpu_s(NULL), t;
	do {
		for (int k = 0; k < 1000; k++, n++, at = (at + 1) % COST_WINDOWS) {
			if (fill == cap)
				side_window_add(&w[at], true, sim_latency(&rng), NULL);
			side_window_summarize(&w[at], &st[0]);
			sink += st[0].samples;
		}
	} while ((t = cpu_s(NULL)) - t0 < 0.3);
	out->probe_us = (t - t0) * 1e6 / (double)n;

	n = 0;
	at = 0;
	t0 = cpu_s(NULL);
	do {
		for (int k = 0; k < 100; k++, n++, at = (at + 2) % COST_WINDOWS) {
			struct verdict_input in;
			struct verdict_out vo;
			memset(&in, 0, sizeof(in));
			for (int s = 0; s < 2; s++) {
				side_window_summarize(&w[at + (size_t)s], &st[s]);
				in.n_lat[s] = side_window_latencies(&w[at + (size_t)s], lat[s], (size_t)cap);
				in.lat[s] = lat[s];
				in.samples[s] = st[s].samples;
				in.error_pct[s] = st[s].error_pct;
				in.p95_ms[s] = st[s].p95_ms;
			}
			in.gates = &gates;
			verdict_judge(&in, &vo);
			sink += vo.verdict;
		}
	} while ((t = cpu_s(NULL)) - t0 < 0.3);
	out->verdict_us = (t - t0) * 1e6 / (double)n;
	rc = sink < 0 ? -1 : 0;	/* sink keeps the loops from being optimized away */
done:
	for (size_t i = 0; w && i < COST_WINDOWS; i++)
		side_window_done(&w[i]);
	free(w);
	free(lat[0]);
	free(lat[1]);
	return rc;
}

static int verdict_cost(int window)
{
	struct compute_cost full, shortw;
	if (compute_cost(window, window, &full) < 0 || compute_cost(window, 10, &shortw) < 0) {
		fprintf(stderr, "bench_prober: out of memory\n");
		return 1;
	}
	printf("window=%d probe_us_full=%.2f probe_us_short=%.2f verdict_us_full=%.2f "
	       "verdict_us_short=%.2f\n", window, full.probe_us, shortw.probe_us,
	       full.verdict_us, shortw.verdict_us);
	return 0;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "services", required_argument, NULL, 'n' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "window", required_argument, NULL, 'w' },
		{ "warmup", required_argument, NULL, 'u' },
		{ "seconds", required_argument, NULL, 's' },
		{ "verdict-cost", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct bench_opts){ .interval_ms = 2000, .timeout_ms = 800, .window = 120,
				  .warmup_s = 3, .seconds = 10 };
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o->port = atoi(optarg); break;
		case 'n': o->services = atoi(optarg); break;
		case 'i': o->interval_ms = atoi(optarg); break;
		case 't': o->timeout_ms = atoi(optarg); break;
		case 'w': o->window = atoi(optarg); break;
		case 'u': o->warmup_s = atof(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'v': o->verdict_cost = true; break;
		default: return -1;
		}
	}
	if (o->verdict_cost)
		return o->window >= 10 ? 0 : -1;
	if (o->port <= 0 || o->port > 65535 || o->services <= 0 || o->services > 10000 ||
	    o->seconds <= 0 || o->warmup_s < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	if (parse_args(argc, argv, &o) < 0) {
		fputs("usage: bench_prober --port P --services N [--interval-ms I] [--timeout-ms T]\n"
		      "                    [--window W] [--warmup S] [--seconds S]\n"
		      "       bench_prober --verdict-cost [--window W]\n", stderr);
		return 2;
	}
	if (o.verdict_cost)
		return verdict_cost(o.window);
	/* Every target may hold a connection: take all the descriptors allowed. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct config *cfg = make_config(&o);
	struct model model;
	struct co_error err;
	if (!cfg || model_init(&model, cfg, &err) < 0) {
		fprintf(stderr, "bench_prober: cannot build the config/model\n");
		return 1;
	}
	struct prober *p = prober_start(&model, &err);
	if (!p) {
		fprintf(stderr, "bench_prober: %s\n", err.msg);
		return 1;
	}
	sleep_s(o.warmup_s);
	struct bench_sample a, b;
	take(p, &a);
	/* Sample in-flight a few times a second: it shows whether the prober
	 * kept every target busy (saturated) or waited on the schedule. */
	int max_in_flight = 0;
	double end = a.wall_s + o.seconds;
	for (double t = now_s(); t < end; t = now_s()) {
		struct prober_counters c;
		sleep_s(end - t < 0.25 ? end - t : 0.25);
		prober_get_counters(p, &c);
		if (c.in_flight > max_in_flight)
			max_in_flight = c.in_flight;
	}
	take(p, &b);
	long rss_kib = rss_now_kib();
	char why[160];
	last_error(&model, why, sizeof(why));
	prober_stop(p);

	double wall = b.wall_s - a.wall_s;
	double cpu = b.cpu_s - a.cpu_s;
	uint64_t probes = b.c.probes - a.c.probes;
	uint64_t failures = b.c.failures - a.c.failures;
	uint64_t verdicts = b.c.verdicts - a.c.verdicts;
	printf("targets=%d interval_ms=%d probes=%llu failures=%llu seconds=%.2f "
	       "probes_per_s=%.0f cpu_us_per_probe=%.2f cpu_share=%.3f rss_kib=%ld peak_rss_kib=%ld "
	       "verdicts_per_s=%.0f max_in_flight=%d last_error=%s\n",
	       2 * o.services, o.interval_ms, (unsigned long long)probes,
	       (unsigned long long)failures, wall, (double)probes / wall,
	       probes ? cpu * 1e6 / (double)probes : 0.0, cpu / wall, rss_kib, b.peak_rss_kib,
	       (double)verdicts / wall, max_in_flight, why);
	model_done(&model);
	config_free(cfg);
	curl_global_cleanup();
	return 0;
}
