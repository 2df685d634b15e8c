/* kube_cred: credentials from an exec plugin (users[].user.exec, e.g. `aws
 * eks get-token`): run without a shell, with KUBERNETES_EXEC_INFO set, its
 * ExecCredential read for status.token or a client certificate and
 * status.expirationTimestamp. Private to src/k8s. */
#ifndef CUTOVER_KUBE_CRED_H
#define CUTOVER_KUBE_CRED_H

#include <stddef.h>

#include "cutover/kubeconfig.h"

struct kube_cred {
	char *token;		/* NULL when the plugin gave a certificate */
	char *cert, *key;	/* PEM */
	double expires;		/* epoch s; 0: no expiry given (kept until a 401) */
};

/* Runs the plugin of ctx, bounded by timeout_ms. Returns 0, or -1 with why
 * ("exec plugin aws: exit 255: <its first lines of stderr>"). */
int kube_cred_exec(const struct kube_ctx *ctx, int timeout_ms, struct kube_cred *out,
		   char *why, size_t cap);

/* Wipes and frees the secrets. */
void kube_cred_clear(struct kube_cred *c);

#endif
