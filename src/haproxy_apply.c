/* haproxy_apply: one batch of weight changes on one HAProxy instance. The
 * order of the `set server` commands is what keeps traffic flowing; the
 * `show servers state` sent after them is what proves they took. */
#include "haproxy_apply.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/router_haproxy.h"
#include "haproxy_conn.h"
#include "haproxy_parse.h"

/* One `set server` command: a server of a service's route and its weight. */
struct target {
	const char *backend, *server;
	int weight;
	size_t order;		/* position in the request, to keep ties in it */
	char *cmd;
};

struct plan {
	struct target *t;
	size_t n;
};

static void plan_done(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->t[i].cmd);
	free(p->t);
}

static int add_targets(struct plan *p, const struct service_conf *s, int share)
{
	size_t nb = s->route.n_servers[SIDE_BLUE], ng = s->route.n_servers[SIDE_GREEN];
	int *w = calloc(nb + ng, sizeof(*w));
	if (!w || router_haproxy_spread(share, nb, ng, w, w + nb) < 0) {
		free(w);
		return -1;
	}
	for (size_t i = 0; i < nb + ng; i++) {
		struct target *t = &p->t[p->n];
		t->backend = s->route.backend;
		t->server = i < nb ? s->route.servers[SIDE_BLUE][i] : s->route.servers[SIDE_GREEN][i - nb];
		t->weight = w[i];
		t->order = p->n;
		size_t len = strlen(t->backend) + strlen(t->server) + 32;
		if (!(t->cmd = malloc(len))) {
			free(w);
			return -1;
		}
		snprintf(t->cmd, len, "set server %s/%s weight %d", t->backend, t->server, t->weight);
		p->n++;
	}
	free(w);
	return 0;
}

/* Servers going to a non-zero weight come first, heaviest first: once they
 * are all set the backend's total is its final, non-zero total, and only
 * then may anything drop to zero. */
static int by_weight_desc(const void *a, const void *b)
{
	const struct target *x = a, *y = b;
	if (x->weight != y->weight)
		return y->weight - x->weight;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Checks every change and counts the servers they set. A service seen
 * twice is found by marking the services seen: comparing each change with
 * the ones before it was 500,000 comparisons for 1,000 changes, per instance. */
static int check_changes(const struct config *cfg, const struct weight_change *changes, size_t n,
			 size_t *total, struct co_error *err)
{
	bool *seen = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(*seen));
	if (!seen) {
		co_error_set(err, "haproxy: out of memory");
		return -1;
	}
	int rc = 0;
	*total = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t svc = changes[i].service;
		if (svc >= cfg->n_services || changes[i].weight < 0 || changes[i].weight > 100) {
			co_error_set(err, "haproxy: change #%zu is out of range (service %zu, weight %d)",
				     i, svc, changes[i].weight);
			rc = -1;
		} else if (seen[svc]) {
			co_error_set(err, "haproxy: service %s is changed twice in one batch",
				     cfg->services[svc].name);
			rc = -1;
		} else {
			const struct route_conf *rt = &cfg->services[svc].route;
			seen[svc] = true;
			*total += rt->n_servers[SIDE_BLUE] + rt->n_servers[SIDE_GREEN];
		}
	}
	free(seen);
	return rc;
}

static int build_plan(const struct config *cfg, const struct weight_change *changes, size_t n,
		      struct plan *p, struct co_error *err)
{
	size_t total;
	if (check_changes(cfg, changes, n, &total, err) < 0)
		return -1;
	if (!(p->t = calloc(total ? total : 1, sizeof(*p->t)))) {
		co_error_set(err, "haproxy: out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct service_conf *svc = &cfg->services[changes[i].service];
		if (add_targets(p, svc, changes[i].weight) < 0) {
			co_error_set(err, "haproxy: cannot build the weights of service %s"
				     " (out of memory, or a side without servers)", svc->name);
			return -1;
		}
	}
	/* qsort is not stable; the order field keeps ties in the requested order. */
	qsort(p->t, p->n, sizeof(*p->t), by_weight_desc);
	return 0;
}

/* Checks the answers to t[0..m) (empty means done). -1 with err naming the
 * first refusal verbatim, the command, and how much of the batch applied. */
static int check_answers(const char *inst, const struct haproxy_reply *reply,
			 const struct target *t, size_t m, size_t done_before, size_t total,
			 struct co_error *err)
{
	size_t ok = 0, first_bad = m;
	for (size_t i = 0; i < m; i++) {
		if (reply->answer[i][strspn(reply->answer[i], " \r\n")] == '\0')
			ok++;
		else if (first_bad == m)
			first_bad = i;
	}
	if (first_bad == m)
		return 0;
	char said[160];
	haproxy_answer_line(reply->answer[first_bad], said, sizeof(said));
	co_error_set(err, "haproxy %s: %s [%s] (%zu of %zu weight sets applied%s)", inst, said,
		     t[first_bad].cmd, done_before + ok, total,
		     done_before + m < total ? "; sets to weight 0 withheld" : "");
	return -1;
}

/* Compares the final `show servers state` with what was set. */
static int verify(const char *inst, const char *state, const struct plan *p, struct co_error *err)
{
	struct haproxy_servers sv;
	struct co_error perr = { "" };
	if (haproxy_parse_servers(state, &sv, &perr) < 0) {
		co_error_set(err, "haproxy %s: read-back: %s", inst, perr.msg);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < p->n && rc == 0; i++) {
		const struct target *t = &p->t[i];
		const struct haproxy_server *row = haproxy_servers_find(&sv, t->backend, t->server);
		if (!row || row->uweight != t->weight) {
			co_error_set(err, "haproxy %s: read-back: %s/%s weight is %d, expected %d", inst,
				     t->backend, t->server, row ? row->uweight : -1, t->weight);
			rc = -1;
		}
	}
	haproxy_servers_done(&sv);
	return rc;
}

/* Sends t[0..m) on one connection, plus a `show servers state` when
 * read_back (the last phase): HAProxy runs the commands of a line in order
 * and a weight takes effect at once, so that last answer is the state after
 * the sets, with no second connection and no window. An earlier phase
 * skips it: its state would be read (2,000 servers: 160 KB) and dropped. */
static int send_phase(const struct socket_conf *sock, uint64_t deadline, const struct plan *p,
		      size_t from, size_t m, bool read_back, struct haproxy_reply *reply,
		      struct co_error *err)
{
	const char **cmds = calloc(m + 1, sizeof(*cmds));
	if (!cmds) {
		co_error_set(err, "haproxy %s: out of memory", sock->text);
		return -1;
	}
	for (size_t i = 0; i < m; i++)
		cmds[i] = p->t[from + i].cmd;
	if (read_back)
		cmds[m] = "show servers state";
	int rc = haproxy_exchange(sock, deadline, cmds, m + (read_back ? 1 : 0), reply, err);
	free(cmds);
	if (rc < 0) {
		/* The router may have run the line before the failure: say so. */
		char why[sizeof(err->msg)];
		memcpy(why, err->msg, sizeof(why));
		co_error_set(err, "%s (%zu of %zu weight sets done, the next %zu unknown)",
			     why, from, p->n, m);
		return -1;
	}
	return check_answers(sock->text, reply, &p->t[from], m, from, p->n, err);
}

/* Two phases, because HAProxy carries on after a refused command: sent on
 * one line, a refused raise (a static-rr backend refuses most weights)
 * followed by an accepted drop to 0 would leave the backend with nothing.
 * Phase 1 raises or keeps every server with a non-zero target; only if all
 * of it was accepted does phase 2 set the zeros. A step that leaves every
 * server above zero (1..99 % with a server or two a side) is one connection. */
int haproxy_apply(const struct config *cfg, const struct socket_conf *sock, uint64_t deadline_ms,
		  const struct weight_change *changes, size_t n, struct co_error *err)
{
	struct plan p = { 0 };
	struct haproxy_reply reply = { 0 };
	size_t nonzero = 0;
	int rc = build_plan(cfg, changes, n, &p, err);
	while (rc == 0 && nonzero < p.n && p.t[nonzero].weight > 0)
		nonzero++;
	size_t bounds[3] = { 0, nonzero, p.n };
	for (int phase = 0; phase < 2 && rc == 0; phase++) {
		size_t m = bounds[phase + 1] - bounds[phase];
		if (m == 0)
			continue;
		haproxy_reply_done(&reply);
		bool last = phase == 1 || bounds[2] == bounds[1];
		rc = send_phase(sock, deadline_ms, &p, bounds[phase], m, last, &reply, err);
	}
	if (rc == 0 && p.n > 0)
		rc = verify(sock->text, reply.answer[reply.n - 1], &p, err);
	haproxy_reply_done(&reply);
	plan_done(&p);
	return rc;
}
