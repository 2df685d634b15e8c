/* engine_sock: unix and TCP listening sockets (see engine_sock.h). */
#include "engine_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cutover/journal.h"

static int set_mode(const struct config *cfg, const char *path, struct co_error *err)
{
	const char *g = cfg->engine.socket_group;
	if (!g || !*g)
		return chmod(path, 0600) == 0 ? 0 : (co_error_set(err, "%s: %s", path, strerror(errno)), -1);
	struct group gr, *res = NULL;
	char buf[4096];
	if (getgrnam_r(g, &gr, buf, sizeof buf, &res) != 0 || !res) {
		co_error_set(err, "%s: engine.socket_group: no group named '%s'", cfg->path, g);
		return -1;
	}
	if (chown(path, (uid_t)-1, res->gr_gid) < 0 || chmod(path, 0660) < 0) {
		co_error_set(err, "%s: cannot give it to group %s: %s", path, g, strerror(errno));
		return -1;
	}
	return 0;
}

int engine_sock_listen_unix(const struct config *cfg, const char *path, char *out, size_t cap,
			    struct co_error *err)
{
	char *p = path ? strdup(path) : journal_state_path(cfg->state_dir, cfg->release, "sock", err);
	if (!p || journal_state_dir(cfg->state_dir, err) < 0) {
		free(p);
		return -1;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(p) >= sizeof sa.sun_path || strlen(p) >= cap) {
		co_error_set(err, "%s: the socket path is longer than %zu bytes; choose a shorter state_dir",
			     p, sizeof sa.sun_path - 1);
		free(p);
		return -1;
	}
	memcpy(sa.sun_path, p, strlen(p) + 1);
	snprintf(out, cap, "%s", p);
	free(p);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		co_error_set(err, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(sa.sun_path);	/* a killed engine's; we hold the lock */
	mode_t old = umask(0077);	/* never open to others, not even for an instant */
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc < 0 || listen(fd, 128) < 0) {
		co_error_set(err, "%s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	if (set_mode(cfg, sa.sun_path, err) < 0) {
		close(fd);
		unlink(sa.sun_path);
		return -1;
	}
	return fd;
}

static int split(const char *hostport, char *host, size_t hcap, char *port, size_t pcap,
		 struct co_error *err)
{
	const char *colon = strrchr(hostport, ':');
	const char *h = hostport;
	size_t hl = colon ? (size_t)(colon - hostport) : 0;
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (!colon || !hl || hl >= hcap || !colon[1] || strlen(colon + 1) >= pcap) {
		co_error_set(err, "--listen '%s': expected HOST:PORT (e.g. 127.0.0.1:7450 or [::1]:7450)",
			     hostport);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, pcap, "%s", colon + 1);
	return 0;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

/* HOST:PORT to addresses; the caller frees *res. */
static int lookup(const char *hostport, struct addrinfo **res, struct co_error *err)
{
	char host[256], port[16];
	if (split(hostport, host, sizeof host, port, sizeof port, err) < 0)
		return -1;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	int gai = getaddrinfo(host, port, &hints, res);
	if (gai) {
		co_error_set(err, "--listen '%s': %s", hostport, gai_strerror(gai));
		return -1;
	}
	return 0;
}

int engine_sock_resolve(const char *hostport, bool *loopback, struct co_error *err)
{
	struct addrinfo *res = NULL;
	if (lookup(hostport, &res, err) < 0)
		return -1;
	*loopback = is_loopback(res->ai_addr);
	freeaddrinfo(res);
	return 0;
}

int engine_sock_listen_tcp(const char *hostport, bool *loopback, struct co_error *err)
{
	struct addrinfo *res = NULL;
	if (lookup(hostport, &res, err) < 0)
		return -1;
	int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		co_error_set(err, "--listen '%s': %s", hostport, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	*loopback = is_loopback(res->ai_addr);
	freeaddrinfo(res);
	return fd;
}
