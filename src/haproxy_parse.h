/* haproxy_parse: the text of `show servers state` and `show stat`, read by
 * column name — never by position, since HAProxy adds columns between
 * versions. Internal to the haproxy driver; tests include it directly. */
#ifndef CUTOVER_HAPROXY_PARSE_H
#define CUTOVER_HAPROXY_PARSE_H

#include <stddef.h>

#include "cutover/error.h"
#include "haproxy_index.h"

/* One row of `show servers state`. Absent numbers are -1 (a short row). */
struct haproxy_server {
	const char *backend;	/* be_name, in the table's text */
	const char *server;	/* srv_name, in the table's text */
	int uweight;		/* srv_uweight: the weight set at run time */
	int iweight;		/* srv_iweight: the weight in the config file */
	int op_state;		/* srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping */
	int admin_state;	/* srv_admin_state: bit flags, non-zero = maintenance/drain */
};

struct haproxy_servers {
	struct haproxy_server *items;
	size_t n;
	char *text;		/* the answer, cut up: what the rows' names point into */
	struct haproxy_index index;	/* items by (backend, server), for finds */
};

/* Parses the answer to `show servers state` (version line "1", "# names"
 * header, one row per server). Returns 0, or -1 with err saying which line
 * is wrong; HAProxy's own error text ("Permission denied", "Unknown
 * command") is quoted when it is what came back. */
int haproxy_parse_servers(const char *text, struct haproxy_servers *out, struct co_error *err);
void haproxy_servers_done(struct haproxy_servers *s);
const struct haproxy_server *haproxy_servers_find(const struct haproxy_servers *s,
						   const char *backend, const char *server);

/* One row of `show stat`. Absent or empty numbers are -1. */
struct haproxy_stat {
	const char *pxname;	/* backend (or frontend) name, in the table's text */
	const char *svname;	/* server name, or FRONTEND / BACKEND, in the table's text */
	const char *status;	/* "UP", "DOWN", "MAINT", "no check"...; "" when absent */
	long long weight;	/* effective weight */
	long long scur;		/* current sessions */
	long long stot;		/* total sessions */
	long long req_tot;	/* total HTTP requests (HTTP mode only) */
	long long hrsp_5xx;
	long long responses;	/* hrsp_1xx + ... + hrsp_other, -1 if none present */
	double rtime_ms;	/* average response time over the last 1024 requests */
};

struct haproxy_stats {
	struct haproxy_stat *items;
	size_t n;
	char *text;		/* the answer, cut up: what the rows' strings point into */
	struct haproxy_index index;	/* items by (pxname, svname), for finds */
};

/* Parses the CSV answer to `show stat` (header "# pxname,svname,..."). */
int haproxy_parse_stat(const char *text, struct haproxy_stats *out, struct co_error *err);
void haproxy_stats_done(struct haproxy_stats *s);
const struct haproxy_stat *haproxy_stats_find(const struct haproxy_stats *s,
					       const char *pxname, const char *svname);

#endif
