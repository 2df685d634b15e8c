/* probe_http: a pooled libcurl easy handle that runs one health probe at a
 * time, and the judgement of its result in words. Internal to the prober.
 * Handles are pooled per probe in flight, not per target: the bench showed
 * a handle per target costing ~10 KiB each, 200 MiB at 20,000 targets. */
#ifndef CUTOVER_PROBE_HTTP_H
#define CUTOVER_PROBE_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>

#include "cutover/config.h"

struct probe_http {
	CURL *easy;
	const struct endpoint_conf *ep;	/* the probe it runs now */
	void *owner;			/* the prober's target for it */
	size_t max_body;
	char *body;		/* up to max_body bytes of the response */
	size_t body_len;
	bool body_overflow;
	bool keep_body;
	char curl_err[CURL_ERROR_SIZE];
};

/* Options common to every probe. */
int probe_http_init(struct probe_http *h, const struct probe_conf *pc);
void probe_http_done(struct probe_http *h);
/* Points the handle at one endpoint for one transfer (CURLOPT_PRIVATE is
 * the handle itself; owner says whose probe it is). */
int probe_http_arm(struct probe_http *h, const struct endpoint_conf *ep, void *owner);

/* After the transfer finished with code rc: ok, or an error in plain words
 * ("timeout after 800 ms", "HTTP 503", "connection refused", ...). The
 * latency is the transfer's total time. */
bool probe_http_judge(struct probe_http *h, CURLcode rc, int timeout_ms,
		      double *latency_ms, char *error, size_t cap);

#endif
