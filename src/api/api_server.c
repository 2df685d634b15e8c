#define _GNU_SOURCE	/* struct ucred, for SO_PEERCRED */
/* api_server: the listeners (unix socket, optional TCP + TLS), the limits,
 * who is asking, and the body of each request (see api.h). */
#include "api_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cutover/journal.h"
#include "../engine/engine_sock.h"

/* --- Who is asking -------------------------------------------------------- */

/* On the unix socket: the peer's user, from the kernel. */
static void unix_actor(struct api *a, struct MHD_Connection *c, struct engine_actor *who)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof cred;
	char user[64] = "unknown";
	if (ci && getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		struct passwd pw, *res = NULL;
		char buf[1024];
		if (getpwuid_r(cred.uid, &pw, buf, sizeof buf, &res) == 0 && res)
			snprintf(user, sizeof user, "%s", res->pw_name);
		else
			snprintf(user, sizeof user, "uid%u", (unsigned)cred.uid);
	}
	snprintf(who->name, sizeof who->name, "%s@%s", user, a->host);
	who->may_operate = true;	/* the socket's mode is the gate */
}

/* "console", "cli" or "api": what the client says it is, for the journal. */
static void client_kind(struct MHD_Connection *c, struct engine_actor *who)
{
	const char *k = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Cutover-Client");
	const char *kind = k && (strcmp(k, "console") == 0 || strcmp(k, "cli") == 0 ||
				 strcmp(k, "watch") == 0) ? k : "api";
	snprintf(who->kind, sizeof who->kind, "%s", kind);
	const char *s = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Cutover-Stream");
	who->client = s ? strtoull(s, NULL, 10) : 0;
}

/* On TCP: a bearer token; 0, or the status already queued. */
static int tcp_actor(struct api *a, struct MHD_Connection *c, const char *method,
		     struct engine_actor *who, enum MHD_Result *res)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *name = NULL;
	enum token_role role = ROLE_NONE;
	if (h && strncmp(h, "Bearer ", 7) == 0)
		role = tokens_check(a->tokens, h + 7, &name);
	if (role == ROLE_NONE) {
		*res = api_error(c, 401, h ? "the token is not known" : "a bearer token is required");
		return 401;
	}
	snprintf(who->name, sizeof who->name, "%s", name);
	who->may_operate = role == ROLE_OPERATE;
	who->by_token = true;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && !who->may_operate) {
		*res = api_error(c, 403, "a watch token may read but not act");
		return 403;
	}
	return 0;
}

/* --- Requests ------------------------------------------------------------- */

static bool body_add(struct request *rq, const char *data, size_t n)
{
	if (rq->too_large || rq->len + n > API_MAX_BODY) {
		rq->too_large = true;	/* read on, keep nothing, answer 413 */
		return true;
	}
	if (rq->len + n + 1 > rq->cap) {
		size_t cap = rq->cap ? rq->cap : 1024;
		while (cap < rq->len + n + 1)
			cap *= 2;
		char *b = realloc(rq->body, cap);
		if (!b)
			return false;
		rq->body = b;
		rq->cap = cap;
	}
	memcpy(rq->body + rq->len, data, n);
	rq->len += n;
	rq->body[rq->len] = '\0';
	return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct listener *l = cls;
	struct request *rq = *con_cls;
	if (!rq) {
		if (!(rq = calloc(1, sizeof *rq)))
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*data_size) {
		bool ok = body_add(rq, data, *data_size);
		*data_size = 0;
		return ok ? MHD_YES : MHD_NO;
	}
	if (rq->too_large)
		return api_error(c, 413, "the body is larger than the limit of 1 MiB");
	if (atomic_load(&l->conns) > l->api->max_clients)
		return api_error(c, 503, "too many connections to the engine; try again shortly");
	struct engine_actor who;
	memset(&who, 0, sizeof who);
	client_kind(c, &who);
	enum MHD_Result res;
	if (l->tcp) {
		if (tcp_actor(l->api, c, method, &who, &res))
			return res;
	} else {
		unix_actor(l->api, c, &who);
	}
	return api_route(l, c, url, method, rq, &who);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;
	if (!rq)
		return;
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct listener *l = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&l->conns, 1);
	else
		atomic_fetch_sub(&l->conns, 1);
}

/* --- Listeners ------------------------------------------------------------ */

static int start_daemon(struct listener *l, int fd, bool tls, struct co_error *err)
{
	struct api *a = l->api;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	if (tls)
		flags |= MHD_USE_TLS;
	/* The hard cap MHD enforces at accept sits above ours, so that the
	 * ones between get a 503 that says why instead of a closed socket. */
	unsigned int hard = (unsigned int)a->max_clients + 64;
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_LISTEN_SOCKET, fd, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, hard, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, API_TIMEOUT_S, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, l },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, l },
		{ tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, a->cert },
		{ tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, a->key },
		{ MHD_OPTION_END, 0, NULL },
	};
	l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l, MHD_OPTION_ARRAY, opts,
				MHD_OPTION_END);
	if (!l->d) {
		close(fd);
		co_error_set(err, "the HTTP server did not start%s", tls ? " (is the TLS key/cert pair valid?)" : "");
		return -1;
	}
	return 0;
}

static char *read_pem(const char *path, struct co_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		co_error_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!buf || !n) {
		free(buf);
		co_error_set(err, "%s: empty or unreadable", path);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int api_check_opts(const struct engine_opts *o, struct co_error *err)
{
	if (!o->listen)
		return 0;
	if (!o->tokens_path) {
		co_error_set(err, "--listen needs --tokens FILE: the TCP API never runs without tokens");
		return -1;
	}
	bool tls = o->tls_cert || o->tls_key;
	if (tls && (!o->tls_cert || !o->tls_key)) {
		co_error_set(err, "--tls-cert and --tls-key go together");
		return -1;
	}
	bool loopback = false;
	if (engine_sock_resolve(o->listen, &loopback, err) < 0)
		return -1;
	if (!tls && !loopback && !o->insecure_plaintext) {
		co_error_set(err, "refusing to listen on %s without TLS: tokens would cross the network "
			     "in clear text (give --tls-cert and --tls-key, or --insecure-plaintext)", o->listen);
		return -1;
	}
	return 0;
}

static int start_tcp(struct api *a, const struct engine_opts *o, struct co_error *err)
{
	if (api_check_opts(o, err) < 0 || tokens_load(o->tokens_path, &a->tokens, err) < 0)
		return -1;
	bool tls = o->tls_cert || o->tls_key;
	if (tls && (!(a->cert = read_pem(o->tls_cert, err)) || !(a->key = read_pem(o->tls_key, err))))
		return -1;
	bool loopback = false;
	int fd = engine_sock_listen_tcp(o->listen, &loopback, err);
	if (fd < 0)
		return -1;
	if (!tls && !loopback && !o->insecure_plaintext) {
		close(fd);
		co_error_set(err, "refusing to listen on %s without TLS: tokens would cross the network "
			     "in clear text (give --tls-cert and --tls-key, or --insecure-plaintext)", o->listen);
		return -1;
	}
	a->tcp_l.tcp = true;
	return start_daemon(&a->tcp_l, fd, tls, err);
}

int api_start(struct engine *e, const struct engine_opts *o, struct api **out, struct co_error *err)
{
	struct api *a = calloc(1, sizeof *a);
	if (!a) {
		co_error_set(err, "out of memory");
		return -1;
	}
	a->e = e;
	a->max_clients = o->max_clients > 0 ? o->max_clients : API_MAX_CLIENTS;
	a->unix_l.api = a->tcp_l.api = a;
	gethostname(a->host, sizeof a->host - 1);
	*out = a;
	if (!o->socket_path || o->socket_path[0]) {
		int fd = engine_sock_listen_unix(engine_config(e), o->socket_path, a->sock_path,
						 sizeof a->sock_path, err);
		if (fd < 0 || start_daemon(&a->unix_l, fd, false, err) < 0)
			return -1;
	}
	if (o->listen && start_tcp(a, o, err) < 0)
		return -1;
	return 0;
}

const char *api_socket_path(const struct api *a)
{
	return a ? a->sock_path : "";
}

void api_stop(struct api *a)
{
	if (!a)
		return;
	if (a->tcp_l.d)
		MHD_stop_daemon(a->tcp_l.d);
	if (a->unix_l.d) {
		MHD_stop_daemon(a->unix_l.d);
		unlink(a->sock_path);
	}
	tokens_free(a->tokens);
	free(a->cert);
	free(a->key);
	free(a);
}
