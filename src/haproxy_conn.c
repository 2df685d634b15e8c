/* haproxy_conn: connect, send one line of commands, read answers to the
 * close, split them — every step bounded by one deadline, so a router that
 * stalls costs the caller timeout_ms and never more. */
#include "haproxy_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "haproxy_text.h"

uint64_t haproxy_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int remaining_ms(uint64_t deadline_ms)
{
	uint64_t now = haproxy_now_ms();
	if (now >= deadline_ms)
		return 0;
	uint64_t left = deadline_ms - now;
	return left > 600000 ? 600000 : (int)left;
}

/* Waits for events on fd until the deadline. 1: ready, 0: timed out, -1: error. */
static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int left = remaining_ms(deadline_ms);
		if (left == 0)
			return 0;
		int rc = poll(&p, 1, left);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static int new_socket(int family)
{
	int fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A non-blocking connect to a unix socket whose backlog is full fails with
 * EAGAIN and cannot be polled for, so it is retried every 10 ms instead. */
static int open_unix(const struct socket_conf *s, uint64_t deadline_ms, struct co_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(s->text) >= sizeof(sa.sun_path)) {
		co_error_set(err, "haproxy %s: unix socket path is too long", s->text);
		return -1;
	}
	memcpy(sa.sun_path, s->text, strlen(s->text) + 1);
	int fd = new_socket(AF_UNIX);
	if (fd < 0) {
		co_error_set(err, "haproxy %s: socket: %s", s->text, strerror(errno));
		return -1;
	}
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EAGAIN && remaining_ms(deadline_ms) > 0) {
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
			continue;
		}
		if (errno == EINTR)
			continue;
		co_error_set(err, "haproxy %s: cannot connect: %s", s->text,
			     errno == EAGAIN ? "backlog full until the deadline" : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Connects to one resolved address. 0: connected, -1 with *why set. */
static int connect_addr(int fd, const struct addrinfo *ai, uint64_t deadline_ms, const char **why)
{
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR) {
		*why = strerror(errno);
		return -1;
	}
	int rc = wait_fd(fd, POLLOUT, deadline_ms);
	if (rc == 0) {
		*why = "connect timed out";
		return -1;
	}
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (soerr) {
		*why = strerror(soerr);
		return -1;
	}
	return 0;
}

/* Name resolution is not bounded by the deadline (getaddrinfo blocks); a
 * fleet written as IP addresses never resolves anything. */
static int open_tcp(const struct socket_conf *s, uint64_t deadline_ms, struct co_error *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(s->host, s->port, &hints, &res);
	if (gai != 0) {
		co_error_set(err, "haproxy %s: cannot resolve '%s': %s", s->text, s->host,
			     gai_strerror(gai));
		return -1;
	}
	const char *why = "no address";
	int fd = -1;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = new_socket(ai->ai_family);
		if (fd < 0) {
			why = strerror(errno);
			continue;
		}
		if (connect_addr(fd, ai, deadline_ms, &why) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		co_error_set(err, "haproxy %s: cannot connect: %s", s->text, why);
	return fd;
}

static int send_all(int fd, const struct socket_conf *s, const char *buf, size_t len,
		    uint64_t deadline_ms, struct co_error *err)
{
	while (len > 0) {
		/* MSG_NOSIGNAL: a router closing early must be an error, not SIGPIPE. */
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			co_error_set(err, "haproxy %s: send: %s", s->text, strerror(errno));
			return -1;
		}
		if (wait_fd(fd, POLLOUT, deadline_ms) <= 0) {
			co_error_set(err, "haproxy %s: could not send the commands before the timeout",
				     s->text);
			return -1;
		}
	}
	return 0;
}

static int grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 4096;
	while (ncap < need)
		ncap *= 2;
	char *nb = realloc(*buf, ncap);
	if (!nb)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* Reads until the router closes: the end of a non-interactive exchange. */
static int recv_all(int fd, const struct socket_conf *s, uint64_t start_ms, uint64_t deadline_ms,
		    char **out, size_t *out_len, struct co_error *err)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (grow(&buf, &cap, len + 65536 + 1) < 0) {
			co_error_set(err, "haproxy %s: out of memory reading the answer", s->text);
			goto fail;
		}
		ssize_t r = recv(fd, buf + len, 65536, 0);
		if (r == 0)
			break;
		if (r > 0) {
			size_t bad = haproxy_find_control(buf + len, (size_t)r);
			if (bad < (size_t)r) {
				co_error_set(err, "haproxy %s: answer is not text (byte 0x%02x at offset %zu)"
					     " — is this an HAProxy stats socket?", s->text,
					     (unsigned char)buf[len + bad], len + bad);
				goto fail;
			}
			len += (size_t)r;
			if (len > HAPROXY_REPLY_MAX) {
				co_error_set(err, "haproxy %s: answer exceeds %zu MiB", s->text,
					     HAPROXY_REPLY_MAX >> 20);
				goto fail;
			}
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			co_error_set(err, "haproxy %s: recv: %s", s->text, strerror(errno));
			goto fail;
		}
		if (wait_fd(fd, POLLIN, deadline_ms) <= 0) {
			co_error_set(err, "haproxy %s: no complete answer within %llu ms (%zu bytes received)",
				     s->text, (unsigned long long)(haproxy_now_ms() - start_ms), len);
			goto fail;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
fail:
	free(buf);
	return -1;
}

static bool blank_line(const char *p, const char *eol)
{
	return eol == p || (eol == p + 1 && *p == '\r');
}

/* Cuts buf into answers at each empty line. */
static int split_answers(struct haproxy_reply *reply, size_t len, size_t expect,
			 const struct socket_conf *s, struct co_error *err)
{
	char *p = reply->buf, *end = reply->buf + len, *start = p;
	reply->answer = calloc(expect ? expect : 1, sizeof(*reply->answer));
	if (!reply->answer) {
		co_error_set(err, "haproxy %s: out of memory", s->text);
		return -1;
	}
	while (p < end) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		if (blank_line(p, eol)) {
			if (reply->n == expect) {
				reply->n = 0;
				break;	/* more answers than commands: reported below */
			}
			*p = '\0';
			reply->answer[reply->n++] = start;
			start = eol + 1;
		}
		p = eol + 1;
	}
	if (reply->n == expect && start == end)
		return 0;
	char what[80];
	haproxy_answer_line(start < end ? start : reply->buf, what, sizeof(what));
	co_error_set(err, "haproxy %s: %zu command(s) sent but the answer does not split into %zu"
		     " (it starts '%s') — not an HAProxy stats socket, or it closed early",
		     s->text, expect, expect, what);
	return -1;
}

static char *join_commands(const char *const *cmds, size_t n, const struct socket_conf *s,
			   size_t *len, struct co_error *err)
{
	size_t total = 1;
	for (size_t i = 0; i < n; i++) {
		/* ';' and newlines would split or end the batch where we did not mean it. */
		if (strpbrk(cmds[i], ";\r\n") || !cmds[i][0]) {
			co_error_set(err, "haproxy %s: refusing to send command '%s' (empty, or holds ';' or a newline)",
				     s->text, cmds[i]);
			return NULL;
		}
		total += strlen(cmds[i]) + 1;
	}
	char *line = malloc(total), *w = line;
	if (!line) {
		co_error_set(err, "haproxy %s: out of memory", s->text);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(cmds[i]);
		memcpy(w, cmds[i], l);
		w += l;
		*w++ = i + 1 < n ? ';' : '\n';
	}
	*len = (size_t)(w - line);
	return line;
}

int haproxy_exchange(const struct socket_conf *sock, uint64_t deadline_ms,
		     const char *const *cmds, size_t n, struct haproxy_reply *reply,
		     struct co_error *err)
{
	memset(reply, 0, sizeof(*reply));
	size_t line_len = 0, len = 0;
	uint64_t start = haproxy_now_ms();
	if (n == 0) {
		co_error_set(err, "haproxy %s: no command to send", sock->text);
		return -1;
	}
	char *line = join_commands(cmds, n, sock, &line_len, err);
	if (!line)
		return -1;
	int fd = sock->is_unix ? open_unix(sock, deadline_ms, err) : open_tcp(sock, deadline_ms, err);
	int rc = -1;
	if (fd >= 0 && send_all(fd, sock, line, line_len, deadline_ms, err) == 0 &&
	    recv_all(fd, sock, start, deadline_ms, &reply->buf, &len, err) == 0)
		rc = split_answers(reply, len, n, sock, err);
	if (fd >= 0)
		close(fd);
	free(line);
	if (rc < 0)
		haproxy_reply_done(reply);
	return rc;
}

void haproxy_reply_done(struct haproxy_reply *reply)
{
	if (!reply)
		return;
	free(reply->buf);
	free(reply->answer);
	memset(reply, 0, sizeof(*reply));
}

void haproxy_answer_line(const char *answer, char *out, size_t size)
{
	size_t o = 0;
	if (size == 0)
		return;
	for (const char *p = answer; *p && o + 1 < size; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\r')
			continue;
		if (c == '\n') {
			if (p[1] == '\0' || p[1] == '\n')
				break;	/* an empty line ends an answer */
			for (const char *sep = " / "; *sep && o + 1 < size; sep++)
				out[o++] = *sep;
			continue;
		}
		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[o] = '\0';
}
