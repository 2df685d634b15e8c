/* probe_http: one health probe's libcurl handle and the verdict on its answer. */
#include "probe_http.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct probe_http *h = ud;
	size_t n = size * nmemb;
	if (h->body_len + n > h->max_body) {
		h->body_overflow = true;
		return 0;	/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (h->keep_body)	/* kept only when an expectation reads it */
		memcpy(h->body + h->body_len, data, n);
	h->body_len += n;
	return n;
}

int probe_http_init(struct probe_http *h, const struct probe_conf *pc)
{
	memset(h, 0, sizeof(*h));
	h->max_body = (size_t)pc->max_body_bytes;
	h->easy = curl_easy_init();
	if (!h->easy)
		return -1;
	CURL *e = h->easy;
	curl_easy_setopt(e, CURLOPT_PRIVATE, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->curl_err);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)pc->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)pc->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);	/* a redirect is an answer */
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)pc->max_body_bytes);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "cutover-probe/1");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	return 0;
}

void probe_http_done(struct probe_http *h)
{
	if (h->easy)
		curl_easy_cleanup(h->easy);
	free(h->body);
	memset(h, 0, sizeof(*h));
}

int probe_http_arm(struct probe_http *h, const struct endpoint_conf *ep, void *owner)
{
	/* Only a JSON expectation needs the body: without one, bytes are
	 * counted for the size cap and dropped. A slot allocates its buffer the
	 * first time it serves such an endpoint. */
	if (ep->expect.json_field && !h->body && !(h->body = malloc(h->max_body + 1)))
		return -1;
	h->ep = ep;
	h->owner = owner;
	h->keep_body = ep->expect.json_field != NULL;
	h->body_len = 0;
	h->body_overflow = false;
	h->curl_err[0] = '\0';
	curl_easy_setopt(h->easy, CURLOPT_URL, ep->health);
	long verify = ep->insecure ? 0L : 1L;
	curl_easy_setopt(h->easy, CURLOPT_SSL_VERIFYPEER, verify);
	curl_easy_setopt(h->easy, CURLOPT_SSL_VERIFYHOST, ep->insecure ? 0L : 2L);
	return 0;
}

static bool status_expected(const struct expect_conf *ex, long code)
{
	for (int i = 0; i < ex->n_status; i++)
		if (code >= ex->status[i][0] && code <= ex->status[i][1])
			return true;
	return false;
}

/* Follows a dotted path ("status", "checks.db") into a JSON body. */
static const cJSON *json_field(const cJSON *root, const char *path)
{
	char key[128];
	const cJSON *node = root;
	while (node && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		node = cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, key) : NULL;
		path += n + (path[n] == '.');
	}
	return node;
}

static bool json_expectation(struct probe_http *h, char *error, size_t cap)
{
	const struct expect_conf *ex = &h->ep->expect;
	h->body[h->body_len] = '\0';
	cJSON *root = cJSON_ParseWithLength(h->body, h->body_len);
	const cJSON *v = root ? json_field(root, ex->json_field) : NULL;
	char got[64] = "";
	if (cJSON_IsString(v))
		snprintf(got, sizeof(got), "%s", v->valuestring);
	else if (cJSON_IsBool(v))
		snprintf(got, sizeof(got), "%s", cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v))
		snprintf(got, sizeof(got), "%g", v->valuedouble);
	bool ok = v && strcmp(got, ex->json_equals) == 0;
	if (!ok && !root)
		snprintf(error, cap, "expectation %s=%s not met (body is not JSON)",
			 ex->json_field, ex->json_equals);
	else if (!ok && !v)
		snprintf(error, cap, "expectation %s=%s not met (no such field)",
			 ex->json_field, ex->json_equals);
	else if (!ok)
		snprintf(error, cap, "expectation %s=%s not met (got %s)", ex->json_field,
			 ex->json_equals, got[0] ? got : "a non-scalar");
	cJSON_Delete(root);
	return ok;
}

static void transport_error(struct probe_http *h, CURLcode rc, int timeout_ms,
			    char *error, size_t cap)
{
	long os_errno = 0;
	curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &os_errno);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(error, cap, "timeout after %d ms", timeout_ms);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(error, cap, "%s", os_errno == ECONNREFUSED ? "connection refused"
			 : os_errno ? strerror((int)os_errno) : "cannot connect");
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(error, cap, "cannot resolve host");
		break;
	case CURLE_GOT_NOTHING:
		snprintf(error, cap, "empty reply (connection closed)");
		break;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		snprintf(error, cap, "%s", os_errno == ECONNRESET ? "connection reset"
			 : "connection error while talking");
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		snprintf(error, cap, "not an HTTP answer (garbage reply)");
		break;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		snprintf(error, cap, "response larger than %zu bytes", h->max_body);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(error, cap, "TLS: %s", h->curl_err[0] ? h->curl_err : curl_easy_strerror(rc));
		break;
	default:
		snprintf(error, cap, "%s", curl_easy_strerror(rc));
	}
}

bool probe_http_judge(struct probe_http *h, CURLcode rc, int timeout_ms,
		      double *latency_ms, char *error, size_t cap)
{
	curl_off_t us = 0;
	long code = 0;
	curl_easy_getinfo(h->easy, CURLINFO_TOTAL_TIME_T, &us);
	*latency_ms = (double)us / 1000.0;
	error[0] = '\0';
	if (rc != CURLE_OK) {
		if (h->body_overflow)
			rc = CURLE_FILESIZE_EXCEEDED;
		transport_error(h, rc, timeout_ms, error, cap);
		return false;
	}
	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &code);
	if (!status_expected(&h->ep->expect, code)) {
		snprintf(error, cap, "HTTP %ld", code);
		return false;
	}
	if (h->ep->expect.json_field)
		return json_expectation(h, error, cap);
	return true;
}
