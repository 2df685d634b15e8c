/* engine_link: HTTP to the engine with libcurl (see engine_link.h). */
#include "cutover/engine_link.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cutover/journal.h"
#include "cutover/tokens.h"

#define CALL_TIMEOUT_MS 30000
#define MAX_ANSWER (64u << 20)

struct engine_link {
	char *sock;		/* unix socket path, or NULL */
	char *base;		/* "http://localhost" or the --engine URL */
	char *token;		/* NULL on the socket */
	char *kind;
	CURL *easy;
	uint64_t stream;
};

/* Someone listens on the socket: connect() says so without HTTP. */
static bool socket_answers(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

void engine_link_free(struct engine_link *l)
{
	if (!l)
		return;
	if (l->easy)
		curl_easy_cleanup(l->easy);
	free(l->sock);
	free(l->base);
	if (l->token) {
		memset(l->token, 0, strlen(l->token));
		free(l->token);
	}
	free(l->kind);
	free(l);
}

static struct engine_link *link_new(const char *sock, const char *base, const char *token,
				    const char *kind)
{
	struct engine_link *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->sock = sock ? strdup(sock) : NULL;
	l->base = strdup(base);
	l->token = token ? strdup(token) : NULL;
	l->kind = strdup(kind ? kind : "cli");
	if ((sock && !l->sock) || !l->base || (token && !l->token) || !l->kind) {
		engine_link_free(l);
		return NULL;
	}
	return l;
}

int engine_link_open(const struct config *cfg, const struct engine_where *w,
		     struct engine_link **out, struct co_error *err)
{
	*out = NULL;
	if (w->url) {
		if (strncmp(w->url, "http://", 7) && strncmp(w->url, "https://", 8)) {
			co_error_set(err, "--engine '%s': expected http://HOST:PORT or https://HOST:PORT", w->url);
			return -1;
		}
		char *token = NULL;
		if (!w->token_file) {
			co_error_set(err, "--engine needs --token-file FILE");
			return -1;
		}
		if (token_file_read(w->token_file, &token, err) < 0)
			return -1;
		size_t n = strlen(w->url);
		char *base = strdup(w->url);
		if (base && n && base[n - 1] == '/')
			base[n - 1] = '\0';
		*out = base ? link_new(NULL, base, token, w->kind) : NULL;
		free(base);
		memset(token, 0, strlen(token));
		free(token);
		if (!*out) {
			co_error_set(err, "out of memory");
			return -1;
		}
		cJSON *r = NULL;
		int st = engine_link_call(*out, "GET", "/v1/status", NULL, &r, err);
		cJSON_Delete(r);
		if (st == 200)
			return 0;
		if (st > 0)
			co_error_set(err, "engine at %s answered %d%s", w->url, st,
				     st == 401 ? ": the token is not accepted" : "");
		engine_link_free(*out);
		*out = NULL;
		return -1;
	}
	char *path = journal_state_path(cfg->state_dir, cfg->release, "sock", err);
	if (!path)
		return -1;
	int rc = 1;
	if (socket_answers(path)) {
		*out = link_new(path, "http://localhost", NULL, w->kind);
		rc = *out ? 0 : (co_error_set(err, "out of memory"), -1);
	}
	free(path);
	return rc;
}

struct engine_link *engine_link_dup(const struct engine_link *l)
{
	return link_new(l->sock, l->base, l->token, l->kind);
}

void engine_link_set_stream(struct engine_link *l, uint64_t client)
{
	l->stream = client;
}

const char *engine_link_name(const struct engine_link *l)
{
	return l->sock ? l->sock : l->base;
}

/* Sets h up for path on this link. */
static void easy_setup(struct engine_link *l, CURL *h, const char *path, struct curl_slist **headers)
{
	char url[2048];
	snprintf(url, sizeof url, "%s%s", l->base, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (l->sock)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, l->sock);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	const char *ca = getenv("CUTOVER_ENGINE_CA");
	if (ca && *ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	struct curl_slist *hd = NULL;
	char line[600];
	snprintf(line, sizeof line, "X-Cutover-Client: %s", l->kind);
	hd = curl_slist_append(hd, line);
	if (l->token) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", l->token);
		hd = curl_slist_append(hd, line);
		memset(line, 0, sizeof line);
	}
	if (l->stream) {
		snprintf(line, sizeof line, "X-Cutover-Stream: %llu", (unsigned long long)l->stream);
		hd = curl_slist_append(hd, line);
	}
	hd = curl_slist_append(hd, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	*headers = hd;
}

void *engine_link_easy(struct engine_link *l, const char *path, void **headers)
{
	CURL *h = curl_easy_init();
	if (h)
		easy_setup(l, h, path, (struct curl_slist **)headers);
	return h;
}

struct answer {
	char *buf;
	size_t len;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;
	size_t k = size * n;
	if (a->len + k > MAX_ANSWER) {
		a->too_big = true;
		return 0;
	}
	char *b = realloc(a->buf, a->len + k + 1);
	if (!b)
		return 0;
	memcpy(b + a->len, p, k);
	a->buf = b;
	a->len += k;
	a->buf[a->len] = '\0';
	return k;
}

int engine_link_call(struct engine_link *l, const char *method, const char *path,
		     const cJSON *body, cJSON **resp, struct co_error *err)
{
	*resp = NULL;
	struct curl_slist *hd = NULL;
	/* One handle kept between calls: its connection stays open, so a
	 * client polling an apply does not connect every 5 ms. */
	if (!l->easy && !(l->easy = curl_easy_init())) {
		co_error_set(err, "cannot set up libcurl");
		return -1;
	}
	CURL *h = l->easy;
	curl_easy_reset(h);
	easy_setup(l, h, path, &hd);
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	struct answer a = { 0 };
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (text) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
		hd = curl_slist_append(hd, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)CALL_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hd);
	free(text);
	int out = -1;
	if (rc != CURLE_OK)
		co_error_set(err, "engine at %s: %s", engine_link_name(l),
			     a.too_big ? "answer too large" : curl_easy_strerror(rc));
	else if (!(*resp = a.buf ? cJSON_ParseWithLength(a.buf, a.len) : NULL))
		co_error_set(err, "engine at %s answered %ld with a body that is not JSON",
			     engine_link_name(l), status);
	else
		out = (int)status;
	free(a.buf);
	return out;
}

struct config *engine_link_config(struct engine_link *l, struct co_error *err)
{
	cJSON *r = NULL;
	int st = engine_link_call(l, "GET", "/v1/config", NULL, &r, err);
	if (st != 200) {
		if (st > 0)
			co_error_set(err, "engine at %s: GET /v1/config answered %d", engine_link_name(l), st);
		cJSON_Delete(r);
		return NULL;
	}
	char *text = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	struct diag_list d;
	diag_list_init(&d);
	char name[600];
	snprintf(name, sizeof name, "engine:%s", engine_link_name(l));
	struct config *cfg = text ? config_parse(name, text, strlen(text), &d) : NULL;
	if (!cfg)
		co_error_set(err, "the engine's config does not load here: %s",
			     d.n ? d.items[0].msg : "out of memory");
	diag_list_done(&d);
	free(text);
	return cfg;
}
