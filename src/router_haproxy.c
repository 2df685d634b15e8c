/* router_haproxy: the router driver for a fleet of HAProxy instances, each
 * reached through its runtime API socket. observe() reads weights and
 * traffic; apply() sets weights in an order that never leaves a backend
 * without any weight, then reads them back. */
#include "cutover/router_haproxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy_apply.h"
#include "haproxy_conn.h"
#include "haproxy_parse.h"

struct router {
	const struct config *cfg;
	bool no_traffic;	/* observe reads weights only */
};

/* --- the spread -------------------------------------------------------- */

int router_haproxy_scale(size_t n_blue, size_t n_green)
{
	size_t lo = n_blue < n_green ? n_blue : n_green;
	size_t hi = n_blue < n_green ? n_green : n_blue;
	size_t cap = ROUTER_HAPROXY_WEIGHT_MAX * lo / 100;	/* keeps 100*K/lo <= 256 */
	return (int)(hi < cap ? hi : cap);
}

static void spread_side(int total, size_t n, int *w)
{
	for (size_t i = 0; i < n; i++)
		w[i] = total / (int)n + ((size_t)(total % (int)n) > i ? 1 : 0);
}

int router_haproxy_spread(int share, size_t n_blue, size_t n_green, int *blue, int *green)
{
	if (share < 0 || share > 100 || n_blue == 0 || n_green == 0)
		return -1;
	int k = router_haproxy_scale(n_blue, n_green);
	spread_side((100 - share) * k, n_blue, blue);
	spread_side(share * k, n_green, green);
	return 0;
}

static int share_of(long blue, long green)
{
	long total = blue + green;
	if (blue < 0 || green < 0 || total == 0)
		return WEIGHT_UNKNOWN;
	return (int)((200 * green + total) / (2 * total));
}

int router_haproxy_share(const int *blue, size_t n_blue, const int *green, size_t n_green)
{
	long sum[2] = { 0, 0 };
	for (size_t i = 0; i < n_blue + n_green; i++) {
		int w = i < n_blue ? blue[i] : green[i - n_blue];
		if (w < 0)
			return WEIGHT_UNKNOWN;
		sum[i >= n_blue] += w;
	}
	return share_of(sum[0], sum[1]);
}

/* --- driver state ------------------------------------------------------ */

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Names travel inside "set server BE/SRV weight N;...": a blank, ';', '/'
 * or the CLI's escape '\\' would cut or bend the command. */
static int check_name(const struct service_conf *s, const char *name, struct co_error *err)
{
	if (!name || !*name || strpbrk(name, " \t\r\n;/\\")) {
		co_error_set(err, "service %s: haproxy backend/server name '%s' cannot be sent"
			     " to the runtime API", s->name, name ? name : "");
		return -1;
	}
	return 0;
}

static struct router *hap_open(const struct config *cfg, struct co_error *err)
{
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct service_conf *s = &cfg->services[i];
		if (check_name(s, s->route.backend, err) < 0)
			return NULL;
		for (int side = SIDE_BLUE; side <= SIDE_GREEN; side++) {
			if (s->route.n_servers[side] == 0) {
				co_error_set(err, "service %s: no %s server in its haproxy route",
					     s->name, side_name((enum side)side));
				return NULL;
			}
			for (size_t k = 0; k < s->route.n_servers[side]; k++)
				if (check_name(s, s->route.servers[side][k], err) < 0)
					return NULL;
		}
	}
	struct router *r = calloc(1, sizeof(*r));
	if (!r) {
		co_error_set(err, "haproxy driver: out of memory");
		return NULL;
	}
	r->cfg = cfg;
	return r;
}

static void hap_close(struct router *r)
{
	free(r);
}

static size_t hap_n_instances(const struct router *r)
{
	return r->cfg->router.n_sockets;
}

/* Prepares res and returns the instance's socket, or NULL if out of range. */
static const struct socket_conf *begin(const struct router *r, size_t instance,
				       struct instance_result *res)
{
	memset(res, 0, sizeof(*res));
	if (instance >= r->cfg->router.n_sockets) {
		snprintf(res->name, sizeof(res->name), "#%zu", instance);
		snprintf(res->error, sizeof(res->error), "haproxy: no instance #%zu (fleet of %zu)",
			 instance, r->cfg->router.n_sockets);
		return NULL;
	}
	const struct socket_conf *sock = &r->cfg->router.sockets[instance];
	copy_str(res->name, sizeof(res->name), sock->text);
	return sock;
}

static int fail(struct instance_result *res, const char *msg)
{
	res->ok = false;
	copy_str(res->error, sizeof(res->error), msg);
	return -1;
}

static uint64_t deadline_of(const struct router *r)
{
	int ms = r->cfg->router.timeout_ms > 0 ? r->cfg->router.timeout_ms : 2000;
	return haproxy_now_ms() + (uint64_t)ms;
}

/* --- observe ----------------------------------------------------------- */

/* Traffic of one side: sums over its servers; the response time is the
 * mean weighted by each server's requests, since HAProxy's rtime is already
 * a per-server average. */
static void side_traffic(const struct haproxy_stats *st, const char *be, char *const *srv,
			 size_t n, struct side_traffic *t)
{
	double rt_sum = 0, rt_plain = 0;
	long long rt_reqs = 0, fivexx = 0, responses = 0;
	int rt_n = 0;
	memset(t, 0, sizeof(*t));
	for (size_t k = 0; k < n; k++) {
		const struct haproxy_stat *row = haproxy_stats_find(st, be, srv[k]);
		if (!row)
			continue;
		long long reqs = row->req_tot >= 0 ? row->req_tot : row->stot >= 0 ? row->stot : 0;
		t->known = true;
		t->sessions += row->scur > 0 ? (long)row->scur : 0;
		t->requests += (uint64_t)reqs;
		fivexx += row->hrsp_5xx > 0 ? row->hrsp_5xx : 0;
		responses += row->responses > 0 ? row->responses : 0;
		if (row->rtime_ms >= 0) {
			rt_sum += row->rtime_ms * (double)reqs;
			rt_reqs += reqs;
			rt_plain += row->rtime_ms;
			rt_n++;
		}
	}
	t->rtime_ms = rt_reqs ? rt_sum / (double)rt_reqs : rt_n ? rt_plain / rt_n : 0;
	t->err5xx_pct = responses ? 100.0 * (double)fivexx / (double)responses : 0;
	t->responses = (uint64_t)responses;
	t->err5xx = (uint64_t)fivexx;
}

/* The share a service's servers carry on this instance, or WEIGHT_UNKNOWN
 * with the reason in detail. */
static int service_weight(const struct service_conf *s, const struct haproxy_servers *sv,
			  const char *inst, char *detail, size_t size)
{
	long sum[2] = { 0, 0 };
	for (int side = SIDE_BLUE; side <= SIDE_GREEN; side++) {
		for (size_t k = 0; k < s->route.n_servers[side]; k++) {
			const char *name = s->route.servers[side][k];
			const struct haproxy_server *row = haproxy_servers_find(sv, s->route.backend, name);
			if (!row || row->uweight < 0) {
				snprintf(detail, size, row ? "weight of %s/%s unreadable on %s"
					 : "no server %s/%s on %s", s->route.backend, name, inst);
				return WEIGHT_UNKNOWN;
			}
			sum[side] += row->uweight;
		}
	}
	int share = share_of(sum[SIDE_BLUE], sum[SIDE_GREEN]);
	if (share == WEIGHT_UNKNOWN)
		snprintf(detail, size, "every server of %s is at weight 0 on %s", s->route.backend, inst);
	return share;
}

static void observe_unknown(const struct config *cfg, struct route_observation *obs,
			    const char *why)
{
	for (size_t i = 0; i < cfg->n_services; i++) {
		memset(&obs[i], 0, sizeof(obs[i]));
		obs[i].service = i;
		obs[i].weight = WEIGHT_UNKNOWN;
		copy_str(obs[i].detail, sizeof(obs[i].detail), why);
	}
}

static int hap_observe(struct router *r, size_t instance, struct route_observation *obs,
		       struct instance_result *res)
{
	const struct config *cfg = r->cfg;
	const struct socket_conf *sock = begin(r, instance, res);
	if (!sock) {
		observe_unknown(cfg, obs, res->error);
		return -1;
	}
	/* "-1 4 -1": every proxy, servers only (type 4). Frontend and backend
	 * rows are a third of the CSV and nothing here reads them; at 1,000
	 * services the full table is ~700 KB per instance to make and parse. */
	static const char *const cmds[] = { "show servers state", "show stat -1 4 -1" };
	struct haproxy_reply reply;
	struct haproxy_servers sv = { 0 };
	struct haproxy_stats st = { 0 };
	struct co_error err = { "" }, perr = { "" };
	size_t n_cmds = r->no_traffic ? 1 : 2;
	if (haproxy_exchange(sock, deadline_of(r), cmds, n_cmds, &reply, &err) == 0) {
		if (haproxy_parse_servers(reply.answer[0], &sv, &perr) < 0 ||
		    (n_cmds == 2 && haproxy_parse_stat(reply.answer[1], &st, &perr) < 0))
			co_error_set(&err, "haproxy %s: %s", sock->text, perr.msg);
		haproxy_reply_done(&reply);
	}
	if (err.msg[0]) {
		observe_unknown(cfg, obs, err.msg);
		haproxy_servers_done(&sv);
		haproxy_stats_done(&st);
		return fail(res, err.msg);
	}
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct service_conf *s = &cfg->services[i];
		memset(&obs[i], 0, sizeof(obs[i]));
		obs[i].service = i;
		obs[i].weight = service_weight(s, &sv, sock->text, obs[i].detail, sizeof(obs[i].detail));
		for (int side = SIDE_BLUE; side <= SIDE_GREEN && n_cmds == 2; side++)
			side_traffic(&st, s->route.backend, s->route.servers[side],
				     s->route.n_servers[side], &obs[i].traffic[side]);
	}
	haproxy_servers_done(&sv);
	haproxy_stats_done(&st);
	res->ok = true;
	return 0;
}

/* --- apply ------------------------------------------------------------- */

static int hap_apply(struct router *r, size_t instance, const struct weight_change *changes,
		     size_t n, struct instance_result *res)
{
	const struct socket_conf *sock = begin(r, instance, res);
	struct co_error err = { "" };
	if (!sock)
		return -1;
	if (haproxy_apply(r->cfg, sock, deadline_of(r), changes, n, &err) < 0)
		return fail(res, err.msg);
	res->ok = true;
	return 0;
}

static void hap_want_traffic(struct router *r, bool want)
{
	r->no_traffic = !want;
}

const struct router_driver router_driver_haproxy = {
	.name = "haproxy",
	.open = hap_open,
	.close = hap_close,
	.n_instances = hap_n_instances,
	.observe = hap_observe,
	.apply = hap_apply,
	.want_traffic = hap_want_traffic,
};
