/* cmd_serve: `cutover serve`: the release's engine in the foreground, for
 * systemd units and tmux windows, until SIGTERM or SIGINT. */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cutover/engine.h"
#include "cutover/journal.h"
#include "cutover/tokens.h"

static int usage(FILE *out, int rc)
{
	fprintf(out,
		"usage: cutover serve [-c FILE] [--socket PATH]\n"
		"                     [--listen HOST:PORT --tokens FILE [--tls-cert F --tls-key F]\n"
		"                      [--insecure-plaintext]] [--max-clients N]\n"
		"Runs the release's engine in the foreground: one prober, router poller,\n"
		"executor, journal and lever for every console, wall screen and script.\n"
		"The API is on STATE_DIR/RELEASE.sock (mode 0600). SIGTERM or SIGINT stop\n"
		"it cleanly (a plan applying finishes first); SIGHUP is ignored, so it\n"
		"outlives the terminal that started it. See cutover(1), ENGINE.\n");
	return rc;
}

static void log_line(const char *line, void *ctx)
{
	char now[40];
	journal_time_iso(now, sizeof now);
	fprintf(stderr, "%s cutover serve: %s\n", now, line);
	fflush(stderr);
}

/* Many wall screens and consoles: the soft descriptor limit up to the hard one. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

struct serve_opts {
	const char *config;
	struct engine_opts eo;
};

static int parse(int argc, char **argv, struct serve_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tokens", required_argument, NULL, 't' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "insecure-plaintext", no_argument, NULL, 'P' },
		{ "max-clients", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 's': o->eo.socket_path = optarg; break;
		case 'l': o->eo.listen = optarg; break;
		case 't': o->eo.tokens_path = optarg; break;
		case 'C': o->eo.tls_cert = optarg; break;
		case 'K': o->eo.tls_key = optarg; break;
		case 'P': o->eo.insecure_plaintext = true; break;
		case 'm':
			o->eo.max_clients = (int)strtol(optarg, &end, 10);
			if (*end || o->eo.max_clients < 1 || o->eo.max_clients > 10000) {
				fprintf(stderr, "cutover serve: --max-clients takes 1..10000, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': return usage(stdout, EXIT_OK) + 100;
		default: return usage(stderr, EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cutover serve: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((o->eo.tokens_path || o->eo.tls_cert || o->eo.tls_key) && !o->eo.listen) {
		fprintf(stderr, "cutover serve: --tokens and --tls-* go with --listen HOST:PORT\n");
		return EXIT_USAGE;
	}
	return -1;
}

/* A bad tokens file is a usage error (exit 2), told before anything starts. */
static int check_tokens(const struct serve_opts *o)
{
	if (!o->eo.listen)
		return 0;
	if (!o->eo.tokens_path) {
		fprintf(stderr, "cutover serve: --listen needs --tokens FILE\n");
		return -1;
	}
	struct tokens *t = NULL;
	struct co_error err;
	if (tokens_load(o->eo.tokens_path, &t, &err) < 0) {
		fprintf(stderr, "cutover serve: %s\n", err.msg);
		return -1;
	}
	tokens_free(t);
	return 0;
}

static const char *wait_for_stop(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_line("SIGHUP: the terminal may be gone; the engine keeps running "
				 "(stop it with SIGTERM)", NULL);
			continue;
		}
		return sig == SIGINT ? "SIGINT (Ctrl-C) in serve" : "SIGTERM to serve";
	}
}

int cmd_serve(int argc, char **argv)
{
	struct serve_opts o;
	memset(&o, 0, sizeof o);
	int prc = parse(argc, argv, &o);
	if (prc >= 100)
		return prc - 100;
	if (prc >= 0)
		return prc;
	if (check_tokens(&o) < 0)
		return EXIT_USAGE;
	struct config *cfg = cli_load_config(o.config, stderr);
	if (!cfg)
		return EXIT_USAGE;
	raise_fd_limit();
	signal(SIGPIPE, SIG_IGN);	/* a client gone mid-answer is not our death */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* every thread after this inherits it */
	o.eo.command = "cutover serve";
	o.eo.report = log_line;
	struct engine *e = NULL;
	struct co_error err;
	struct lock_owner holder;
	int rc = engine_start(cfg, &o.eo, &e, &holder, &err);
	if (rc != ENGINE_OK) {
		fprintf(stderr, "cutover serve: %s\n", err.msg);
		config_free(cfg);
		return EXIT_FAILED;
	}
	char line[700];
	snprintf(line, sizeof line, "engine for release %s up: socket %s%s%s, pid %ld", cfg->release,
		 engine_socket_path(e), o.eo.listen ? ", listening on " : "", o.eo.listen ? o.eo.listen : "",
		 (long)getpid());
	log_line(line, NULL);
	const char *why = wait_for_stop();
	snprintf(line, sizeof line, "%s: stopping (a plan applying finishes first)", why);
	log_line(line, NULL);
	engine_stop(e, why);
	log_line("stopped; the journal is whole", NULL);
	config_free(cfg);
	return EXIT_OK;
}
