/* config_router: the router section — driver, haproxy sockets, exec argv. */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static const char *const router_keys[] = {
	"driver", "sockets", "timeout_ms", "exec", "kubeconfig", "context", NULL
};
static const char *const exec_keys[] = { "set", "get", "timeout_ms", NULL };
static const char *const placeholders[] = {
	"{service}", "{weight}", "{backend}", "{group}", "{kind}", NULL
};

static int parse_port(const char *s)
{
	long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 65535)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

/* "/run/haproxy.sock", "./x.sock", "host:port" or "[::1]:port". Returns an
 * error text or NULL. */
static const char *parse_socket(const char *text, struct socket_conf *sc)
{
	sc->text = strdup(text);
	if (text[0] == '/' || text[0] == '.') {
		sc->is_unix = true;
		return strlen(text) < sizeof(((struct sockaddr_un *)0)->sun_path) ? NULL
			: "unix socket path is too long (at most 107 bytes)";
	}
	const char *colon = strrchr(text, ':');
	if (!colon)
		return "expected a unix socket path (starting with '/') or host:port";
	const char *h = text, *he = colon;
	if (h[0] == '[') {	/* [v6]:port */
		if (he - h < 3 || he[-1] != ']')
			return "bad IPv6 address; write it as [::1]:9999";
		h++;
		he--;
	} else if (memchr(h, ':', (size_t)(he - h))) {
		return "an IPv6 address needs brackets: [::1]:9999";
	}
	if (he == h)
		return "missing host before ':'";
	if (parse_port(colon + 1) < 0)
		return "port must be a number from 1 to 65535";
	sc->host = strndup(h, (size_t)(he - h));
	sc->port = strdup(colon + 1);
	return NULL;
}

static void read_sockets(struct cfg_reader *r, const cJSON *o, struct router_conf *rc)
{
	char p[CFG_PATH_MAX];
	const cJSON *a = cfg_array(r, o, "sockets", "router", rc->driver == DRIVER_HAPROXY);
	if (!a) {
		return;
	}
	size_t n = (size_t)cJSON_GetArraySize(a), i = 0;
	if (n == 0 && rc->driver == DRIVER_HAPROXY)
		cfg_diag(r, a, false, "router.sockets", "the haproxy driver needs at least one socket");
	rc->sockets = calloc(n ? n : 1, sizeof(*rc->sockets));
	if (!rc->sockets)
		return;
	for (const cJSON *c = a->child; c; c = c->next, i++) {
		cfg_path_index(p, "router.sockets", i);
		if (!cJSON_IsString(c)) {
			cfg_diag(r, c, false, p, "expected a string (a unix path or host:port)");
			continue;
		}
		struct socket_conf *sc = &rc->sockets[rc->n_sockets];
		const char *why = parse_socket(c->valuestring, sc);
		rc->n_sockets++;
		if (why)
			cfg_diag(r, c, false, p, "'%s': %s", c->valuestring, why);
		for (size_t j = 0; j + 1 < rc->n_sockets; j++)
			if (strcmp(rc->sockets[j].text, c->valuestring) == 0)
				cfg_diag(r, c, false, p, "'%s' is listed twice", c->valuestring);
	}
}

static void check_template(struct cfg_reader *r, const cJSON *node, const char *path,
			   char **argv, size_t n, bool need_weight)
{
	bool has_weight = false;
	if (n == 0 || !argv[0][0]) {
		cfg_diag(r, node, false, path, "needs a program path as its first element");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		for (const char *b = strchr(argv[i], '{'); b; b = strchr(b + 1, '{')) {
			size_t k;
			for (k = 0; placeholders[k]; k++)
				if (strncmp(b, placeholders[k], strlen(placeholders[k])) == 0)
					break;
			if (!placeholders[k])
				cfg_diag(r, node, false, path,
					 "unknown placeholder in '%s' (known: {service} {weight} {backend} {group} {kind})",
					 argv[i]);
			else if (k == 1)
				has_weight = true;
		}
	}
	if (need_weight && !has_weight)
		cfg_diag(r, node, false, path, "must pass {weight} to the tool");
}

static void read_exec(struct cfg_reader *r, const cJSON *o, struct router_conf *rc)
{
	bool need = rc->driver == DRIVER_EXEC;
	const cJSON *e = cfg_object(r, o, "exec", "router", need);
	size_t n;
	rc->exec_timeout_ms = 10000;
	if (!e)
		return;
	cfg_check_keys(r, e, "router.exec", exec_keys);
	if (need) {
		cfg_array(r, e, "set", "router.exec", true);
		cfg_array(r, e, "get", "router.exec", true);
	}
	rc->exec_set = cfg_string_list(r, e, "set", "router.exec", NULL, &n);
	const cJSON *set = cJSON_GetObjectItemCaseSensitive(e, "set");
	if (set)
		check_template(r, set, "router.exec.set", rc->exec_set, n, true);
	rc->exec_get = cfg_string_list(r, e, "get", "router.exec", NULL, &n);
	const cJSON *get = cJSON_GetObjectItemCaseSensitive(e, "get");
	if (get)
		check_template(r, get, "router.exec.get", rc->exec_get, n, false);
	rc->exec_timeout_ms = cfg_int(r, e, "timeout_ms", "router.exec", 100, 600000, 10000);
}

/* Without a router section nothing outside cutover is touched: rehearsal. */
void config_read_router(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	struct router_conf *rc = &cfg->router;
	const cJSON *o = cfg_object(r, root, "router", "", false);
	rc->driver = DRIVER_REHEARSAL;
	rc->timeout_ms = 2000;
	if (!o)
		return;
	cfg_check_keys(r, o, "router", router_keys);
	char *d = cfg_string(r, o, "driver", "router", "rehearsal", false);
	if (d && strcmp(d, "haproxy") == 0)
		rc->driver = DRIVER_HAPROXY;
	else if (d && strcmp(d, "exec") == 0)
		rc->driver = DRIVER_EXEC;
	else if (d && strcmp(d, "kubernetes") == 0)
		rc->driver = DRIVER_KUBERNETES;
	else if (d && strcmp(d, "rehearsal") != 0)
		cfg_diag(r, cJSON_GetObjectItemCaseSensitive(o, "driver"), false, "router.driver",
			 "unknown driver '%s' (expected haproxy, exec, kubernetes or rehearsal)", d);
	free(d);
	read_sockets(r, o, rc);
	rc->timeout_ms = cfg_int(r, o, "timeout_ms", "router", 10, 600000, 2000);
	read_exec(r, o, rc);
	rc->kubeconfig = cfg_string(r, o, "kubeconfig", "router", NULL, false);
	rc->context = cfg_string(r, o, "context", "router", NULL, false);
}

void config_free_router(struct router_conf *rc)
{
	for (size_t i = 0; i < rc->n_sockets; i++) {
		free(rc->sockets[i].text);
		free(rc->sockets[i].host);
		free(rc->sockets[i].port);
	}
	free(rc->sockets);
	cfg_free_list(rc->exec_set);
	cfg_free_list(rc->exec_get);
	free(rc->kubeconfig);
	free(rc->context);
	memset(rc, 0, sizeof(*rc));
}
