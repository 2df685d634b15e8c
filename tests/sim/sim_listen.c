/* cutover-sim: listening sockets — the main port and the --bind ones.
 *
 * A --bind listener whose endpoint is in mode=refuse is really closed, so a
 * connect gets ECONNREFUSED exactly as from a dead backend; it is opened again
 * on the same port when the mode changes back. */
/* accept4() (GNU): the new socket comes nonblocking and close-on-exec in
 * one call, not three — it matters when 20,000 probers connect at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim.h"

/* Accepting in bursts keeps one busy listener from starving the loop. */
#define ACCEPT_BURST 256

int sim_listen_open(struct sim_loop *L, struct sim_listener *l, char *err, size_t errlen)
{
	char port[16];
	snprintf(port, sizeof port, "%d", l->port);
	struct addrinfo hints, *ai = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int gai = getaddrinfo(L->host, port, &hints, &ai);
	if (gai != 0) {
		snprintf(err, errlen, "%s: %s", L->host, gai_strerror(gai));
		return -1;
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	/* SO_REUSEADDR lets a restarted sim (or a re-opened refuse listener) take
	 * its port back despite TIME_WAIT; no SO_REUSEPORT, so two sims can never
	 * silently share a port. */
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4096) < 0) {
		snprintf(err, errlen, "%s port %d: %s", L->host, l->port, strerror(errno));
		close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if (l->port == 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			l->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			                                         : ((struct sockaddr_in *)&ss)->sin_port);
	}
	l->h.kind = SIM_K_LISTENER;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->h};
	if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	l->retry_ns = 0;
	return 0;
}

void sim_listen_close(struct sim_loop *L, struct sim_listener *l)
{
	if (l->fd < 0)
		return;
	epoll_ctl(L->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	l->fd = -1;
}

/* Opens or closes --bind listeners to match their endpoints' mode. Called
 * after every change and once a second, which is also the retry for a port
 * someone else grabbed while it was closed. */
void sim_listen_reconcile(struct sim_loop *L)
{
	for (size_t i = 1; i < L->nlisteners; i++) {
		struct sim_listener *l = &L->listeners[i];
		bool want_open = l->svc->side[l->side].b.mode != SIM_MODE_REFUSE;
		if (!want_open) {
			sim_listen_close(L, l);
			l->retry_ns = 0;
		} else if (l->fd < 0 && L->now_ns >= l->retry_ns) {
			char err[256];
			if (sim_listen_open(L, l, err, sizeof err) < 0) {
				if (l->retry_ns == 0)
					sim_log("cannot re-open --bind listener: %s (retrying)", err);
				l->retry_ns = L->now_ns + SIM_NS_PER_S;
			}
		}
	}
}

/* Drops a connection we cannot keep, with a reset so the client knows now. */
static void drop_fd(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

void sim_listen_accept(struct sim_loop *L, struct sim_listener *l)
{
	for (int i = 0; i < ACCEPT_BURST && l->fd >= 0; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of descriptors: a level-triggered listener would spin.
				 * Use the spare to take the connection off the queue and
				 * refuse it, then get the spare back. */
				if (L->spare_fd >= 0) {
					close(L->spare_fd);
					int s = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
					if (s >= 0)
						drop_fd(s);
					L->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
				}
				return;
			}
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			return; /* EAGAIN: the queue is empty */
		}
		if (L->nconns >= L->max_conns) {
			drop_fd(fd);
			continue;
		}
		/* Answers go out in one write; no reason to let Nagle hold them. */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		sim_conn_new(L, fd, l);
	}
}
