/* kube_client: one API server's calls over libcurl (see kube_client.h). */
#include "kube_client.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "kube_cred.h"

#define BODY_MAX (8 * 1024 * 1024)	/* a list of every Job of a namespace fits */
#define EXPIRY_MARGIN_S 10		/* mint a token this long before it expires */

struct kube_client {
	struct kube_ctx ctx;
	int timeout_ms;
	pthread_mutex_t lock;		/* guards cred */
	struct kube_cred cred;		/* from the exec plugin; empty until first use */
	_Atomic bool healthy;		/* the last call's answer (kube_client_healthy) */
};

struct body {
	char *data;
	size_t len;
	bool cut;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct body *b = ud;
	size_t len = sz * n;
	if (b->len + len > BODY_MAX) {
		b->cut = true;
		return 0;
	}
	char *d = realloc(b->data, b->len + len + 1);
	if (!d)
		return 0;
	memcpy(d + b->len, p, len);
	b->data = d;
	b->len += len;
	d[b->len] = 0;
	return len;
}

struct kube_client *kube_client_open(struct kube_ctx *ctx, int timeout_ms, struct co_error *err)
{
	struct kube_client *c = calloc(1, sizeof(*c));
	if (!c) {
		co_error_set(err, "out of memory");
		kube_ctx_free(ctx);
		return NULL;
	}
	c->ctx = *ctx;
	memset(ctx, 0, sizeof(*ctx));
	c->timeout_ms = timeout_ms;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void kube_client_free(struct kube_client *c)
{
	if (!c)
		return;
	kube_cred_clear(&c->cred);
	kube_ctx_free(&c->ctx);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

const char *kube_client_context(const struct kube_client *c)
{
	return c->ctx.context ? c->ctx.context : "?";
}

const char *kube_client_user(const struct kube_client *c)
{
	return c->ctx.user ? c->ctx.user : "?";
}

const struct kube_ctx *kube_client_ctx(const struct kube_client *c)
{
	return &c->ctx;
}

bool kube_client_healthy(const struct kube_client *c)
{
	return c->healthy;
}

/* --- credentials --------------------------------------------------------- */

/* A token read from a file (rotated tokens: read on every call). */
static char *read_token_file(const char *path, char *why, size_t cap)
{
	FILE *f = fopen(path, "r");
	char buf[16384];
	if (!f) {
		snprintf(why, cap, "tokenFile %.200s: %s", path, strerror(errno));
		return NULL;
	}
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = 0;
	char *t = n ? strdup(buf) : NULL;
	OPENSSL_cleanse(buf, sizeof buf);
	if (!t)
		snprintf(why, cap, "tokenFile %.200s is empty", path);
	return t;
}

/* What this call authenticates with, copied so the lock is not held over
 * the request. A plugin runs when there is no credential, it expires
 * within the margin, or a 401 said it is no longer good (renew). */
static int credentials(struct kube_client *c, bool renew, struct kube_cred *out,
		       char *why, size_t cap)
{
	memset(out, 0, sizeof(*out));
	if (c->ctx.token_file) {
		out->token = read_token_file(c->ctx.token_file, why, cap);
		return out->token ? 0 : -1;
	}
	if (!c->ctx.has_exec) {
		out->token = c->ctx.token ? strdup(c->ctx.token) : NULL;
		return 0;
	}
	pthread_mutex_lock(&c->lock);
	bool have = c->cred.token || c->cred.cert;
	bool stale = c->cred.expires > 0 && c->cred.expires - EXPIRY_MARGIN_S <= (double)time(NULL);
	int rc = 0;
	if (!have || stale || renew) {
		kube_cred_clear(&c->cred);
		rc = kube_cred_exec(&c->ctx, c->timeout_ms, &c->cred, why, cap);
	}
	if (rc == 0) {
		out->token = c->cred.token ? strdup(c->cred.token) : NULL;
		out->cert = c->cred.cert ? strdup(c->cred.cert) : NULL;
		out->key = c->cred.key ? strdup(c->cred.key) : NULL;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static void set_blob(CURL *h, CURLoption opt, const char *data, size_t len)
{
	struct curl_blob b = { .data = (void *)data, .len = len, .flags = CURL_BLOB_COPY };
	curl_easy_setopt(h, opt, &b);
}

static void set_tls(CURL *h, const struct kube_ctx *x, const struct kube_cred *cr)
{
	if (x->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (x->ca_data) {
		set_blob(h, CURLOPT_CAINFO_BLOB, x->ca_data, x->ca_len);
	} else if (x->ca_file) {
		curl_easy_setopt(h, CURLOPT_CAINFO, x->ca_file);
	}
	const char *cert = cr->cert ? cr->cert : x->cert_data;
	const char *key = cr->cert ? cr->key : x->key_data;
	if (cert && key) {
		set_blob(h, CURLOPT_SSLCERT_BLOB, cert, strlen(cert));
		set_blob(h, CURLOPT_SSLKEY_BLOB, key, strlen(key));
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (x->cert_file && x->key_file) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, x->cert_file);
		curl_easy_setopt(h, CURLOPT_SSLKEY, x->key_file);
	}
}

/* --- one request --------------------------------------------------------- */

static void read_status(struct kube_reply *rep)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(rep->body, "kind");
	if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "Status") != 0)
		return;
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(rep->body, "message");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(rep->body, "reason");
	if (cJSON_IsString(msg))
		snprintf(rep->message, sizeof rep->message, "%s", msg->valuestring);
	if (cJSON_IsString(reason))
		snprintf(rep->reason, sizeof rep->reason, "%s", reason->valuestring);
	/* A failed JSON-patch test says which in its causes. */
	const cJSON *causes = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(rep->body, "details"), "causes");
	const cJSON *c0 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(causes, 0), "message");
	size_t n = strlen(rep->message);
	if (cJSON_IsString(c0) && !strstr(rep->message, c0->valuestring) && n + 4 < sizeof rep->message)
		snprintf(rep->message + n, sizeof rep->message - n, " (%s)", c0->valuestring);
}

static int perform(struct kube_client *c, const struct kube_cred *cr, const char *method,
		   const char *path, const char *ctype, const char *body, struct kube_reply *rep)
{
	CURL *h = curl_easy_init();
	struct body b = { 0 };
	struct curl_slist *hdr = NULL;
	char url[2048], auth[8192 + 32];
	if (!h) {
		snprintf(rep->message, sizeof rep->message, "cannot start a request (curl)");
		return -1;
	}
	snprintf(url, sizeof url, "%s%s", c->ctx.server, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	set_tls(h, &c->ctx, cr);
	hdr = curl_slist_append(hdr, "Accept: application/json");
	if (cr->token && strlen(cr->token) < 8192) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", cr->token);
		hdr = curl_slist_append(hdr, auth);
		OPENSSL_cleanse(auth, sizeof auth);
	}
	if (body) {
		char ct[128];
		snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
		hdr = curl_slist_append(hdr, ct);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	CURLcode cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rep->status);
	else
		snprintf(rep->message, sizeof rep->message, "%s", b.cut
			 ? "answer larger than 8 MiB" : curl_easy_strerror(cc));
	for (struct curl_slist *s = hdr; s; s = s->next)
		OPENSSL_cleanse(s->data, strlen(s->data));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (b.data)
		rep->body = cJSON_ParseWithLength(b.data, b.len);
	if (rep->status && (rep->status < 200 || rep->status > 299)) {
		read_status(rep);
		if (!rep->message[0] && b.data)	/* not a Status: a proxy's page */
			snprintf(rep->message, sizeof rep->message, "%.*s", 160, b.data);
	} else if (rep->status && !rep->body) {
		snprintf(rep->message, sizeof rep->message, "answer is not JSON");
		rep->status = 0;
	}
	free(b.data);
	return rep->status >= 200 && rep->status <= 299 ? 0 : -1;
}

int kube_call(struct kube_client *c, const char *method, const char *path,
	      const char *content_type, const char *body, struct kube_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	for (int attempt = 0; attempt < 2; attempt++) {
		struct kube_cred cr;
		if (credentials(c, attempt > 0, &cr, rep->message, sizeof rep->message) < 0) {
			c->healthy = false;
			return -1;
		}
		int rc = perform(c, &cr, method, path, content_type, body, rep);
		kube_cred_clear(&cr);
		c->healthy = rep->status != 0 && rep->status != 401 && rep->status < 500;
		/* Only a plugin's token can be renewed; another 401 is final. */
		if (rc == 0 || rep->status != 401 || !c->ctx.has_exec || attempt > 0)
			return rc;
		kube_reply_free(rep);
	}
	return -1;
}

void kube_reply_free(struct kube_reply *rep)
{
	cJSON_Delete(rep->body);
	memset(rep, 0, sizeof(*rep));
}

static const char *status_words(long s)
{
	switch (s) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "";
}

void kube_reply_describe(const struct kube_client *c, const char *verb, const char *object,
			 const struct kube_reply *rep, char *out, size_t cap)
{
	char st[48] = "";
	if (rep->status)
		snprintf(st, sizeof st, "%ld %s: ", rep->status, status_words(rep->status));
	snprintf(out, cap, "kubernetes context %s (user %s): %s %s: %s%s", kube_client_context(c),
		 kube_client_user(c), verb, object, st, rep->message[0] ? rep->message : "no answer");
}

bool kube_reply_precondition(const struct kube_reply *rep)
{
	if (rep->status == 409)
		return true;
	if (rep->status == 422 && strstr(rep->message, "test failed"))
		return true;
	return rep->status == 500 && (strstr(rep->message, "test failed") ||
				      (strstr(rep->message, "Testing value") && strstr(rep->message, "failed")));
}
