/* cutover-sim: the control URLs on the main port.
 *
 *   GET /_sim/set?svc=NAME|*&side=blue|green|both&key=value...  -> 200 "ok\n" | 400 reason
 *   GET /_sim/stats[?svc=NAME]                                   -> 200 JSON
 *   GET /_sim/jobs[?svc=NAME]                                    -> 200 JSON
 *
 * A set is checked whole before it is applied, like a --spec line, so a typo
 * in one key changes nothing. */
#include <stdio.h>
#include <string.h>

#include "sim.h"

#define KEY_MAX 32
#define VAL_MAX 128

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent- and plus-decodes src into dst (cap bytes, NUL added). Returns the
 * length, or -1 when it does not fit or a %XX is malformed. */
static int url_decode(const char *src, size_t len, char *dst, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = src[i];
		if (ch == '+') {
			ch = ' ';
		} else if (ch == '%') {
			int hi = i + 2 < len ? hexval(src[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(src[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -1;
			ch = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		dst[o++] = ch;
	}
	dst[o] = '\0';
	return (int)o;
}

/* Calls fn for each decoded key=value in the query; stops at the first error. */
typedef int (*param_fn)(void *ctx, const char *k, size_t kl, const char *v, size_t vl, char *err,
                        size_t errlen);

static int each_param(const char *q, size_t qlen, param_fn fn, void *ctx, char *err, size_t errlen)
{
	const char *end = q + qlen;
	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *pe = amp ? amp : end;
		if (pe > q) {
			const char *eq = memchr(q, '=', (size_t)(pe - q));
			const char *ke = eq ? eq : pe;
			char k[KEY_MAX], v[VAL_MAX];
			int kl = url_decode(q, (size_t)(ke - q), k, sizeof k);
			int vl = eq ? url_decode(eq + 1, (size_t)(pe - eq - 1), v, sizeof v) : 0;
			if (!eq)
				v[0] = '\0';
			if (kl < 0 || vl < 0) {
				snprintf(err, errlen, "bad or too long parameter '%.*s'",
				         (int)((pe - q) > 40 ? 40 : (pe - q)), q);
				return -1;
			}
			if (fn(ctx, k, (size_t)kl, v, (size_t)vl, err, errlen) < 0)
				return -1;
		}
		q = pe + 1;
	}
	return 0;
}

struct set_req {
	char svc[SIM_NAME_MAX];
	bool have_svc;
	unsigned sides;
	struct sim_patch patch;
};

static int set_param(void *ctx, const char *k, size_t kl, const char *v, size_t vl, char *err,
                     size_t errlen)
{
	struct set_req *s = ctx;
	if (kl == 3 && memcmp(k, "svc", 3) == 0) {
		if (!(vl == 1 && v[0] == '*') && !sim_name_valid(v, vl)) {
			snprintf(err, errlen, "bad svc '%s'", v);
			return -1;
		}
		memcpy(s->svc, v, vl + 1);
		s->have_svc = true;
		return 0;
	}
	if (kl == 4 && memcmp(k, "side", 4) == 0) {
		if (sim_side_parse(v, vl, &s->sides) < 0) {
			snprintf(err, errlen, "bad side '%s' (blue, green or both)", v);
			return -1;
		}
		return 0;
	}
	return sim_patch_set(&s->patch, k, kl, v, vl, err, errlen);
}

static int do_set(struct sim_loop *L, const char *q, size_t qlen, char *err, size_t errlen)
{
	struct set_req s;
	memset(&s, 0, sizeof s);
	s.sides = SIM_SIDE_BLUE_BIT | SIM_SIDE_GREEN_BIT;
	if (each_param(q, qlen, set_param, &s, err, errlen) < 0)
		return -1;
	if (!s.have_svc) {
		snprintf(err, errlen, "missing svc=NAME (or svc=*)");
		return -1;
	}
	if (s.patch.mask == 0) {
		snprintf(err, errlen, "nothing to set");
		return -1;
	}
	struct sim_world *w = L->world;
	size_t from = 0, to = w->n;
	if (strcmp(s.svc, "*") != 0) {
		const struct sim_service *one = sim_world_find(w, s.svc, strlen(s.svc));
		if (!one) {
			snprintf(err, errlen, "unknown service '%s'", s.svc);
			return -1;
		}
		for (from = 0; w->svc[from] != one; from++)
			;
		to = from + 1;
	}
	/* A fire already due runs first, with the state it had at its instant;
	 * once this returns (and "ok" goes out) every later fire sees the change. */
	for (size_t i = from; i < to; i++)
		sim_job_catch_up(L, w->svc[i]);
	for (size_t i = from; i < to; i++) {
		for (int side = 0; side < 2; side++)
			if (s.sides & (1u << side))
				sim_patch_apply(&s.patch, w->svc[i], side, L->now_ns);
		sim_job_sync(L, w->svc[i]);
	}
	sim_listen_reconcile(L); /* mode=refuse opens or closes --bind ports */
	return 0;
}

static int stats_param(void *ctx, const char *k, size_t kl, const char *v, size_t vl, char *err,
                       size_t errlen)
{
	char *svc = ctx;
	if (kl == 3 && memcmp(k, "svc", 3) == 0) {
		if (!sim_name_valid(v, vl)) {
			snprintf(err, errlen, "bad svc '%s'", v);
			return -1;
		}
		memcpy(svc, v, vl + 1);
	}
	return 0;
}

static size_t put_endpoint(char *o, size_t cap, const char *side, const struct sim_endpoint *ep)
{
	const struct sim_behaviour *b = &ep->b;
	int n = snprintf(o, cap,
	                 ",\"%s\":{\"requests\":%llu,\"ok\":%llu,\"errors\":%llu,\"dropped\":%llu,"
	                 "\"lat_ms\":%g,\"jitter_ms\":%g,\"err_pct\":%g,\"status\":%d,"
	                 "\"err_status\":%d,\"body_status\":\"%s\",\"mode\":\"%s\",\"flap_s\":%u,"
	                 "\"suspended\":%s,\"trigger\":\"%s\",\"runs\":%llu,\"active\":%u}",
	                 side, (unsigned long long)ep->n.requests, (unsigned long long)ep->n.ok,
	                 (unsigned long long)ep->n.errors, (unsigned long long)ep->n.dropped, b->lat_ms,
	                 b->jitter_ms, b->err_pct, b->status, b->err_status, b->body_up ? "UP" : "DOWN",
	                 sim_mode_name(b->mode), b->flap_s, b->suspended ? "true" : "false",
	                 b->trigger == SIM_TRIGGER_ROUTED ? "routed" : "self",
	                 (unsigned long long)ep->r.runs, ep->r.active);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static int do_stats(struct sim_loop *L, const char *q, size_t qlen, char *body, size_t cap,
                    size_t *blen, char *err, size_t errlen)
{
	char svc[SIM_NAME_MAX] = "";
	if (each_param(q, qlen, stats_param, svc, err, errlen) < 0)
		return -1;
	const struct sim_service *s = NULL;
	if (svc[0] && !(s = sim_world_find(L->world, svc, strlen(svc)))) {
		snprintf(err, errlen, "unknown service '%s'", svc);
		return -1;
	}
	const struct sim_world *w = L->world;
	int n = snprintf(body, cap,
	                 "{\"requests\":%llu,\"ok\":%llu,\"errors\":%llu,\"dropped\":%llu,"
	                 "\"not_found\":%llu,\"control\":%llu,\"connections\":%zu,\"services\":%zu",
	                 (unsigned long long)w->total.requests, (unsigned long long)w->total.ok,
	                 (unsigned long long)w->total.errors, (unsigned long long)w->total.dropped,
	                 (unsigned long long)w->not_found, (unsigned long long)w->control, L->nconns,
	                 w->n);
	size_t len = n < 0 ? 0 : (size_t)n;
	if (s) {
		n = snprintf(body + len, cap - len, ",\"service\":\"%s\"", s->name);
		len += (size_t)n;
		len += put_endpoint(body + len, cap - len, "blue", &s->side[SIM_BLUE]);
		len += put_endpoint(body + len, cap - len, "green", &s->side[SIM_GREEN]);
	}
	len += (size_t)snprintf(body + len, cap - len, "}\n");
	*blen = len;
	return 0;
}

/* /_sim/jobs: one job with its fires (up to SIM_FIRES_MAX of them, ~300 KiB),
 * or every job's counters; built in L->body, answered from L->big. */
static int do_jobs(struct sim_loop *L, const char *q, size_t qlen, bool keep_alive, bool head,
                   const char **resp, size_t *len, char *err, size_t errlen)
{
	char svc[SIM_NAME_MAX] = "";
	if (each_param(q, qlen, stats_param, svc, err, errlen) < 0)
		return -1;
	const struct sim_service *s = NULL;
	if (svc[0] && !(s = sim_world_find(L->world, svc, strlen(svc)))) {
		snprintf(err, errlen, "unknown service '%s'", svc);
		return -1;
	}
	L->body.len = 0;
	if (s)
		sim_job_json(L, s, &L->body);
	else
		sim_job_list_json(L, &L->body);
	L->big.len = 0;
	sim_buf_reserve(&L->big, L->body.len + 512);
	*len = sim_http_response(L->big.p, L->big.cap, 200, "application/json", NULL, L->body.p,
	                         L->body.len, keep_alive, head);
	*resp = L->big.p;
	return 0;
}

size_t sim_control_handle(struct sim_loop *L, const char *path, size_t plen, const char *q,
                          size_t qlen, bool keep_alive, bool head, const char **resp)
{
	char err[256], body[4096];
	size_t blen = 0;
	*resp = L->out;
	if (plen == 9 && memcmp(path, "/_sim/set", 9) == 0) {
		if (do_set(L, q, qlen, err, sizeof err) < 0)
			goto bad;
		return sim_http_response(L->out, sizeof L->out, 200, "text/plain", NULL, "ok\n", 3,
		                         keep_alive, head);
	}
	if (plen == 11 && memcmp(path, "/_sim/stats", 11) == 0) {
		if (do_stats(L, q, qlen, body, sizeof body, &blen, err, sizeof err) < 0)
			goto bad;
		return sim_http_response(L->out, sizeof L->out, 200, "application/json", NULL, body, blen,
		                         keep_alive, head);
	}
	if (plen == 10 && memcmp(path, "/_sim/jobs", 10) == 0) {
		size_t len;
		if (do_jobs(L, q, qlen, keep_alive, head, resp, &len, err, sizeof err) < 0)
			goto bad;
		return len;
	}
	blen = (size_t)snprintf(body, sizeof body,
	                        "unknown control URL (try /_sim/set, /_sim/stats, /_sim/jobs)\n");
	return sim_http_response(L->out, sizeof L->out, 404, "text/plain", NULL, body, blen, keep_alive,
	                         head);
bad:
	blen = (size_t)snprintf(body, sizeof body, "%s\n", err);
	return sim_http_response(L->out, sizeof L->out, 400, "text/plain", NULL, body, blen, keep_alive,
	                         head);
}
