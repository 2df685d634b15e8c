/* job_runs: reads a job side's runs URL, which answers
 * {"active": K, "runs": N, "last_run": "RFC3339" | null}. Internal to jobs. */
#ifndef CUTOVER_JOB_RUNS_H
#define CUTOVER_JOB_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

struct job_runs {
	int active;
	uint64_t runs;
	double last_run;	/* epoch s; 0 none */
};

/* One GET on *h (made on first use), bounded by timeout_ms and 16 KiB.
 * 0, or -1 with why naming the URL's fault (the display form only). */
int job_runs_fetch(CURL **h, const char *url, const char *display, bool insecure,
		   int timeout_ms, struct job_runs *out, char *why, size_t cap);

/* "2026-12-05T12:00:05.250Z" or with "+01:00": epoch s, or -1. */
double job_runs_time(const char *text);

#endif
