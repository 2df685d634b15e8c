/* libFuzzer target: the HAProxy runtime API answers, `show servers state`
 * and `show stat` (src/haproxy_parse.c over haproxy_text.c), both fed the
 * same bytes. A table either parses, and every row is found again by its
 * names, or is refused with a reason. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/haproxy_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_servers(const char *text)
{
	struct haproxy_servers s;
	struct co_error err = { .msg = "" };
	if (haproxy_parse_servers(text, &s, &err) < 0) {
		if (!err.msg[0])
			abort();
		return;
	}
	for (size_t i = 0; i < s.n; i++) {
		const struct haproxy_server *a = &s.items[i];
		const struct haproxy_server *b = haproxy_servers_find(&s, a->backend, a->server);
		/* A repeated row is found as its first occurrence: same names. */
		if (!b || strcmp(a->backend, b->backend) || strcmp(a->server, b->server))
			abort();
	}
	haproxy_servers_done(&s);
}

static void check_stat(const char *text)
{
	struct haproxy_stats s;
	struct co_error err = { .msg = "" };
	if (haproxy_parse_stat(text, &s, &err) < 0) {
		if (!err.msg[0])
			abort();
		return;
	}
	for (size_t i = 0; i < s.n; i++) {
		const struct haproxy_stat *a = &s.items[i];
		const struct haproxy_stat *b = haproxy_stats_find(&s, a->pxname, a->svname);
		if (!b || strcmp(a->pxname, b->pxname) || strcmp(a->svname, b->svname) || !a->status)
			abort();
	}
	haproxy_stats_done(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The socket reader hands the parsers a NUL-ended answer. */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_servers(text);
	check_stat(text);
	free(text);
	return 0;
}
