/* sim_fixture: start the service simulator for a test and stop it by PID. */
#ifndef CUTOVER_SIM_FIXTURE_H
#define CUTOVER_SIM_FIXTURE_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct sim {
	pid_t pid;
	int port;
	char dir[64];
};

/* Starts SIM (env, default build/cutover-sim) with the spec text and extra
 * argv; waits up to 5 s for its port file. Returns 0 or -1. */
static inline int sim_start(struct sim *s, const char *spec, const char *const *extra)
{
	char spec_path[128], port_path[128];
	const char *bin = getenv("SIM") ? getenv("SIM") : "build/cutover-sim";
	snprintf(s->dir, sizeof(s->dir), "/tmp/cutover-sim-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	snprintf(spec_path, sizeof(spec_path), "%s/spec", s->dir);
	snprintf(port_path, sizeof(port_path), "%s/port", s->dir);
	FILE *f = fopen(spec_path, "w");
	if (!f)
		return -1;
	fputs(spec, f);
	fclose(f);
	const char *argv[32] = { bin, "--port", "0", "--port-file", port_path, "--spec", spec_path };
	int n = 7;
	for (int i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	s->pid = fork();
	if (s->pid == 0) {
		/* A test that aborts (a failed assertion under a sanitizer)
		 * never reaches sim_stop: the kernel stops the simulator then. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		f = fopen(port_path, "r");
		if (f) {
			int ok = fscanf(f, "%d", &s->port) == 1;
			fclose(f);
			if (ok)
				return 0;
		}
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return -1;
}

static inline void sim_stop(struct sim *s)
{
	char cmd[160];
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", s->dir);
}

#endif
