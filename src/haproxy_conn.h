/* haproxy_conn: one exchange with an HAProxy runtime API socket — connect,
 * send a batch of commands as one line, read and split every answer, all
 * before a deadline. Internal to the haproxy driver. */
#ifndef CUTOVER_HAPROXY_CONN_H
#define CUTOVER_HAPROXY_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "cutover/config.h"
#include "cutover/error.h"

/* The most we read from one exchange: `show stat` for ~20,000 servers fits
 * in a few MiB; anything beyond 16 MiB is not an answer we want to hold. */
#define HAPROXY_REPLY_MAX ((size_t)16 << 20)

/* Every command's answer, in order. In non-interactive mode HAProxy ends
 * each answer with an empty line; a command that succeeds silently (a `set`)
 * has an empty answer. */
struct haproxy_reply {
	char *buf;		/* the raw text, cut into answers in place */
	char **answer;		/* n pointers into buf; each ends with its last '\n' */
	size_t n;
};

/* Sends cmds[0..n) as "c1;c2;...\n" on one connection to sock and splits the
 * answers. deadline_ms is a monotonic_ms()-style time by which everything
 * (connect, send, read to the close) must be done. Returns 0, or -1 with err
 * naming the instance (sock->text). reply is emptied first and owned by the
 * caller on success. */
int haproxy_exchange(const struct socket_conf *sock, uint64_t deadline_ms,
		     const char *const *cmds, size_t n, struct haproxy_reply *reply,
		     struct co_error *err);
void haproxy_reply_done(struct haproxy_reply *reply);

/* Copies an answer into out as one line, for messages: newlines become
 * " / ", it stops at an empty line or the end, non-printing bytes become '?'. */
void haproxy_answer_line(const char *answer, char *out, size_t size);

/* Milliseconds on the monotonic clock: what deadlines are measured in. */
uint64_t haproxy_now_ms(void);

#endif
