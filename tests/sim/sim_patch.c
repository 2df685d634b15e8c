/* cutover-sim: `key=value` changes to an endpoint's behaviour.
 *
 * One parser serves both the --spec file and /_sim/set, so the two can never
 * disagree about what a key means or which values are allowed. A patch is
 * checked whole before anything is applied: a bad key leaves no half-change. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sim.h"

/* Values are short; copying bounds them and gives strtod a terminator. A
 * trigger_url may be longer, up to SIM_URL_MAX - 1. */
#define VALUE_MAX 32

static int parse_double(const char *v, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end != '\0' || !isfinite(d) || d < lo || d > hi)
		return -1;
	*out = d;
	return 0;
}

static int parse_int(const char *v, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end != '\0' || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

static int parse_mode(const char *v, enum sim_mode *m)
{
	static const enum sim_mode all[] = {SIM_MODE_OK, SIM_MODE_HANG, SIM_MODE_RESET,
	                                    SIM_MODE_GARBAGE, SIM_MODE_REFUSE};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(v, sim_mode_name(all[i])) == 0) {
			*m = all[i];
			return 0;
		}
	return -1;
}

/* http://127.0.0.1:PORT[/path] or http://[::1]:PORT[/path]; empty clears it.
 * Only loopback, and the path only of printable characters that need no
 * escaping in JSON and cannot break the request line. */
static int parse_url(const char *v, struct sim_url *u)
{
	memset(u, 0, sizeof *u);
	if (*v == '\0')
		return 0;
	const char *rest;
	if (strncmp(v, "http://127.0.0.1:", 17) == 0) {
		u->family = AF_INET;
		rest = v + 17;
	} else if (strncmp(v, "http://[::1]:", 13) == 0) {
		u->family = AF_INET6;
		rest = v + 13;
	} else {
		return -1;
	}
	long port = 0;
	const char *p = rest;
	while (*p >= '0' && *p <= '9' && p - rest < 5)
		port = port * 10 + (*p++ - '0');
	if (p == rest || port < 1 || port > 65535 || (*p != '\0' && *p != '/'))
		return -1;
	for (const char *q = p; *q; q++)
		if (*q <= ' ' || *q > '~' || *q == '"' || *q == '\\')
			return -1;
	u->set = true;
	u->port = (uint16_t)port;
	snprintf(u->text, sizeof u->text, "%s", v);
	snprintf(u->path, sizeof u->path, "%s", *p ? p : "/");
	return 0;
}

static bool key_is(const char *key, size_t klen, const char *name)
{
	return strlen(name) == klen && memcmp(key, name, klen) == 0;
}

int sim_patch_set(struct sim_patch *p, const char *key, size_t klen, const char *val, size_t vlen,
                  char *err, size_t errlen)
{
	char v[SIM_URL_MAX];
	int kl = klen > 32 ? 32 : (int)klen;
	if (vlen > (key_is(key, klen, "trigger_url") ? SIM_URL_MAX - 1 : VALUE_MAX)) {
		snprintf(err, errlen, "value of '%.*s' is too long", kl, key);
		return -1;
	}
	memcpy(v, val, vlen);
	v[vlen] = '\0';
	long n;
	const char *want;
	/* Latencies above ten minutes are typos, not tests. */
	if (key_is(key, klen, "lat_ms")) {
		want = "a number of ms from 0 to 600000";
		if (parse_double(v, 0, 600000, &p->v.lat_ms) < 0)
			goto bad;
		p->mask |= SIM_P_LAT;
	} else if (key_is(key, klen, "jitter_ms")) {
		want = "a number of ms from 0 to 600000";
		if (parse_double(v, 0, 600000, &p->v.jitter_ms) < 0)
			goto bad;
		p->mask |= SIM_P_JITTER;
	} else if (key_is(key, klen, "err_pct")) {
		want = "a percentage from 0 to 100";
		if (parse_double(v, 0, 100, &p->v.err_pct) < 0)
			goto bad;
		p->mask |= SIM_P_ERR_PCT;
	} else if (key_is(key, klen, "status") || key_is(key, klen, "err_status")) {
		/* 1xx is never a final answer, so it cannot stand for one. */
		want = "an HTTP status from 200 to 599";
		if (parse_int(v, 200, 599, &n) < 0)
			goto bad;
		if (key[0] == 's') {
			p->v.status = (int)n;
			p->mask |= SIM_P_STATUS;
		} else {
			p->v.err_status = (int)n;
			p->mask |= SIM_P_ERR_STATUS;
		}
	} else if (key_is(key, klen, "body_status")) {
		want = "UP or DOWN";
		if (strcasecmp(v, "UP") == 0)
			p->v.body_up = true;
		else if (strcasecmp(v, "DOWN") == 0)
			p->v.body_up = false;
		else
			goto bad;
		p->mask |= SIM_P_BODY;
	} else if (key_is(key, klen, "mode")) {
		want = "ok, hang, reset, garbage or refuse";
		if (parse_mode(v, &p->v.mode) < 0)
			goto bad;
		p->mask |= SIM_P_MODE;
	} else if (key_is(key, klen, "flap_s")) {
		want = "whole seconds from 0 (off) to 86400";
		if (parse_int(v, 0, 86400, &n) < 0)
			goto bad;
		p->v.flap_s = (unsigned)n;
		p->mask |= SIM_P_FLAP;
	} else if (key_is(key, klen, "suspended")) {
		want = "0 or 1";
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			goto bad;
		p->v.suspended = v[0] == '1';
		p->mask |= SIM_P_SUSPENDED;
	} else if (key_is(key, klen, "trigger")) {
		want = "self or routed";
		if (strcmp(v, "self") == 0)
			p->v.trigger = SIM_TRIGGER_SELF;
		else if (strcmp(v, "routed") == 0)
			p->v.trigger = SIM_TRIGGER_ROUTED;
		else
			goto bad;
		p->mask |= SIM_P_TRIGGER;
	} else if (key_is(key, klen, "every_s")) {
		want = "whole seconds from 0 (not a job) to 86400";
		if (parse_int(v, 0, 86400, &n) < 0)
			goto bad;
		p->job.every_s = (unsigned)n;
		p->mask |= SIM_P_EVERY;
	} else if (key_is(key, klen, "run_ms")) {
		want = "whole ms from 0 to 3600000";
		if (parse_int(v, 0, 3600000, &n) < 0)
			goto bad;
		p->job.run_ms = (unsigned)n;
		p->mask |= SIM_P_RUN_MS;
	} else if (key_is(key, klen, "trigger_url")) {
		want = "http://127.0.0.1:PORT/path or http://[::1]:PORT/path (empty: none)";
		if (parse_url(v, &p->job.url) < 0)
			goto bad;
		p->mask |= SIM_P_URL;
	} else {
		snprintf(err, errlen,
		         "unknown key '%.*s' (known: lat_ms jitter_ms err_pct status err_status "
		         "body_status mode flap_s every_s run_ms suspended trigger trigger_url)",
		         kl, key);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad %.*s '%s': want %s", kl, key, v, want);
	return -1;
}

void sim_patch_apply(const struct sim_patch *p, struct sim_service *s, int side, uint64_t now_ns)
{
	struct sim_endpoint *ep = &s->side[side];
	struct sim_behaviour *b = &ep->b;
	if (p->mask & SIM_P_LAT)
		b->lat_ms = p->v.lat_ms;
	if (p->mask & SIM_P_JITTER)
		b->jitter_ms = p->v.jitter_ms;
	if (p->mask & SIM_P_ERR_PCT)
		b->err_pct = p->v.err_pct;
	if (p->mask & SIM_P_STATUS)
		b->status = p->v.status;
	if (p->mask & SIM_P_ERR_STATUS)
		b->err_status = p->v.err_status;
	if (p->mask & SIM_P_BODY)
		b->body_up = p->v.body_up;
	if (p->mask & SIM_P_MODE)
		b->mode = p->v.mode;
	if (p->mask & SIM_P_FLAP) {
		/* Restarting the cycle makes "set flap_s=2" start with 2 s up, as a
		 * test reading it would expect. */
		b->flap_s = p->v.flap_s;
		ep->flap_t0_ns = now_ns;
	}
	if (p->mask & SIM_P_SUSPENDED)
		b->suspended = p->v.suspended;
	if (p->mask & SIM_P_TRIGGER)
		b->trigger = p->v.trigger;
	sim_job_apply(s, p->mask, &p->job);
}
