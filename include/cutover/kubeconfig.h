/* kubeconfig: where a Kubernetes API is and how to prove who we are, read
 * from a kubeconfig file (YAML, through libyaml) or from inside a pod (the
 * service account's files). The first part of the kubernetes driver (issue
 * 12); nothing here talks to the API yet. */
#ifndef CUTOVER_KUBECONFIG_H
#define CUTOVER_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cutover/error.h"

/* An exec credential plugin (users[].user.exec), run without a shell. */
struct kube_exec {
	char *command;
	char **argv;		/* command, then args; NULL-terminated */
	char **env;		/* "NAME=value", NULL-terminated */
	char *api_version;	/* client.authentication.k8s.io/v1 or v1beta1 */
	bool provide_cluster_info;
};

/* One resolved context: the cluster and the user it names. Byte fields
 * (*_data) hold the decoded PEM, not base64. Secrets (token, key) must
 * never be printed; kube_ctx_describe says what is used without them. */
struct kube_ctx {
	char *file;		/* the kubeconfig it came from, or "in-cluster" */
	char *context;		/* the context's name */
	char *server;		/* https://host:port */
	char *tls_server_name;
	char *ca_data;		/* PEM */
	size_t ca_len;
	char *ca_file;
	bool insecure;		/* insecure-skip-tls-verify: shown as a warning */
	char *user;		/* the user entry's name */
	char *token;		/* a bearer token */
	char *token_file;	/* read again on each use (rotated tokens) */
	char *cert_data, *key_data;	/* PEM */
	size_t cert_len, key_len;
	char *cert_file, *key_file;
	bool has_exec;
	struct kube_exec exec;
	char *namespace;	/* the context's namespace, or "default" */
};

/* The kubeconfig file to read: path if given, else the first of
 * $KUBECONFIG's colon-separated list that exists, else ~/.kube/config.
 * Returns a malloc'd path, or NULL with err. */
char *kubeconfig_path(const char *path, struct co_error *err);

/* Reads file and resolves context (NULL: its current-context). On error,
 * err names the file, line and column, and the key (for example
 * "~/.kube/config:12:7: users[0].user.client-certificate-data: not
 * base64"). Returns 0 or -1. */
int kubeconfig_load(const char *file, const char *context, struct kube_ctx *out,
		    struct co_error *err);

/* Inside a pod: the service account's token, CA and namespace under dir
 * (NULL: /var/run/secrets/kubernetes.io/serviceaccount) and the server
 * from KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT_HTTPS (or
 * _PORT). Returns 0, or -1 with err saying what is missing. */
int kubeconfig_in_cluster(const char *dir, struct kube_ctx *out, struct co_error *err);

/* "context prod (cluster https://...:443, user eks-admin: exec aws; CA from
 * data)", never a secret. */
void kube_ctx_describe(const struct kube_ctx *c, char *out, size_t cap);

void kube_ctx_free(struct kube_ctx *c);

#endif
