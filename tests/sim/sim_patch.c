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

#include "sim.h"

/* Values are short; copying bounds them and gives strtod a terminator. */
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

static bool key_is(const char *key, size_t klen, const char *name)
{
	return strlen(name) == klen && memcmp(key, name, klen) == 0;
}

int sim_patch_set(struct sim_patch *p, const char *key, size_t klen, const char *val, size_t vlen,
                  char *err, size_t errlen)
{
	char v[VALUE_MAX + 1];
	int kl = klen > 32 ? 32 : (int)klen;
	if (vlen > VALUE_MAX) {
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
	} else {
		snprintf(err, errlen,
		         "unknown key '%.*s' (known: lat_ms jitter_ms err_pct status err_status "
		         "body_status mode flap_s)",
		         kl, key);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad %.*s '%s': want %s", kl, key, v, want);
	return -1;
}

void sim_patch_apply(const struct sim_patch *p, struct sim_endpoint *ep, uint64_t now_ns)
{
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
}
