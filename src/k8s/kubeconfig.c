/* kubeconfig: a context resolved from a kubeconfig file (see kubeconfig.h).
 * The file's shape is kubectl's (clientcmd v1 Config): contexts, clusters
 * and users are lists of {name, context|cluster|user}; relative file paths
 * are relative to the kubeconfig's own directory. */
#include "cutover/kubeconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "yaml_tree.h"

#define PATH_CAP 96

struct reader {
	struct ytree t;
	struct co_error *err;
	bool failed;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A scalar under map, or NULL; a key that is there but not a scalar is an
 * error naming it. */
static const char *text_at(struct reader *r, yaml_node_t *map, const char *key, const char *path)
{
	yaml_node_t *n = ytree_get(&r->t, map, key);
	const char *s = ytree_text(n);
	if (n && !s && !r->failed) {
		char p[PATH_CAP + 64];
		snprintf(p, sizeof p, "%s.%s", path, key);
		ytree_error(&r->t, n, p, r->err, "expected a string");
		r->failed = true;
	}
	return s;
}

static bool bool_at(struct reader *r, yaml_node_t *map, const char *key, const char *path)
{
	const char *s = text_at(r, map, key, path);
	if (!s)
		return false;
	if (strcmp(s, "true") == 0)
		return true;
	if (strcmp(s, "false") != 0 && !r->failed) {
		char p[PATH_CAP + 64];
		snprintf(p, sizeof p, "%s.%s", path, key);
		ytree_error(&r->t, ytree_get(&r->t, map, key), p, r->err, "expected true or false, not '%.40s'", s);
		r->failed = true;
	}
	return false;
}

/* Decodes base64 (whitespace ignored) with libcrypto. */
static char *unbase64(struct reader *r, yaml_node_t *map, const char *key, const char *path,
		      size_t *len)
{
	const char *s = text_at(r, map, key, path);
	if (!s)
		return NULL;
	size_t n = strlen(s), k = 0;
	char *clean = malloc(n + 1);
	unsigned char *out = malloc(n / 4 * 3 + 4);
	if (!clean || !out) {
		free(clean);
		free(out);
		co_error_set(r->err, "out of memory");
		r->failed = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			clean[k++] = s[i];
	clean[k] = '\0';
	int got = k % 4 == 0 && k ? EVP_DecodeBlock(out, (unsigned char *)clean, (int)k) : -1;
	if (got >= 0) {	/* EVP_DecodeBlock counts the padding's bytes too */
		got -= (k >= 1 && clean[k - 1] == '=') + (k >= 2 && clean[k - 2] == '=');
		out[got] = '\0';
		*len = (size_t)got;
	}
	free(clean);
	if (got < 0) {
		if (!r->failed) {
			char p[PATH_CAP + 64];
			snprintf(p, sizeof p, "%s.%s", path, key);
			ytree_error(&r->t, ytree_get(&r->t, map, key), p, r->err, "not base64");
		}
		r->failed = true;
		free(out);
		return NULL;
	}
	return (char *)out;
}

/* A file path from the kubeconfig, relative to the kubeconfig's folder. */
static char *path_at(struct reader *r, yaml_node_t *map, const char *key, const char *path)
{
	const char *s = text_at(r, map, key, path);
	if (!s || !*s || s[0] == '/')
		return dup_or_null(s && *s ? s : NULL);
	const char *slash = strrchr(r->t.file, '/');
	size_t dir = slash ? (size_t)(slash - r->t.file) + 1 : 0;
	char *out = malloc(dir + strlen(s) + 1);
	if (out) {
		memcpy(out, r->t.file, dir);
		strcpy(out + dir, s);
	}
	return out;
}

/* root[list] item whose name is `name`; *inner its `field` map; path gets
 * "list[i].field". NULL with err when there is none. */
static yaml_node_t *named(struct reader *r, const char *list, const char *field, const char *name,
			  char *path, size_t cap)
{
	yaml_node_t *seq = ytree_get(&r->t, ytree_root(&r->t), list);
	for (size_t i = 0;; i++) {
		yaml_node_t *it = ytree_item(&r->t, seq, i);
		if (!it)
			break;
		const char *n = ytree_text(ytree_get(&r->t, it, "name"));
		if (!n || strcmp(n, name) != 0)
			continue;
		snprintf(path, cap, "%s[%zu].%s", list, i, field);
		yaml_node_t *in = ytree_get(&r->t, it, field);
		if (!in || in->type != YAML_MAPPING_NODE) {
			ytree_error(&r->t, in ? in : it, path, r->err, "expected a mapping");
			r->failed = true;
			return NULL;
		}
		return in;
	}
	ytree_error(&r->t, seq, NULL, r->err, "no %.*s named '%s' (%s)", (int)strlen(list) - 1, list,
		    name, seq ? "not in its list" : "the file has no list of them");
	r->failed = true;
	return NULL;
}

static void read_cluster(struct reader *r, yaml_node_t *c, const char *path, struct kube_ctx *out)
{
	out->server = dup_or_null(text_at(r, c, "server", path));
	out->tls_server_name = dup_or_null(text_at(r, c, "tls-server-name", path));
	out->ca_data = unbase64(r, c, "certificate-authority-data", path, &out->ca_len);
	out->ca_file = path_at(r, c, "certificate-authority", path);
	out->insecure = bool_at(r, c, "insecure-skip-tls-verify", path);
	if (!r->failed && (!out->server || strncmp(out->server, "https://", 8) != 0)) {
		char p[PATH_CAP + 16];
		snprintf(p, sizeof p, "%s.server", path);
		ytree_error(&r->t, out->server ? ytree_get(&r->t, c, "server") : c, p, r->err,
			    out->server ? "expected an https:// URL" : "missing");
		r->failed = true;
	}
}

/* A list of strings, NULL-terminated, with first put before them. */
static char **strings(struct reader *r, yaml_node_t *seq, const char *first)
{
	size_t n = seq && seq->type == YAML_SEQUENCE_NODE
		? (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start) : 0;
	char **v = calloc(n + 2, sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	if (first)
		v[k++] = strdup(first);
	for (size_t i = 0; i < n; i++) {
		const char *s = ytree_text(ytree_item(&r->t, seq, i));
		if (s)
			v[k++] = strdup(s);
	}
	return v;
}

static void read_exec(struct reader *r, yaml_node_t *e, const char *path, struct kube_exec *x)
{
	x->command = dup_or_null(text_at(r, e, "command", path));
	x->api_version = dup_or_null(text_at(r, e, "apiVersion", path));
	x->provide_cluster_info = bool_at(r, e, "provideClusterInfo", path);
	x->argv = strings(r, ytree_get(&r->t, e, "args"), x->command);
	yaml_node_t *env = ytree_get(&r->t, e, "env");
	size_t n = env && env->type == YAML_SEQUENCE_NODE
		? (size_t)(env->data.sequence.items.top - env->data.sequence.items.start) : 0;
	x->env = calloc(n + 1, sizeof *x->env);
	for (size_t i = 0, k = 0; x->env && i < n; i++) {
		yaml_node_t *it = ytree_item(&r->t, env, i);
		const char *name = ytree_text(ytree_get(&r->t, it, "name"));
		const char *value = ytree_text(ytree_get(&r->t, it, "value"));
		if (!name || !value)
			continue;
		size_t len = strlen(name) + strlen(value) + 2;
		if ((x->env[k] = malloc(len)))
			snprintf(x->env[k++], len, "%s=%s", name, value);
	}
	if (!r->failed && !x->command) {
		ytree_error(&r->t, e, path, r->err, "exec: command is missing");
		r->failed = true;
	}
}

static void read_user(struct reader *r, yaml_node_t *u, const char *path, struct kube_ctx *out)
{
	out->token = dup_or_null(text_at(r, u, "token", path));
	out->token_file = path_at(r, u, "tokenFile", path);
	out->cert_data = unbase64(r, u, "client-certificate-data", path, &out->cert_len);
	out->key_data = unbase64(r, u, "client-key-data", path, &out->key_len);
	out->cert_file = path_at(r, u, "client-certificate", path);
	out->key_file = path_at(r, u, "client-key", path);
	yaml_node_t *e = ytree_get(&r->t, u, "exec");
	if (e) {
		char p[PATH_CAP + 8];
		snprintf(p, sizeof p, "%s.exec", path);
		out->has_exec = true;
		read_exec(r, e, p, &out->exec);
	}
}

int kubeconfig_load(const char *file, const char *context, struct kube_ctx *out,
		    struct co_error *err)
{
	struct reader r = { .err = err };
	memset(out, 0, sizeof *out);
	if (ytree_load(&r.t, file, err) < 0) {
		ytree_free(&r.t);
		return -1;
	}
	yaml_node_t *root = ytree_root(&r.t);
	const char *name = context ? context : text_at(&r, root, "current-context", "");
	char cpath[PATH_CAP], lpath[PATH_CAP], upath[PATH_CAP];
	yaml_node_t *ctx = NULL, *cl = NULL, *us = NULL;
	if (!name || !*name) {
		ytree_error(&r.t, root, NULL, err, "no current-context, and none was given (router.context)");
		r.failed = true;
	}
	if (!r.failed)
		ctx = named(&r, "contexts", "context", name, cpath, sizeof cpath);
	const char *cluster = ctx ? text_at(&r, ctx, "cluster", cpath) : NULL;
	const char *user = ctx ? text_at(&r, ctx, "user", cpath) : NULL;
	if (ctx && !r.failed && (!cluster || !user)) {
		ytree_error(&r.t, ctx, cpath, err, "names no %s", cluster ? "user" : "cluster");
		r.failed = true;
	}
	if (!r.failed && (cl = named(&r, "clusters", "cluster", cluster, lpath, sizeof lpath)))
		read_cluster(&r, cl, lpath, out);
	if (!r.failed && (us = named(&r, "users", "user", user, upath, sizeof upath)))
		read_user(&r, us, upath, out);
	if (!r.failed) {
		const char *ns = text_at(&r, ctx, "namespace", cpath);
		out->namespace = strdup(ns && *ns ? ns : "default");
		out->file = strdup(file);
		out->context = strdup(name);
		out->user = strdup(user);
	}
	ytree_free(&r.t);
	if (r.failed || !out->namespace || !out->file || !out->context || !out->user) {
		if (!r.failed)
			co_error_set(err, "out of memory");
		kube_ctx_free(out);
		return -1;
	}
	return 0;
}

char *kubeconfig_path(const char *path, struct co_error *err)
{
	const char *home = getenv("HOME");
	if (path && path[0] == '~' && path[1] == '/') {	/* as kubectl's --kubeconfig does */
		if (!home) {
			co_error_set(err, "%s: HOME is not set, so ~ means nothing", path);
			return NULL;
		}
		char *full = malloc(strlen(home) + strlen(path));
		if (full)
			sprintf(full, "%s%s", home, path + 1);
		return full;
	}
	if (path && *path)
		return strdup(path);
	const char *list = getenv("KUBECONFIG");
	struct stat st;
	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ":");
		char one[4096];
		if (n && n < sizeof one) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (stat(one, &st) == 0)
				return strdup(one);
		}
		p += n + (p[n] == ':');
	}
	char def[4096];
	snprintf(def, sizeof def, "%s/.kube/config", home ? home : "");
	if (home && stat(def, &st) == 0)
		return strdup(def);
	co_error_set(err, "no kubeconfig: router.kubeconfig is not set, $KUBECONFIG names no file "
		     "that exists, and there is no ~/.kube/config");
	return NULL;
}

void kube_ctx_describe(const struct kube_ctx *c, char *out, size_t cap)
{
	const char *auth = c->has_exec ? "exec " : c->token ? "token" : c->token_file ? "token file"
			 : c->cert_data || c->cert_file ? "client certificate" : "no credentials";
	snprintf(out, cap, "context %s (cluster %s, user %s: %s%s; %s)", c->context ? c->context : "-",
		 c->server ? c->server : "-", c->user ? c->user : "-", auth,
		 c->has_exec && c->exec.command ? c->exec.command : "",
		 c->insecure ? "TLS NOT VERIFIED (insecure-skip-tls-verify)"
		 : c->ca_data ? "CA from data" : c->ca_file ? "CA from file" : "system CAs");
}

static void free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void kube_ctx_free(struct kube_ctx *c)
{
	/* Secrets do not linger in freed memory. */
	if (c->token)
		OPENSSL_cleanse(c->token, strlen(c->token));
	if (c->key_data)
		OPENSSL_cleanse(c->key_data, c->key_len);
	char *fields[] = { c->file, c->context, c->server, c->tls_server_name, c->ca_data,
			   c->ca_file, c->user, c->token, c->token_file, c->cert_data, c->key_data,
			   c->cert_file, c->key_file, c->namespace, c->exec.command, c->exec.api_version };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		free(fields[i]);
	free_list(c->exec.argv);
	free_list(c->exec.env);
	memset(c, 0, sizeof *c);
}
