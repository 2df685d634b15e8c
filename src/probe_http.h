/* probe_http: one health probe as a reusable libcurl easy handle, and the
 * judgement of its result in words. Internal to the prober. */
#ifndef CUTOVER_PROBE_HTTP_H
#define CUTOVER_PROBE_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>

#include "cutover/config.h"

struct probe_http {
	CURL *easy;
	const struct endpoint_conf *ep;
	size_t max_body;
	char *body;		/* up to max_body bytes of the response */
	size_t body_len;
	bool body_overflow;
	char curl_err[CURL_ERROR_SIZE];
};

int probe_http_init(struct probe_http *h, const struct endpoint_conf *ep,
		    const struct probe_conf *pc, void *private_ptr);
void probe_http_done(struct probe_http *h);
/* Resets the per-transfer state before the handle is added again. */
void probe_http_rearm(struct probe_http *h);

/* After the transfer finished with code rc: ok, or an error in plain words
 * ("timeout after 800 ms", "HTTP 503", "connection refused", ...). The
 * latency is the transfer's total time. */
bool probe_http_judge(struct probe_http *h, CURLcode rc, int timeout_ms,
		      double *latency_ms, char *error, size_t cap);

#endif
