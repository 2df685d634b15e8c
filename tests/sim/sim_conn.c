/* cutover-sim: one client connection, from accept to close.
 *
 * A connection is a small state machine driven by epoll readiness and by its
 * own timer: read a request, decide its fate, answer now or when the timer
 * fires, then read the next one (keep-alive, pipelining in order). While an
 * answer is pending the socket is not read, so a client can never make us
 * buffer more than one request head; an idle or hanging connection holds no
 * buffers at all, only its descriptor and this struct. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim.h"
#include "sim_conn.h"

void sim_conn_new(struct sim_loop *L, int fd, struct sim_listener *l)
{
	struct sim_conn *c = sim_xmalloc(sizeof *c);
	memset(c, 0, sizeof *c);
	c->h.kind = SIM_K_CONN;
	c->fd = fd;
	c->state = SIM_CONN_READING;
	c->bind_svc = l->svc;
	c->bind_side = l->side;
	c->timer.slot = SIM_TIMER_IDLE;
	c->timer.fn = sim_conn_timer;
	c->deadline_ns = L->now_ns + SIM_IDLE_TIMEOUT_NS;
	c->events = EPOLLIN | EPOLLRDHUP;
	struct epoll_event ev = {.events = c->events, .data.ptr = &c->h};
	if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = L->conns;
	if (L->conns)
		L->conns->prev = c;
	L->conns = c;
	L->nconns++;
}

/* Closes a connection now but frees its struct only after the current batch
 * of epoll events (sim_conn_reap): a later event in the same batch, or a
 * timer, may still point at it and must find it marked dead, not freed. */
static void conn_free(struct sim_loop *L, struct sim_conn *c)
{
	sim_timers_cancel(&L->timers, &c->timer);
	if (c->prev)
		c->prev->next = c->next;
	else
		L->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	L->nconns--;
	close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->state = SIM_CONN_DEAD;
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->prev = NULL;
	c->next = L->dead;
	L->dead = c;
}

void sim_conn_reap(struct sim_loop *L)
{
	while (L->dead) {
		struct sim_conn *c = L->dead;
		L->dead = c->next;
		free(c);
	}
}

/* mode=reset: SO_LINGER 0 turns close() into an RST. */
void sim_conn_reset(struct sim_loop *L, struct sim_conn *c)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	conn_free(L, c);
}

void sim_conn_set_events(struct sim_loop *L, struct sim_conn *c, uint32_t events)
{
	if (c->events == events)
		return;
	struct epoll_event ev = {.events = events, .data.ptr = &c->h};
	epoll_ctl(L->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = events;
}

static void in_reserve(struct sim_conn *c, size_t need)
{
	if (need <= c->in_cap)
		return;
	c->in = sim_xrealloc(c->in, need);
	c->in_cap = need;
}

/* After the last byte of an answer with "Connection: close": shutting the
 * write side and reading until the client closes (instead of close() at
 * once) keeps unread input from turning into an RST that could destroy the
 * answer in flight — the 431 for an oversized head is the usual case. */
static void conn_start_drain(struct sim_loop *L, struct sim_conn *c)
{
	shutdown(c->fd, SHUT_WR);
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
	c->state = SIM_CONN_DRAINING;
	c->deadline_ns = L->now_ns + SIM_DRAIN_TIMEOUT_NS;
	sim_conn_set_events(L, c, EPOLLIN | EPOLLRDHUP);
}

enum sim_step sim_conn_send(struct sim_loop *L, struct sim_conn *c, const char *buf, size_t len)
{
	ssize_t n;
	do
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_free(L, c);
			return SIM_STEP_GONE;
		}
		n = 0;
	}
	if ((size_t)n == len) {
		if (c->close_after) {
			conn_start_drain(L, c);
			return SIM_STEP_BUSY;
		}
		return SIM_STEP_READY;
	}
	c->out_len = len - (size_t)n;
	c->out_off = 0;
	c->out = sim_xmalloc(c->out_len);
	memcpy(c->out, buf + n, c->out_len);
	c->state = SIM_CONN_WRITING;
	c->deadline_ns = L->now_ns + SIM_IDLE_TIMEOUT_NS; /* a client that never reads */
	sim_conn_set_events(L, c, c->close_after ? EPOLLOUT : EPOLLOUT | EPOLLRDHUP);
	return SIM_STEP_BUSY;
}

/* Runs the requests in data (the loop's read buffer, or c->in itself) until
 * one has to wait, then keeps what is left in c->in. Returns false if c is
 * gone. */
static bool conn_process(struct sim_loop *L, struct sim_conn *c, const char *data, size_t len)
{
	size_t used = 0;
	while (c->state == SIM_CONN_READING) {
		if (c->body_left) {
			size_t k = len - used < c->body_left ? len - used : (size_t)c->body_left;
			used += k;
			c->body_left -= k;
			if (c->body_left)
				break;
		}
		if (used == len)
			break;
		struct sim_request rq;
		int status;
		int got = sim_http_parse(data + used, len - used, &rq, &status);
		if (got == 0)
			break;
		enum sim_step st;
		if (got < 0) {
			used = len;
			st = sim_serve_error(L, c, status, sim_http_reason(status), false, false);
		} else {
			used += rq.head_len;
			c->body_left = rq.body_len;
			c->head_started = false;
			st = sim_serve_request(L, c, &rq);
		}
		if (st == SIM_STEP_GONE)
			return false;
	}
	size_t left = len - used;
	if (c->state == SIM_CONN_HANGING || c->state == SIM_CONN_DRAINING)
		left = 0; /* never read again */
	if (left == 0) {
		free(c->in);
		c->in = NULL;
		c->in_len = c->in_cap = 0;
	} else if (data == c->in) {
		memmove(c->in, c->in + used, left);
		c->in_len = left;
	} else {
		in_reserve(c, left + 1024);
		memcpy(c->in, data + used, left);
		c->in_len = left;
	}
	if (c->state == SIM_CONN_READING) {
		if (left == 0)
			c->deadline_ns = L->now_ns + SIM_IDLE_TIMEOUT_NS;
		else if (!c->head_started) {
			c->head_started = true;
			c->deadline_ns = L->now_ns + SIM_HEADER_TIMEOUT_NS;
		}
	}
	return true;
}

/* Back to reading after an answer went out: pipelined requests first. */
static void conn_resume(struct sim_loop *L, struct sim_conn *c)
{
	c->state = SIM_CONN_READING;
	if (!conn_process(L, c, c->in, c->in_len))
		return;
	if (c->state == SIM_CONN_READING)
		sim_conn_set_events(L, c, EPOLLIN | EPOLLRDHUP);
}

static void conn_read(struct sim_loop *L, struct sim_conn *c)
{
	char *buf;
	size_t room;
	if (c->in_len == 0) {
		buf = L->in;
		room = sizeof L->in;
	} else {
		in_reserve(c, c->in_len + 4096);
		buf = c->in + c->in_len;
		room = c->in_cap - c->in_len;
	}
	ssize_t n = recv(c->fd, buf, room, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(L, c); /* closed or broken between requests */
		return;
	}
	if (buf == L->in) {
		conn_process(L, c, L->in, (size_t)n);
	} else {
		c->in_len += (size_t)n;
		conn_process(L, c, c->in, c->in_len);
	}
}

static void conn_flush(struct sim_loop *L, struct sim_conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_free(L, c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off < c->out_len)
		return;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (c->close_after)
		conn_start_drain(L, c);
	else
		conn_resume(L, c);
}

void sim_conn_event(struct sim_loop *L, struct sim_conn *c, uint32_t events)
{
	if (c->state == SIM_CONN_DEAD)
		return;
	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_free(L, c);
		return;
	}
	switch (c->state) {
	case SIM_CONN_READING:
		conn_read(L, c);
		break;
	case SIM_CONN_DRAINING: {
		ssize_t n = recv(c->fd, L->in, sizeof L->in, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			conn_free(L, c);
		break;
	}
	case SIM_CONN_WRITING:
		if (events & EPOLLRDHUP) {
			/* The client stopped sending; finish this answer, then close. */
			c->close_after = true;
			sim_conn_set_events(L, c, EPOLLOUT);
		}
		if (events & EPOLLOUT)
			conn_flush(L, c);
		break;
	case SIM_CONN_WAITING:
		/* A half-close may still want its answer: keep the timer, stop
		 * listening (level-triggered RDHUP would fire forever), close after. */
		c->close_after = true;
		sim_conn_set_events(L, c, 0);
		break;
	case SIM_CONN_HANGING:
		conn_free(L, c); /* the client gave up */
		break;
	case SIM_CONN_DEAD:
		break;
	}
}

/* The delay of a waiting answer is over. */
void sim_conn_timer(struct sim_loop *L, struct sim_timer *tm)
{
	struct sim_conn *c = SIM_CONTAINER(tm, struct sim_conn, timer);
	if (c->state != SIM_CONN_WAITING)
		return;
	c->state = SIM_CONN_READING;
	enum sim_step st = sim_serve_answer(L, c, c->svc, c->side, &c->reply, c->keep_alive, c->head);
	if (st == SIM_STEP_READY)
		conn_resume(L, c);
}

/* Once a second: closes connections idle too long, slow to send a head, or
 * not reading their answer. Hanging and waiting ones are left alone. */
void sim_conn_sweep(struct sim_loop *L)
{
	struct sim_conn *c = L->conns, *next;
	for (; c; c = next) {
		next = c->next;
		bool timed = c->state == SIM_CONN_READING || c->state == SIM_CONN_DRAINING ||
		             c->state == SIM_CONN_WRITING;
		if (timed && L->now_ns >= c->deadline_ns)
			conn_free(L, c);
	}
}

void sim_conn_close_all(struct sim_loop *L)
{
	while (L->conns)
		conn_free(L, L->conns);
	sim_conn_reap(L);
}
