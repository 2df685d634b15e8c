/* cutover-sim: the request a routed job's scheduler sends at each fire.
 *
 *   GET PATH HTTP/1.1 / Host / X-Sim-Fire: <fire epoch ms> / Connection: close
 *
 * to trigger_url (loopback only), usually a haproxy frontend that picks the
 * side. One request per fire, on the loop like everything else: a
 * nonblocking connect, the request, then the answer read until the peer
 * closes, the whole bounded by CALL_TIMEOUT_NS. Fires do not wait for it, so
 * a slow router can never delay or merge fires. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim.h"
#include "sim_job.h"

#define CALL_TIMEOUT_NS (5 * SIM_NS_PER_S)

struct sim_call {
	struct sim_handle h; /* first, so epoll's pointer is also the call's */
	int fd;
	struct sim_timer timer;
	struct sim_job *job;
	char req[2 * SIM_URL_MAX + 160];
	size_t req_len, req_off;
	char head[16]; /* the first bytes of the answer: its status line */
	size_t head_len;
	struct sim_call *prev, *next;
};

static void call_end(struct sim_loop *L, struct sim_call *c, bool ok, const char *why)
{
	sim_job_call_done(c->job, ok, why);
	sim_timers_cancel(&L->timers, &c->timer);
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	if (c->prev)
		c->prev->next = c->next;
	else
		L->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void call_timeout(struct sim_loop *L, struct sim_timer *tm)
{
	call_end(L, SIM_CONTAINER(tm, struct sim_call, timer), false, "no answer within 5 s");
}

static int call_connect(struct sim_call *c, const struct sim_url *u)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof ss);
	if (u->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(u->port);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(u->port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof *a;
	}
	c->fd = socket(u->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		return -1;
	return 0;
}

void sim_call_start(struct sim_loop *L, struct sim_job *j, int64_t fire_ms)
{
	const struct sim_url *u = &j->c.url;
	struct sim_call *c = sim_xmalloc(sizeof *c);
	memset(c, 0, sizeof *c);
	c->h.kind = SIM_K_TRIGGER;
	c->fd = -1;
	c->job = j;
	c->timer.slot = SIM_TIMER_IDLE;
	c->timer.fn = call_timeout;
	c->next = L->calls;
	if (L->calls)
		L->calls->prev = c;
	L->calls = c;
	j->calls_sent++;
	int n = snprintf(c->req, sizeof c->req,
	                 "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: cutover-sim\r\n"
	                 "X-Sim-Fire: %lld\r\nConnection: close\r\n\r\n",
	                 u->path, u->family == AF_INET6 ? "[::1]" : "127.0.0.1", (unsigned)u->port,
	                 (long long)fire_ms);
	c->req_len = n < 0 || (size_t)n >= sizeof c->req ? 0 : (size_t)n;
	if (call_connect(c, u) < 0) {
		char why[96];
		snprintf(why, sizeof why, "connect: %s", strerror(errno));
		call_end(L, c, false, why);
		return;
	}
	/* Writable once connected (or failed): the request goes out then. */
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = &c->h};
	if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		call_end(L, c, false, "epoll_ctl failed");
		return;
	}
	sim_timers_add(&L->timers, &c->timer, sim_now_ns() + CALL_TIMEOUT_NS);
}

static void call_send(struct sim_loop *L, struct sim_call *c)
{
	int err = 0;
	socklen_t el = sizeof err;
	if (c->req_off == 0 && (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)) {
		char why[96];
		snprintf(why, sizeof why, "connect: %s", strerror(err ? err : errno));
		call_end(L, c, false, why);
		return;
	}
	ssize_t n = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		char why[96];
		snprintf(why, sizeof why, "send: %s", strerror(errno));
		call_end(L, c, false, why);
		return;
	}
	c->req_off += (size_t)n;
	if (c->req_off < c->req_len)
		return;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = &c->h};
	epoll_ctl(L->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Reads the answer until the peer closes; only its status line is kept. */
static void call_read(struct sim_loop *L, struct sim_call *c)
{
	ssize_t n = recv(c->fd, L->in, sizeof L->in, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		char why[96];
		snprintf(why, sizeof why, "recv: %s", strerror(errno));
		call_end(L, c, false, why);
		return;
	}
	if (n > 0) {
		size_t k = sizeof c->head - 1 - c->head_len;
		if (k > (size_t)n)
			k = (size_t)n;
		memcpy(c->head + c->head_len, L->in, k);
		c->head_len += k;
		c->head[c->head_len] = '\0';
		return;
	}
	/* "HTTP/1.1 200 ...": the status is at offset 9. */
	int status = 0;
	if (c->head_len >= 12 && memcmp(c->head, "HTTP/1.", 7) == 0)
		status = atoi(c->head + 9);
	char why[64];
	if (status == 0)
		snprintf(why, sizeof why, "closed without an HTTP answer");
	else
		snprintf(why, sizeof why, "answered %d", status);
	call_end(L, c, status >= 200 && status < 300, why);
}

void sim_call_event(struct sim_loop *L, struct sim_call *c, uint32_t events)
{
	if (c->req_off < c->req_len)
		call_send(L, c);
	else
		call_read(L, c);
}

void sim_call_close_all(struct sim_loop *L)
{
	while (L->calls) {
		struct sim_call *c = L->calls;
		L->calls = c->next;
		sim_timers_cancel(&L->timers, &c->timer);
		if (c->fd >= 0)
			close(c->fd);
		free(c);
	}
}
