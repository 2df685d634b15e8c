/* One exchange with a runtime API socket, against peers of our own that
 * answer like HAProxy, stall, close early, flood, or speak something else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/haproxy_conn.h"

/* A peer accepts one connection, reads the command line into got, then
 * writes reply (or floods, or, with neither, waits for the client to go). */
struct peer {
	int listen_fd;
	const char *reply;
	bool flood;
	char got[256];
	char text[32];
	struct socket_conf sock;
	pthread_t thread;
};

static void flood(int fd)
{
	static char chunk[65536];
	memset(chunk, 'x', sizeof(chunk));
	for (size_t i = 79; i < sizeof(chunk); i += 80)
		chunk[i] = '\n';
	while (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) > 0)
		;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	char buf[256];
	int fd = accept(p->listen_fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	ssize_t r = read(fd, p->got, sizeof(p->got) - 1);
	p->got[r > 0 ? r : 0] = '\0';
	if (p->flood)
		flood(fd);
	else if (p->reply)
		(void)send(fd, p->reply, strlen(p->reply), MSG_NOSIGNAL);
	else
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	close(fd);
	return NULL;
}

/* Starts a peer on a free 127.0.0.1 port; its socket_conf points at it. */
static void peer_start(struct peer *p, const char *reply, bool do_flood)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	memset(p, 0, sizeof(*p));
	p->reply = reply;
	p->flood = do_flood;
	p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p->listen_fd >= 0);
	assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->listen_fd, 4), 0);
	assert_int_equal(getsockname(p->listen_fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(p->text, sizeof(p->text), "127.0.0.1:%d", ntohs(sa.sin_port));
	p->sock = (struct socket_conf){ .text = p->text, .host = "127.0.0.1",
					.port = p->text + strlen("127.0.0.1:") };
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

static void peer_stop(struct peer *p)
{
	pthread_join(p->thread, NULL);
	close(p->listen_fd);
}

/* Exchanges cmds with a peer answering reply; returns the exchange's rc. */
static int exchange(struct peer *p, const char *reply, const char *const *cmds, size_t n,
		    struct haproxy_reply *out, struct co_error *err, int timeout_ms)
{
	peer_start(p, reply, false);
	int rc = haproxy_exchange(&p->sock, haproxy_now_ms() + (uint64_t)timeout_ms, cmds, n, out, err);
	peer_stop(p);
	return rc;
}

static void assert_contains(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("'%s' does not contain '%s'", text, needle);
}

static void answers_split_at_empty_lines_and_commands_go_on_one_line(void **state)
{
	(void)state;
	/* What haproxy 2.6 sent for: set (ok); set (no such server); show. */
	static const char reply[] = "\nNo such server.\n\n1\n# be_name srv_name\nbe x\n\n";
	const char *cmds[] = { "set server be/a weight 1", "set server be/b weight 2",
			       "show servers state" };
	struct peer p;
	struct haproxy_reply out;
	struct co_error err = { "" };
	assert_int_equal(exchange(&p, reply, cmds, 3, &out, &err, 1000), 0);
	assert_string_equal(p.got, "set server be/a weight 1;set server be/b weight 2;show servers state\n");
	assert_int_equal(out.n, 3);
	assert_string_equal(out.answer[0], "");
	assert_string_equal(out.answer[1], "No such server.\n");
	assert_string_equal(out.answer[2], "1\n# be_name srv_name\nbe x\n");
	char line[64];
	haproxy_answer_line(out.answer[2], line, sizeof(line));
	assert_string_equal(line, "1 / # be_name srv_name / be x");
	haproxy_reply_done(&out);
	haproxy_reply_done(&out);	/* done twice is harmless */
}

static void too_few_or_too_many_answers_are_errors(void **state)
{
	(void)state;
	const char *cmds[] = { "show stat", "show info" };
	struct peer p;
	struct haproxy_reply out;
	struct co_error err = { "" };
	assert_int_equal(exchange(&p, "# pxname,svname\nbe,blue\n", cmds, 2, &out, &err, 1000), -1);
	assert_contains(err.msg, "does not split into 2 (it starts '# pxname,svname / be,blue')");
	assert_null(out.buf);
	assert_int_equal(exchange(&p, "a\n\nb\n\nc\n\n", cmds, 2, &out, &err, 1000), -1);
	assert_contains(err.msg, "it starts 'c'");
}

static void command_holding_a_separator_is_refused_before_connecting(void **state)
{
	(void)state;
	const char *cmds[] = { "set server be/a weight 1;shutdown sessions" };
	struct socket_conf sock = { .text = "/nonexistent.sock", .is_unix = true };
	struct haproxy_reply out;
	struct co_error err = { "" };
	assert_int_equal(haproxy_exchange(&sock, haproxy_now_ms() + 100, cmds, 1, &out, &err), -1);
	assert_contains(err.msg, "refusing to send command");
}

static void unreachable_sockets_are_named(void **state)
{
	(void)state;
	const char *cmd = "show info";
	struct socket_conf unix_sock = { .text = "/nonexistent/dir/admin.sock", .is_unix = true };
	struct socket_conf tcp = { .text = "127.0.0.1:1", .host = "127.0.0.1", .port = "1" };
	struct haproxy_reply out;
	struct co_error err = { "" };
	assert_int_equal(haproxy_exchange(&unix_sock, haproxy_now_ms() + 500, &cmd, 1, &out, &err), -1);
	assert_string_equal(err.msg, "haproxy /nonexistent/dir/admin.sock: cannot connect: "
			    "No such file or directory");
	assert_int_equal(haproxy_exchange(&tcp, haproxy_now_ms() + 500, &cmd, 1, &out, &err), -1);
	assert_string_equal(err.msg, "haproxy 127.0.0.1:1: cannot connect: Connection refused");
}

static void peer_that_accepts_and_never_answers_times_out(void **state)
{
	(void)state;
	const char *cmd = "show stat";
	struct peer p;
	struct haproxy_reply out;
	struct co_error err = { "" };
	uint64_t t0 = haproxy_now_ms();
	assert_int_equal(exchange(&p, NULL, &cmd, 1, &out, &err, 300), -1);
	uint64_t took = haproxy_now_ms() - t0;
	print_message("accepting, silent peer: error after %llu ms (timeout 300 ms)\n",
		      (unsigned long long)took);
	assert_in_range(took, 280, 500);
	assert_contains(err.msg, p.text);
	assert_contains(err.msg, "no complete answer within 3");
	assert_contains(err.msg, "(0 bytes received)");
}

static void binary_and_foreign_answers_are_rejected(void **state)
{
	(void)state;
	const char *cmd = "show servers state";
	struct peer p;
	struct haproxy_reply out;
	struct co_error err = { "" };
	assert_int_equal(exchange(&p, "\x16\x03\x01\x00\x2a\x02", &cmd, 1, &out, &err, 1000), -1);
	assert_contains(err.msg, "answer is not text (byte 0x16 at offset 0)");
	assert_contains(err.msg, p.text);
	assert_int_equal(exchange(&p, "SSH-2.0-OpenSSH_9.2\r\n", &cmd, 1, &out, &err, 1000), -1);
	assert_contains(err.msg, "it starts 'SSH-2.0-OpenSSH_9.2'");
	assert_contains(err.msg, "not an HAProxy stats socket");
}

static void endless_answer_is_cut_at_the_size_cap(void **state)
{
	(void)state;
	const char *cmd = "show stat";
	struct peer p;
	struct haproxy_reply out;
	struct co_error err = { "" };
	peer_start(&p, NULL, true);
	assert_int_equal(haproxy_exchange(&p.sock, haproxy_now_ms() + 5000, &cmd, 1, &out, &err), -1);
	peer_stop(&p);
	assert_contains(err.msg, "answer exceeds 16 MiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answers_split_at_empty_lines_and_commands_go_on_one_line),
		cmocka_unit_test(too_few_or_too_many_answers_are_errors),
		cmocka_unit_test(command_holding_a_separator_is_refused_before_connecting),
		cmocka_unit_test(unreachable_sockets_are_named),
		cmocka_unit_test(peer_that_accepts_and_never_answers_times_out),
		cmocka_unit_test(binary_and_foreign_answers_are_rejected),
		cmocka_unit_test(endless_answer_is_cut_at_the_size_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
