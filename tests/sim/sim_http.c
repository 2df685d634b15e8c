/* cutover-sim: just enough HTTP/1.1 — request heads in, small responses out.
 *
 * Requests are what probers, haproxy and curl send: a method, a target, a
 * few headers and rarely a body (Content-Length only). Anything else gets a
 * clean 4xx/5xx and a closed connection rather than a guess. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sim.h"

/* Request bodies are read and thrown away, but a huge one is surely a bug. */
#define BODY_MAX (1ull << 30)

const char *sim_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

/* Finds the blank line ending the head; accepts bare LF line ends, as most
 * servers do. Returns the length of the head including it, or 0. */
static size_t head_end(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if (p < end && *p == '\n')
			return (size_t)(p + 1 - buf);
		if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p + 2 - buf);
	}
	return 0;
}

static bool token_in_list(const char *v, size_t vlen, const char *tok)
{
	size_t tlen = strlen(tok);
	size_t i = 0;
	while (i < vlen) {
		while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < vlen && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i - s == tlen && strncasecmp(v + s, tok, tlen) == 0)
			return true;
	}
	return false;
}

static bool name_is(const char *n, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(n, want, nlen) == 0;
}

/* Returns 1 with *rq filled, 0 when the head is not complete yet, -1 with
 * *err_status set when the request cannot be served. */
int sim_http_parse(const char *buf, size_t len, struct sim_request *rq, int *err_status)
{
	size_t hl = head_end(buf, len);
	if (hl == 0) {
		if (len > SIM_HEADER_MAX) {
			*err_status = 431;
			return -1;
		}
		return 0;
	}
	if (hl > SIM_HEADER_MAX) {
		*err_status = 431;
		return -1;
	}
	memset(rq, 0, sizeof *rq);
	rq->head_len = hl;
	rq->fire_ms = -1;
	*err_status = 400;

	/* Request line: METHOD SP TARGET SP HTTP/1.x */
	const char *p = buf, *end = buf + hl;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (!sp1 || sp1 == p)
		return -1;
	const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1)
		return -1;
	size_t vlen = (size_t)(eol - sp2 - 1);
	if (vlen > 0 && sp2[vlen] == '\r')
		vlen--;
	if (vlen != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		*err_status = 505;
		return -1;
	}
	char minor = sp2[8];
	if (minor != '0' && minor != '1') {
		*err_status = 505;
		return -1;
	}
	rq->method = p;
	rq->method_len = (size_t)(sp1 - p);
	rq->target = sp1 + 1;
	rq->target_len = (size_t)(sp2 - sp1 - 1);
	rq->head = rq->method_len == 4 && memcmp(p, "HEAD", 4) == 0;
	/* HTTP/1.1 keeps the connection unless told otherwise; 1.0 the reverse. */
	rq->keep_alive = minor == '1';

	for (p = eol + 1; p < end;) {
		eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p)
			break; /* the blank line */
		const char *colon = memchr(p, ':', (size_t)(le - p));
		if (!colon || colon == p)
			return -1;
		const char *v = colon + 1;
		while (v < le && (*v == ' ' || *v == '\t'))
			v++;
		size_t nlen = (size_t)(colon - p), vl = (size_t)(le - v);
		if (name_is(p, nlen, "connection")) {
			if (token_in_list(v, vl, "close"))
				rq->keep_alive = false;
			else if (token_in_list(v, vl, "keep-alive"))
				rq->keep_alive = true;
		} else if (name_is(p, nlen, "content-length")) {
			uint64_t n = 0;
			if (vl == 0)
				return -1;
			for (size_t i = 0; i < vl && v[i] != ' ' && v[i] != '\t'; i++) {
				if (v[i] < '0' || v[i] > '9')
					return -1;
				n = n * 10 + (uint64_t)(v[i] - '0');
				if (n > BODY_MAX) {
					*err_status = 413;
					return -1;
				}
			}
			rq->body_len = n;
		} else if (name_is(p, nlen, "x-sim-fire")) {
			/* Epoch ms from a job's scheduler; a value that is not one is
			 * ignored, as if absent, rather than failing the run. */
			int64_t ms = 0;
			size_t i = 0;
			while (i < vl && i < 15 && v[i] >= '0' && v[i] <= '9')
				ms = ms * 10 + (v[i++] - '0');
			if (i > 0 && (i == vl || v[i] == ' ' || v[i] == '\t'))
				rq->fire_ms = ms;
		} else if (name_is(p, nlen, "transfer-encoding")) {
			/* Chunked uploads never come from a health probe. */
			*err_status = 501;
			return -1;
		}
		p = eol + 1;
	}
	return 1;
}

/* Writes a whole response into out; returns its length (0 if it would not fit,
 * which the fixed, small bodies here never cause). */
size_t sim_http_response(char *out, size_t cap, int status, const char *ctype, const char *extra,
                         const char *body, size_t body_len, bool keep_alive, bool head)
{
	/* 204 and 304 never carry a body, and 204 not even a Content-Length
	 * (RFC 9110 8.6): a configured status=204 must still be valid HTTP. */
	bool no_body = status == 204 || status == 304;
	char cl[48] = "";
	if (no_body)
		body_len = 0;
	if (status != 204)
		snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", body_len);
	int n = snprintf(out, cap,
	                 "HTTP/1.1 %d %s\r\n"
	                 "Content-Type: %s\r\n"
	                 "%s"
	                 "Cache-Control: no-store\r\n"
	                 "%s"
	                 "Connection: %s\r\n"
	                 "\r\n",
	                 status, sim_http_reason(status), ctype, cl, extra ? extra : "",
	                 keep_alive ? "keep-alive" : "close");
	if (n < 0 || (size_t)n >= cap)
		return 0;
	size_t len = (size_t)n;
	if (!head && body_len) {
		if (len + body_len > cap)
			return 0;
		memcpy(out + len, body, body_len);
		len += body_len;
	}
	return len;
}
