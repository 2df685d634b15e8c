/* incluster: a context from inside a pod, the way client-go's
 * InClusterConfig builds it: the service account's token, CA and
 * namespace files, and the API's address from the environment. */
#include "cutover/kubeconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* A small file whole (a token, a CA, a namespace): at most 1 MiB. */
static char *read_small(const char *path, size_t *len, struct co_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		co_error_set(err, "in-cluster: %s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc((1u << 20) + 1);
	size_t n = buf ? fread(buf, 1, 1u << 20, f) : 0;
	fclose(f);
	if (!buf || n == 0) {
		co_error_set(err, "in-cluster: %s: %s", path, buf ? "empty" : "out of memory");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	*len = n;
	return buf;
}

int kubeconfig_in_cluster(const char *dir, struct kube_ctx *out, struct co_error *err)
{
	memset(out, 0, sizeof *out);
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT_HTTPS");
	if (!port || !*port)
		port = getenv("KUBERNETES_SERVICE_PORT");
	if (!host || !*host || !port || !*port) {
		co_error_set(err, "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT(_HTTPS) "
			     "are not set: not inside a pod");
		return -1;
	}
	char path[4096], server[600];
	const char *d = dir ? dir : SA_DIR;
	/* An IPv6 address goes in brackets, as client-go's JoinHostPort does. */
	snprintf(server, sizeof server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	size_t len;
	snprintf(path, sizeof path, "%s/token", d);
	out->token_file = strdup(path);	/* read at each use: kubelet rotates it */
	char *token = read_small(path, &len, err);
	if (!token)
		goto fail;
	free(token);
	snprintf(path, sizeof path, "%s/ca.crt", d);
	if (!(out->ca_data = read_small(path, &out->ca_len, err)))
		goto fail;
	snprintf(path, sizeof path, "%s/namespace", d);
	struct co_error ignored;
	out->namespace = read_small(path, &len, &ignored);
	if (!out->namespace)
		out->namespace = strdup("default");
	out->server = strdup(server);
	out->file = strdup("in-cluster");
	out->context = strdup("in-cluster");
	out->user = strdup("serviceaccount");
	if (out->server && out->file && out->context && out->user && out->namespace)
		return 0;
	co_error_set(err, "out of memory");
fail:
	kube_ctx_free(out);
	return -1;
}
