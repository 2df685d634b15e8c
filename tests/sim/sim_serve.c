/* cutover-sim: what a request gets — routing, the endpoint's behaviour, and
 * the answer itself (now, after its latency, never, or an RST).
 *
 * Two paths under an endpoint are a job side's: /runs (its run counters,
 * always answered) and, on a `trigger=routed` side, /run (starts a run and
 * holds the answer for run_ms). Elsewhere, and on a `self` side, they are
 * paths like any other. */
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "sim.h"
#include "sim_conn.h"

static const char GARBAGE[] = "\x16\x03\x01 this is not HTTP \xff\xfe\x00\x7f\r\n";

enum sim_step sim_serve_error(struct sim_loop *L, struct sim_conn *c, int status, const char *body,
                              bool keep_alive, bool head)
{
	c->close_after |= !keep_alive;
	size_t len = sim_http_response(L->out, sizeof L->out, status, "text/plain", NULL, body,
	                               strlen(body), !c->close_after, head);
	return sim_conn_send(L, c, L->out, len);
}

enum sim_step sim_serve_answer(struct sim_loop *L, struct sim_conn *c, const struct sim_service *s,
                               int side, const struct sim_reply *r, bool keep_alive, bool head)
{
	char body[200], extra[160];
	int blen;
	if (r->run && r->fire_ms >= 0)
		blen = snprintf(body, sizeof body,
		                "{\"run\":true,\"service\":\"%s\",\"side\":\"%s\",\"fire_ms\":%lld}",
		                s->name, sim_side_name(side), (long long)r->fire_ms);
	else if (r->run)
		blen = snprintf(body, sizeof body,
		                "{\"run\":true,\"service\":\"%s\",\"side\":\"%s\",\"fire_ms\":null}",
		                s->name, sim_side_name(side));
	else
		blen = snprintf(body, sizeof body, "{\"status\":\"%s\",\"service\":\"%s\",\"side\":\"%s\"}",
		                r->body_up ? "UP" : "DOWN", s->name, sim_side_name(side));
	snprintf(extra, sizeof extra, "X-Sim-Side: %s\r\nX-Sim-Service: %s\r\n", sim_side_name(side),
	         s->name);
	c->close_after |= !keep_alive;
	size_t len = sim_http_response(L->out, sizeof L->out, r->status, "application/json", extra, body,
	                               (size_t)blen, !c->close_after, head);
	return sim_conn_send(L, c, L->out, len);
}

/* Main port: /NAME/SIDE or /NAME/SIDE/anything; *rest gets what follows
 * /NAME/SIDE. Returns NULL for a 404. */
static struct sim_service *route(struct sim_loop *L, const char *path, size_t len, int *side,
                                 const char **rest, size_t *rest_len)
{
	if (len < 2 || path[0] != '/')
		return NULL;
	const char *name = path + 1, *end = path + len;
	const char *slash = memchr(name, '/', (size_t)(end - name));
	if (!slash)
		return NULL;
	const char *sd = slash + 1;
	const char *sd_end = memchr(sd, '/', (size_t)(end - sd));
	if (!sd_end)
		sd_end = end;
	unsigned mask;
	if (sim_side_parse(sd, (size_t)(sd_end - sd), &mask) < 0 ||
	    mask == (SIM_SIDE_BLUE_BIT | SIM_SIDE_GREEN_BIT))
		return NULL;
	*side = mask == SIM_SIDE_GREEN_BIT ? SIM_GREEN : SIM_BLUE;
	*rest = sd_end;
	*rest_len = (size_t)(end - sd_end);
	return sim_world_find(L->world, name, (size_t)(slash - name));
}

static bool path_is(const char *p, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(p, want, len) == 0;
}

/* /runs: the side's run counters, whatever its mode. */
static enum sim_step serve_runs(struct sim_loop *L, struct sim_conn *c, const struct sim_service *s,
                                int side, bool keep_alive, bool head)
{
	char body[160], extra[160];
	L->world->control++;
	sim_job_runs_json(&s->side[side], body, sizeof body);
	snprintf(extra, sizeof extra, "X-Sim-Side: %s\r\nX-Sim-Service: %s\r\n", sim_side_name(side),
	         s->name);
	c->close_after |= !keep_alive;
	size_t len = sim_http_response(L->out, sizeof L->out, 200, "application/json", extra, body,
	                               strlen(body), !c->close_after, head);
	return sim_conn_send(L, c, L->out, len);
}

enum sim_step sim_serve_request(struct sim_loop *L, struct sim_conn *c,
                                const struct sim_request *rq)
{
	bool keep = rq->keep_alive && !c->close_after;
	struct sim_service *s = c->bind_svc;
	int side = c->bind_side;
	const char *path = rq->target;
	size_t plen = rq->target_len;
	/* Absolute-form targets (sent to proxies) carry the path after the
	 * authority. */
	if (plen > 7 && strncmp(path, "http://", 7) == 0) {
		const char *p = memchr(path + 7, '/', plen - 7);
		plen = p ? plen - (size_t)(p - path) : 1;
		path = p ? p : "/";
	}
	const char *q = memchr(path, '?', plen);
	size_t qlen = 0;
	if (q) {
		qlen = plen - (size_t)(q - path) - 1;
		plen = (size_t)(q - path);
		q++;
	}
	/* On a --bind listener the whole path is what follows /NAME/SIDE. */
	const char *rest = path;
	size_t rest_len = plen;
	if (!s) {
		if (plen >= 6 && memcmp(path, "/_sim/", 6) == 0) {
			L->world->control++;
			c->close_after |= !keep;
			const char *resp;
			size_t len = sim_control_handle(L, path, plen, q ? q : "", qlen, !c->close_after,
			                                rq->head, &resp);
			return sim_conn_send(L, c, resp, len);
		}
		s = route(L, path, plen, &side, &rest, &rest_len);
		if (!s) {
			L->world->not_found++;
			return sim_serve_error(L, c, 404, "no such service or side\n", keep, rq->head);
		}
	}
	if (path_is(rest, rest_len, "/runs"))
		return serve_runs(L, c, s, side, keep, rq->head);
	bool run = path_is(rest, rest_len, "/run") && s->side[side].b.trigger == SIM_TRIGGER_ROUTED;
	struct sim_reply r;
	sim_endpoint_decide(L->world, &s->side[side], &L->rng, L->now_ns, run, &r);
	if (r.act == SIM_ACT_ANSWER && r.run) {
		/* The run starts as its request arrives; the answer is held for as
		 * long as the run lasts, so a router in front shows it current. */
		r.fire_ms = sim_job_run_start(L, s, side, rq->fire_ms);
		r.delay_ns = (uint64_t)sim_job_run_ms(s) * SIM_NS_PER_MS;
	}
	switch (r.act) {
	case SIM_ACT_HANG:
		/* Interest in the peer's FIN only: further input stays in the
		 * kernel, and we learn when the client gives up. */
		c->state = SIM_CONN_HANGING;
		sim_conn_set_events(L, c, EPOLLRDHUP);
		return SIM_STEP_BUSY;
	case SIM_ACT_RESET:
		sim_conn_reset(L, c);
		return SIM_STEP_GONE;
	case SIM_ACT_GARBAGE:
		c->close_after = true;
		return sim_conn_send(L, c, GARBAGE, sizeof GARBAGE - 1);
	case SIM_ACT_ANSWER:
		break;
	}
	if (r.delay_ns == 0)
		return sim_serve_answer(L, c, s, side, &r, keep, rq->head);
	c->svc = s;
	c->side = side;
	c->reply = r;
	c->keep_alive = keep;
	c->head = rq->head;
	c->state = SIM_CONN_WAITING;
	sim_conn_set_events(L, c, EPOLLRDHUP);
	/* L->now_ns is when epoll woke us, no later than the request's arrival,
	 * so the delay runs from the earliest honest point. */
	sim_timers_add(&L->timers, &c->timer, L->now_ns + r.delay_ns);
	return SIM_STEP_BUSY;
}

