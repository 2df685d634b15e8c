/* cutover-sim: what a request gets — routing, the endpoint's behaviour, and
 * the answer itself (now, after its latency, never, or an RST). */
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
	char body[160], extra[160];
	int blen = snprintf(body, sizeof body, "{\"status\":\"%s\",\"service\":\"%s\",\"side\":\"%s\"}",
	                    r->body_up ? "UP" : "DOWN", s->name, sim_side_name(side));
	snprintf(extra, sizeof extra, "X-Sim-Side: %s\r\nX-Sim-Service: %s\r\n", sim_side_name(side),
	         s->name);
	c->close_after |= !keep_alive;
	size_t len = sim_http_response(L->out, sizeof L->out, r->status, "application/json", extra, body,
	                               (size_t)blen, !c->close_after, head);
	return sim_conn_send(L, c, L->out, len);
}

/* Main port: /NAME/SIDE or /NAME/SIDE/anything. Returns NULL for a 404. */
static struct sim_service *route(struct sim_loop *L, const char *path, size_t len, int *side)
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
	return sim_world_find(L->world, name, (size_t)(slash - name));
}

enum sim_step sim_serve_request(struct sim_loop *L, struct sim_conn *c,
                                const struct sim_request *rq)
{
	bool keep = rq->keep_alive && !c->close_after;
	struct sim_service *s = c->bind_svc;
	int side = c->bind_side;
	if (!s) {
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
		if (plen >= 6 && memcmp(path, "/_sim/", 6) == 0) {
			L->world->control++;
			c->close_after |= !keep;
			size_t len = sim_control_handle(L, path, plen, q ? q : "", qlen, !c->close_after,
			                                rq->head);
			return sim_conn_send(L, c, L->out, len);
		}
		s = route(L, path, plen, &side);
		if (!s) {
			L->world->not_found++;
			return sim_serve_error(L, c, 404, "no such service or side\n", keep, rq->head);
		}
	}
	struct sim_reply r;
	sim_endpoint_decide(L->world, &s->side[side], &L->rng, L->now_ns, &r);
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

