/* alert_webhook: one receiver's libcurl handle and one POST on it, driven
 * through a multi handle of its own so that alerts_stop can wake it
 * (curl_multi_wakeup) and cut a transfer short at the end of its grace. */
#include "alert_private.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 2000L
#define TOTAL_TIMEOUT_MS 5000L
/* The longest curl_multi_poll sleeps when no one is stopping us; curl
 * wakes sooner for its own timers, and alerts_stop wakes it at once. */
#define POLL_MS 1000

static size_t discard(char *data, size_t size, size_t nmemb, void *ud)
{
	return size * nmemb;	/* a receiver's answer says nothing we use */
}

int alert_webhook_init(struct alert_webhook *h, const char *url)
{
	memset(h, 0, sizeof(*h));
	h->easy = curl_easy_init();
	h->multi = curl_multi_init();
	/* Without "Expect:" curl waits up to a second for a "100 Continue"
	 * before sending a body over 1 KiB, which many receivers never send. */
	struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");
	h->headers = l ? curl_slist_append(l, "Expect:") : NULL;
	if (!h->headers)
		curl_slist_free_all(l);
	if (!h->easy || !h->multi || !h->headers)
		return -1;
	CURL *e = h->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, TOTAL_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);	/* a redirect is a failure */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "cutover-alert/1");
	return 0;
}

void alert_webhook_done(struct alert_webhook *h)
{
	if (h->easy)
		curl_easy_cleanup(h->easy);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	curl_slist_free_all(h->headers);
	memset(h, 0, sizeof(*h));
}

void alert_webhook_wake(struct alert_webhook *h)
{
	if (h->multi)
		curl_multi_wakeup(h->multi);
}

/* Runs the transfer to its end, or until time_left says 0. */
static CURLcode transfer(struct alert_webhook *h, long (*time_left)(void *), void *ctx)
{
	CURLcode rc = CURLE_ABORTED_BY_CALLBACK;
	if (curl_multi_add_handle(h->multi, h->easy) != CURLM_OK)
		return CURLE_OUT_OF_MEMORY;
	for (;;) {
		int running = 0, left = 0;
		bool done = false;
		CURLMcode mc = curl_multi_perform(h->multi, &running);
		CURLMsg *m;
		while ((m = curl_multi_info_read(h->multi, &left))) {
			if (m->msg == CURLMSG_DONE) {
				rc = m->data.result;
				done = true;
			}
		}
		if (done || mc != CURLM_OK || running == 0)
			break;
		long ms = time_left(ctx);
		if (ms == 0)
			break;	/* the grace is over: CURLE_ABORTED_BY_CALLBACK */
		int wait = ms < 0 || ms > POLL_MS ? POLL_MS : (int)ms;
		if (curl_multi_poll(h->multi, NULL, 0, wait, NULL) != CURLM_OK)
			break;
	}
	/* Removing the handle ends an unfinished transfer and keeps the
	 * connection cached for the next POST when it finished cleanly. */
	curl_multi_remove_handle(h->multi, h->easy);
	return rc;
}

int alert_webhook_post(struct alert_webhook *h, const char *body, long (*time_left)(void *),
		       void *ctx, char *why, size_t cap)
{
	long code = 0;
	curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	CURLcode rc = transfer(h, time_left, ctx);
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(why, cap, "stopped before an answer");
		return -1;
	}
	if (rc != CURLE_OK) {
		/* curl_easy_strerror names the kind, never the URL. */
		snprintf(why, cap, "%s", curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		snprintf(why, cap, "HTTP %ld", code);
		return -1;
	}
	return 0;
}
