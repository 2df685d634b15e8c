/* frame: how long the console takes to build and draw one frame over a
 * large fleet, measured without a terminal.
 *
 * Usage:
 *   frame [--services N] [--frames F] [--size COLSxLINES] [--watch]
 *         [--sort name|group|dp95|verdict|weight] [--changes K] [--put]
 *         [--name LABEL]
 *
 * Builds a config in memory of N services (default 10,000) in groups of
 * 100, a tenth of them jobs, and fills the model through its public setters
 * with what a fleet looks like after a few minutes of probing: full windows,
 * 60-point sparklines, weights spread over the steps, a few greens slow,
 * down or failing, the router's traffic figures. ncurses is started with
 * newterm() on the real terminfo entry ($TERM, default xterm-256color) with
 * its output going to /dev/null, and resized to COLSxLINES.
 *
 * Each frame is what screen_loop() does when the model has moved since the
 * last one (the common case with thousands of services being probed):
 *   snapshot  model_snapshot(): the copy of every service's state
 *   rebuild   view_rebuild() plus keeping the cursor on its service
 *   draw      screen_draw(): every part of the screen painted, then
 *             wnoutrefresh + doupdate (the terminal output, to /dev/null)
 * Between frames, untimed, K services (default 1,000) get new figures on
 * one side, as the prober thread would publish them between two frames:
 * 10,000 services x 2 sides every 2 s is 1,000 per 100 ms loop turn.
 * --changes 0 measures a redraw with nothing new (the clock tick).
 * --put publishes them as a console attached to an engine receives them:
 * each changed service's whole state through model_put(), as the event
 * stream's follower (src/client/engine_follow.c) does for a delta.
 *
 * Prints one line of key=value pairs: name services size frames
 * snapshot_ms rebuild_ms draw_ms (medians of each part) median_ms p99_ms
 * max_ms (of the whole frame). Exit 0, 1 when the rig cannot start, 2 on
 * bad arguments. */
#include <curses.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/config.h"
#include "cutover/model.h"
#include "../../tui/console.h"
#include "../../tui/theme.h"

struct frame_opts {
	int services;
	int frames;
	int cols, lines;
	bool watch;
	enum sort_key sort;
	int changes;
	bool put;
	const char *name;
};

static const char *const group_words[] = {
	"payments", "search", "identity", "media", "checkout", "catalog", "billing", "ledger",
	"notify", "profile", "reports", "ingest", "pricing", "shipping", "reviews", "ads",
	"gateway", "inventory", "loyalty", "fraud",
};
#define N_WORDS (sizeof group_words / sizeof group_words[0])

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A small deterministic generator: the same fleet on every run. */
static unsigned long rng_state = 12345;
static double rnd(void)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (double)(rng_state >> 11) / (double)(1UL << 53);
}

static void group_name(char *buf, size_t len, int g)
{
	snprintf(buf, len, "%s-%d", group_words[(size_t)g % N_WORDS], g / (int)N_WORDS);
}

static struct config *fleet_config(int n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fputs("{\"release\":\"bench-10k\",\"state_dir\":\"state\",\"router\":{\"driver\":\"rehearsal\"},"
	      "\"blue\":{\"label\":\"EKS on EC2\"},\"green\":{\"label\":\"EKS on Fargate\"},"
	      "\"probe\":{\"interval_ms\":2000,\"timeout_ms\":800},\"services\":[", f);
	for (int i = 0; i < n; i++) {
		char g[32];
		group_name(g, sizeof g, i / 100);
		fprintf(f, "%s{\"name\":\"%s-svc-%05d\",\"kind\":\"%s\",\"group\":\"%s\","
			   "\"blue\":{\"health\":\"http://127.0.0.1:9/%05d/blue/health\"},"
			   "\"green\":{\"health\":\"http://127.0.0.1:9/%05d/green/health\"}}",
			i ? "," : "", g, i, i % 10 == 9 ? "job" : "exposed", g, i, i);
	}
	fputs("]}", f);
	fclose(f);
	struct diag_list diags;
	diag_list_init(&diags);
	struct config *cfg = config_parse("bench", text, len, &diags);
	for (size_t k = 0; k < diags.n; k++)
		fprintf(stderr, "frame: config %d:%d %s: %s\n", diags.items[k].line, diags.items[k].col,
			diags.items[k].path, diags.items[k].msg);
	diag_list_done(&diags);
	free(text);
	return cfg;
}

/* One side's figures; slow greens are a few times slower, down sides fail. */
static void side_fill(struct side_stats *st, double base, bool down)
{
	memset(st, 0, sizeof *st);
	st->health = down ? HEALTH_DOWN : HEALTH_UP;
	st->p50_ms = base * (0.9 + 0.2 * rnd());
	st->p95_ms = st->p50_ms * (1.4 + 0.4 * rnd());
	st->p99_ms = st->p95_ms * (1.2 + 0.3 * rnd());
	st->error_pct = down ? 100 : rnd() < 0.05 ? 0.8 : 0;
	st->samples = 120;
	st->probes = 1000 + (uint64_t)(rnd() * 100);
	if (down)
		snprintf(st->last_error, sizeof st->last_error, "HTTP 503 from the health endpoint");
	st->n_spark = SPARK_LEN;
	for (int k = 0; k < SPARK_LEN; k++)
		st->spark[k] = down && k > 50 ? -1.0f : (float)(base * (0.8 + 0.6 * rnd()));
}

static void service_fill(struct model *m, const struct config *cfg, size_t i)
{
	static const int weights[] = { 0, 0, 0, 1, 5, 25, 50, 100, 100 };
	struct co_error err;
	bool job = cfg->services[i].kind == KIND_JOB;
	int w = job ? (rnd() < 0.5 ? 0 : 100) : weights[(size_t)(rnd() * 9)];
	model_set_weight(m, i, w, &err);
	model_set_target(m, i, w, &err);
	double base = 2 + 38 * rnd();
	double r = rnd();
	bool slow = r < 0.08, down = r > 0.99;
	struct side_stats st;
	side_fill(&st, base, false);
	model_set_side(m, i, SIDE_BLUE, &st);
	side_fill(&st, slow ? base * 3 : base, down);
	model_set_side(m, i, SIDE_GREEN, &st);
	for (int s = 0; s < 2; s++) {
		struct side_traffic t = { true, base * (s ? 1.1 : 1.0), 0, (long)(rnd() * 40),
					  (uint64_t)(rnd() * 1e6) };
		model_set_traffic(m, i, (enum side)s, &t);
	}
	if (down)
		model_set_verdict(m, i, VERDICT_FAIL, "green is down: HTTP 503 from the health endpoint");
	else if (slow)
		model_set_verdict(m, i, VERDICT_MARGINAL, "green p95 above blue's by more than the gate");
	else if (r < 0.13)
		model_set_verdict(m, i, VERDICT_NODATA, "not enough samples");
	else
		model_set_verdict(m, i, VERDICT_PASS, "");
}

/* What the prober publishes between two frames: new figures on one side. */
static void churn(struct model *m, const struct config *cfg, int k)
{
	for (int j = 0; j < k; j++) {
		size_t i = (size_t)(rnd() * (double)cfg->n_services);
		struct side_stats st;
		side_fill(&st, 2 + 38 * rnd(), false);
		model_set_side(m, i, rnd() < 0.5 ? SIDE_BLUE : SIDE_GREEN, &st);
	}
}

/* The same, as the follower applies a delta: read the service's state, take
 * the new figures into it, put the whole of it back. */
static void churn_put(struct model *m, const struct config *cfg, int k)
{
	for (int j = 0; j < k; j++) {
		size_t i = (size_t)(rnd() * (double)cfg->n_services);
		struct service_state st;
		pthread_mutex_lock(&m->lock);
		st = m->svc[i];
		pthread_mutex_unlock(&m->lock);
		side_fill(&st.side[rnd() < 0.5 ? SIDE_BLUE : SIDE_GREEN], 2 + 38 * rnd(), false);
		model_put(m, i, &st);
	}
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, by_double);
	return v[n / 2];
}

static int parse(int argc, char **argv, struct frame_opts *o)
{
	static const struct option opts[] = {
		{ "services", required_argument, NULL, 'n' }, { "frames", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },     { "watch", no_argument, NULL, 'w' },
		{ "sort", required_argument, NULL, 'o' },     { "changes", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'l' },     { "put", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const sorts[SORT_COUNT] = { "name", "group", "dp95", "verdict", "weight" };
	*o = (struct frame_opts){ 10000, 300, 200, 60, false, SORT_NAME, 1000, false, "frame" };
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': o->services = atoi(optarg); break;
		case 'f': o->frames = atoi(optarg); break;
		case 's':
			if (sscanf(optarg, "%dx%d", &o->cols, &o->lines) != 2)
				return -1;
			break;
		case 'w': o->watch = true; break;
		case 'o': {
			int s = 0;
			while (s < SORT_COUNT && strcmp(sorts[s], optarg) != 0)
				s++;
			if (s == SORT_COUNT)
				return -1;
			o->sort = (enum sort_key)s;
			break;
		}
		case 'k': o->changes = atoi(optarg); break;
		case 'l': o->name = optarg; break;
		case 'p': o->put = true; break;
		default: return -1;
		}
	}
	return o->services > 0 && o->frames > 0 && o->cols > 0 && o->lines > 0 && o->changes >= 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct frame_opts o;
	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: frame [--services N] [--frames F] [--size COLSxLINES] [--watch]\n"
				"             [--sort name|group|dp95|verdict|weight] [--changes K] [--put]\n"
				"             [--name LABEL]\n");
		return 2;
	}
	setlocale(LC_ALL, "");
	struct config *cfg = fleet_config(o.services);
	if (!cfg)
		return 1;
	struct co_error err;
	struct model m;
	if (model_init(&m, cfg, &err)) {
		fprintf(stderr, "frame: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < cfg->n_services; i++)
		service_fill(&m, cfg, i);
	model_set_routers(&m, 3, 3);

	struct theme theme;
	if (theme_load(&theme, NULL, &err)) {
		fprintf(stderr, "frame: %s\n", err.msg);
		return 1;
	}
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	const char *term = getenv("TERM");
	SCREEN *scr = out && in ? newterm(term && *term && strcmp(term, "dumb") ? term : "xterm-256color", out, in)
				: NULL;
	if (!scr) {
		fprintf(stderr, "frame: newterm failed (TERM=%s)\n", term ? term : "");
		return 1;
	}
	resizeterm(o.lines, o.cols);
	curs_set(0);
	theme_apply(&theme);

	struct console c;
	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.model = &m;
	c.watch = o.watch;
	c.readonly = o.watch;
	c.sort = o.sort;
	c.marked = calloc(cfg->n_services, sizeof *c.marked);
	double *snap = calloc((size_t)o.frames, sizeof *snap), *reb = calloc((size_t)o.frames, sizeof *reb),
	       *draw = calloc((size_t)o.frames, sizeof *draw), *tot = calloc((size_t)o.frames, sizeof *tot);
	if (!c.marked || !snap || !reb || !draw || !tot)
		return 1;
	keys_init(c.readonly);
	model_snapshot(&m, &c.snap);
	view_rebuild(&c);
	c.sel = (int)c.n_rows / 3;	/* somewhere in the middle, as after scrolling */

	int warm = 10;
	for (int f = -warm; f < o.frames; f++) {
		if (o.put)
			churn_put(&m, cfg, o.changes);
		else
			churn(&m, cfg, o.changes);
		double t0 = now_ms();
		double t1 = t0, t2 = t0;
		if (model_snapshot(&m, &c.snap) == 1) {
			t1 = now_ms();
			/* screen.c's rebuild_keep: the cursor stays on its service. */
			size_t cur = c.n_rows ? c.rows[c.sel] : (size_t)-1;
			view_rebuild(&c);
			for (size_t k = 0; k < c.n_rows; k++)
				if (c.rows[k] == cur) {
					c.sel = (int)k;
					break;
				}
			t2 = now_ms();
		} else {
			t1 = t2 = now_ms();
		}
		screen_draw(&c);
		double t3 = now_ms();
		if (f >= 0) {
			snap[f] = t1 - t0;
			reb[f] = t2 - t1;
			draw[f] = t3 - t2;
			tot[f] = t3 - t0;
		}
	}
	endwin();
	delscreen(scr);

	double s_med = median(snap, o.frames), r_med = median(reb, o.frames), d_med = median(draw, o.frames);
	double t_med = median(tot, o.frames);
	double p99 = tot[(int)floor(0.99 * (o.frames - 1))], max = tot[o.frames - 1];
	printf("name=%s services=%zu size=%dx%d frames=%d changes=%d snapshot_ms=%.3f rebuild_ms=%.3f "
	       "draw_ms=%.3f median_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
	       o.name, cfg->n_services, o.cols, o.lines, o.frames, o.changes, s_med, r_med, d_med, t_med, p99,
	       max);

	snapshot_done(&c.snap);
	free(c.rows);
	free(c.marked);
	free(snap);
	free(reb);
	free(draw);
	free(tot);
	model_done(&m);
	config_free(cfg);
	fclose(out);
	fclose(in);
	return 0;
}
