/* job_runs: a job side's runs URL (see job_runs.h). */
#include "job_runs.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#define RUNS_BODY_MAX 16384

struct body {
	char data[RUNS_BODY_MAX + 1];
	size_t len;
	bool cut;
};

static size_t take(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n, room = RUNS_BODY_MAX - b->len;
	if (len > room) {
		b->cut = true;
		return 0;	/* stops the transfer */
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return len;
}

double job_runs_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	double frac = 0;
	const char *p = s + n;
	if (*p == '.') {
		double scale = 0.1;
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	long off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm, k = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &k) != 2 || k != 5 || hh > 23 || mm > 59)
			return -1;
		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	return (double)(timegm(&tm) - off) + frac;
}

static int parse(const struct body *b, struct job_runs *out, char *why, size_t cap)
{
	cJSON *root = cJSON_ParseWithLength(b->data, b->len);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "active");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, "runs");
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(root, "last_run");
	int rc = -1;
	if (!cJSON_IsObject(root))
		snprintf(why, cap, "answered no JSON object");
	else if (!cJSON_IsNumber(a) || a->valuedouble < 0 || a->valuedouble > 1e6)
		snprintf(why, cap, "$.active: expected a count");
	else if (!cJSON_IsNumber(r) || r->valuedouble < 0 || r->valuedouble > 9e15 ||
		 r->valuedouble != floor(r->valuedouble))
		snprintf(why, cap, "$.runs: expected a whole count");
	else if (l && !cJSON_IsNull(l) && !(cJSON_IsString(l) && job_runs_time(l->valuestring) > 0))
		snprintf(why, cap, "$.last_run: expected an RFC 3339 time or null");
	else {
		out->active = (int)a->valuedouble;
		out->runs = (uint64_t)r->valuedouble;
		out->last_run = cJSON_IsString(l) ? job_runs_time(l->valuestring) : 0;
		rc = 0;
	}
	cJSON_Delete(root);
	return rc;
}

int job_runs_fetch(CURL **h, const char *url, const char *display, bool insecure,
		   int timeout_ms, struct job_runs *out, char *why, size_t cap)
{
	char said[160] = "";
	if (!*h && !(*h = curl_easy_init())) {
		snprintf(why, cap, "%s: out of memory", display);
		return -1;
	}
	struct body *b = calloc(1, sizeof *b);
	if (!b) {
		snprintf(why, cap, "%s: out of memory", display);
		return -1;
	}
	curl_easy_reset(*h);
	curl_easy_setopt(*h, CURLOPT_URL, url);
	curl_easy_setopt(*h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(*h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(*h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(*h, CURLOPT_WRITEFUNCTION, take);
	curl_easy_setopt(*h, CURLOPT_WRITEDATA, b);
	if (insecure) {
		curl_easy_setopt(*h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(*h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode rc = curl_easy_perform(*h);
	long status = 0;
	curl_easy_getinfo(*h, CURLINFO_RESPONSE_CODE, &status);
	int ret = -1;
	if (b->cut)
		snprintf(why, cap, "%s: answered more than %d KiB", display, RUNS_BODY_MAX / 1024);
	else if (rc != CURLE_OK)
		snprintf(why, cap, "%s: %s", display, curl_easy_strerror(rc));
	else if (status != 200)
		snprintf(why, cap, "%s: HTTP %ld", display, status);
	else if (parse(b, out, said, sizeof said) < 0)
		snprintf(why, cap, "%s: %s", display, said);
	else
		ret = 0;
	free(b);
	return ret;
}
