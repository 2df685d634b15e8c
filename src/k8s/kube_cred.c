/* kube_cred: an exec credential plugin run once (see kube_cred.h). The
 * contract is client-go's: the plugin's env entries on top of ours,
 * KUBERNETES_EXEC_INFO holding an ExecCredential with spec.interactive
 * false (stdin is /dev/null), and its stdout one ExecCredential of the same
 * apiVersion. */
#include "kube_cred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "../exec_run.h"
#include "../jobs/job_runs.h"

extern char **environ;

static char *exec_info(const struct kube_ctx *ctx)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", ctx->exec.api_version
				? ctx->exec.api_version : "client.authentication.k8s.io/v1");
	cJSON_AddStringToObject(o, "kind", "ExecCredential");
	cJSON *spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddBoolToObject(spec, "interactive", false);
	if (ctx->exec.provide_cluster_info) {
		cJSON *cl = cJSON_AddObjectToObject(spec, "cluster");
		cJSON_AddStringToObject(cl, "server", ctx->server ? ctx->server : "");
		if (ctx->insecure)
			cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify", true);
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Our environment, then the plugin's entries, then KUBERNETES_EXEC_INFO;
 * a later entry of the same name replaces an earlier one. */
static char **build_env(const struct kube_ctx *ctx, char *info_entry)
{
	size_t n = 0, k = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	for (char **e = ctx->exec.env; e && *e; e++)
		n++;
	char **env = calloc(n + 2, sizeof(char *));
	if (!env)
		return NULL;
	char *const *lists[] = { environ, ctx->exec.env };
	for (int l = 0; l < 2; l++) {
		for (char *const *e = lists[l]; e && *e; e++) {
			size_t nl = strcspn(*e, "=");
			size_t j;
			for (j = 0; j < k; j++)
				if (strncmp(env[j], *e, nl + 1) == 0)
					break;
			if (strncmp(*e, "KUBERNETES_EXEC_INFO=", 21) == 0)
				continue;
			env[j == k ? k++ : j] = *e;
		}
	}
	env[k++] = info_entry;
	env[k] = NULL;
	return env;
}

static char *dup_field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && *v->valuestring ? strdup(v->valuestring) : NULL;
}

static int parse_credential(const char *text, size_t len, struct kube_cred *out,
			    char *why, size_t cap)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status");
	int rc = -1;
	if (!root)
		snprintf(why, cap, "printed no JSON (expected an ExecCredential)");
	else if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "ExecCredential") != 0)
		snprintf(why, cap, "printed JSON whose kind is not ExecCredential");
	else if (!cJSON_IsObject(st))
		snprintf(why, cap, "ExecCredential has no status");
	else {
		out->token = dup_field(st, "token");
		out->cert = dup_field(st, "clientCertificateData");
		out->key = dup_field(st, "clientKeyData");
		char *exp = dup_field(st, "expirationTimestamp");
		out->expires = exp ? job_runs_time(exp) : 0;
		if (exp && out->expires < 0)
			snprintf(why, cap, "status.expirationTimestamp is not RFC 3339");
		else if (!out->token && !(out->cert && out->key))
			snprintf(why, cap, "status has neither token nor clientCertificateData and clientKeyData");
		else
			rc = 0;
		free(exp);
	}
	if (rc < 0)
		kube_cred_clear(out);
	cJSON_Delete(root);
	return rc;
}

int kube_cred_exec(const struct kube_ctx *ctx, int timeout_ms, struct kube_cred *out,
		   char *why, size_t cap)
{
	char said[200] = "", what[200];
	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof what, "exec plugin %.120s", ctx->exec.command);
	char *info = exec_info(ctx);
	size_t il = info ? strlen(info) + 22 : 0;
	char *entry = info ? malloc(il) : NULL;
	if (entry)
		snprintf(entry, il, "KUBERNETES_EXEC_INFO=%s", info);
	char **env = entry ? build_env(ctx, entry) : NULL;
	free(info);
	if (!env) {
		free(entry);
		snprintf(why, cap, "%s: out of memory", what);
		return -1;
	}
	struct exec_job j = { .argv = ctx->exec.argv, .envp = env };
	exec_run(&j, 1, 1, timeout_ms);
	int rc = -1;
	if (j.err.len)
		exec_excerpt(j.err.data, j.err.len, said, sizeof said);
	if (j.end == EXEC_EXITED && j.code == 0) {
		char detail[160];
		rc = parse_credential(j.out.data ? j.out.data : "", j.out.len, out, detail, sizeof detail);
		if (rc < 0)
			snprintf(why, cap, "%s: %s", what, detail);
	} else if (j.end == EXEC_EXITED) {
		snprintf(why, cap, "%s: exit %d%s%s", what, j.code, said[0] ? ": " : "", said);
	} else if (j.end == EXEC_TIMED_OUT) {
		snprintf(why, cap, "%s: timed out after %d ms", what, timeout_ms);
	} else if (j.end == EXEC_SIGNALED) {
		snprintf(why, cap, "%s: killed by signal %d", what, j.code);
	} else {
		snprintf(why, cap, "%s: cannot run it: %s", what, strerror(j.code));
	}
	if (j.out.data)
		OPENSSL_cleanse(j.out.data, j.out.len);
	exec_job_done(&j);
	free(env);
	free(entry);
	return rc;
}

static void wipe(char **s)
{
	if (*s)
		OPENSSL_cleanse(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

void kube_cred_clear(struct kube_cred *c)
{
	wipe(&c->token);
	wipe(&c->cert);
	wipe(&c->key);
	c->expires = 0;
}
