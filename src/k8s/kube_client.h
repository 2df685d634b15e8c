/* kube_client: HTTPS calls to one Kubernetes API server (one context) with
 * libcurl and cJSON: TLS from the context (CA data or file, client
 * certificate, insecure-skip-tls-verify), a bearer token (literal, from a
 * file read on each call, or from an exec credential plugin cached until its
 * expirationTimestamp and minted again on a 401). Safe from several threads:
 * each call has its own easy handle; the credential cache has a lock.
 * Private to src/k8s. */
#ifndef CUTOVER_KUBE_CLIENT_H
#define CUTOVER_KUBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cutover/error.h"
#include "cutover/kubeconfig.h"

struct kube_client;

/* One answer. status 0: no HTTP answer (message says why). For an error
 * status, message is the API's Status message verbatim and reason its
 * reason ("Conflict", "Invalid", ...). */
struct kube_reply {
	long status;
	cJSON *body;		/* the parsed JSON body, or NULL */
	char reason[48];
	char message[400];
};

/* Takes ctx over (it is freed with the client). timeout_ms bounds each
 * call, and each exec plugin run. */
struct kube_client *kube_client_open(struct kube_ctx *ctx, int timeout_ms, struct co_error *err);
void kube_client_free(struct kube_client *c);

/* "main" and "alice" (the user entry), for error lines. */
const char *kube_client_context(const struct kube_client *c);
const char *kube_client_user(const struct kube_client *c);
const struct kube_ctx *kube_client_ctx(const struct kube_client *c);

/* Whether the last call had an answer that was not 401 or 5xx: false means
 * the server or our credentials fail, not one object. */
bool kube_client_healthy(const struct kube_client *c);

/* method "GET" or "PATCH"; path from "/api..." with any query; body NULL
 * for a GET, with its content type. Returns 0 for a 2xx answer with a
 * JSON body, else -1 with rep filled. A 401 mints a new exec credential
 * and tries once more. Free with kube_reply_free. */
int kube_call(struct kube_client *c, const char *method, const char *path,
	      const char *content_type, const char *body, struct kube_reply *rep);
void kube_reply_free(struct kube_reply *rep);

/* A failed call as one line naming the context, the user, the verb and the
 * object: "kubernetes context main (user alice): patch services shop/web:
 * 403 Forbidden: <the API's message>". */
void kube_reply_describe(const struct kube_client *c, const char *verb, const char *object,
			 const struct kube_reply *rep, char *out, size_t cap);

/* Whether a failed write was a precondition that a fresh read may fix: 409
 * Conflict, a JSON-patch test that failed (422, or 500 "Testing value ...
 * failed" / "test failed" from servers before 1.13). */
bool kube_reply_precondition(const struct kube_reply *rep);

#endif
