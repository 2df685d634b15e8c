/* cutover-sim: the --spec file, one endpoint behaviour per line.
 *
 *   # NAME SIDE key=value ...
 *   checkout-api green lat_ms=35 jitter_ms=3 err_pct=0 status=200 mode=ok
 *
 * NAME may be `*` (every service known at that line); SIDE is blue, green or
 * both. The file describes the endpoints it names: on each load (start-up and
 * SIGHUP) an endpoint is reset to the defaults at its first line, then every
 * line that names it is applied in order. Endpoints the file does not name are
 * left as they are. The whole file is checked before any of it is applied, so
 * a bad edit followed by SIGHUP changes nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct spec_line {
	char name[SIM_NAME_MAX]; /* "*" for every service */
	unsigned sides;
	struct sim_patch patch;
};

static const char *next_token(const char **p, size_t *len)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (*s == '\0' || *s == '#')
		return NULL;
	const char *e = s;
	while (*e && *e != ' ' && *e != '\t' && *e != '\r' && *e != '\n')
		e++;
	*len = (size_t)(e - s);
	*p = e;
	return s;
}

/* Returns 1 for a line with an endpoint, 0 for blank/comment, -1 on error. */
static int parse_line(const char *text, struct spec_line *out, char *err, size_t errlen)
{
	const char *p = text;
	size_t len;
	const char *name = next_token(&p, &len);
	if (!name)
		return 0;
	if (!(len == 1 && name[0] == '*') && !sim_name_valid(name, len)) {
		snprintf(err, errlen, "bad service name '%.*s' (1-63 of A-Z a-z 0-9 . _ -)",
		         len > 64 ? 64 : (int)len, name);
		return -1;
	}
	memcpy(out->name, name, len);
	out->name[len] = '\0';
	const char *side = next_token(&p, &len);
	if (!side) {
		snprintf(err, errlen, "missing side after '%s' (blue, green or both)", out->name);
		return -1;
	}
	if (sim_side_parse(side, len, &out->sides) < 0) {
		snprintf(err, errlen, "bad side '%.*s' (blue, green or both)",
		         len > 32 ? 32 : (int)len, side);
		return -1;
	}
	memset(&out->patch, 0, sizeof out->patch);
	const char *kv;
	while ((kv = next_token(&p, &len)) != NULL) {
		const char *eq = memchr(kv, '=', len);
		if (!eq) {
			snprintf(err, errlen, "expected key=value, got '%.*s'", len > 64 ? 64 : (int)len, kv);
			return -1;
		}
		size_t klen = (size_t)(eq - kv);
		if (sim_patch_set(&out->patch, kv, klen, eq + 1, len - klen - 1, err, errlen) < 0)
			return -1;
	}
	return 1;
}

static void apply_one(struct sim_world *w, struct sim_service *s, const struct spec_line *ln,
                      uint64_t now_ns)
{
	/* The job keys belong to the service: reset once per load, at the
	 * first line naming it, whichever side that line names. */
	if (ln->patch.mask & SIM_P_JOB_KEYS)
		sim_job_get(s);
	sim_job_load_reset(s, w->load_gen);
	for (int side = 0; side < 2; side++) {
		if (!(ln->sides & (1u << side)))
			continue;
		struct sim_endpoint *ep = &s->side[side];
		if (ep->load_gen != w->load_gen) {
			sim_behaviour_default(&ep->b);
			ep->flap_t0_ns = now_ns;
			ep->load_gen = w->load_gen;
		}
		sim_patch_apply(&ln->patch, s, side, now_ns);
	}
}

int sim_spec_load(struct sim_world *w, const char *path, uint64_t now_ns, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct spec_line *lines = NULL;
	size_t n = 0, cap = 0;
	char *buf = NULL;
	size_t bufcap = 0;
	unsigned lineno = 0;
	int rc = 0;
	while (getline(&buf, &bufcap, f) >= 0) {
		lineno++;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			lines = sim_xrealloc(lines, cap * sizeof *lines);
		}
		char why[200];
		int got = parse_line(buf, &lines[n], why, sizeof why);
		if (got < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			rc = -1;
			break;
		}
		n += (size_t)got;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -1;
	}
	free(buf);
	fclose(f);
	if (rc == 0) {
		w->load_gen++;
		for (size_t i = 0; i < n; i++) {
			const struct spec_line *ln = &lines[i];
			if (strcmp(ln->name, "*") == 0) {
				for (size_t j = 0; j < w->n; j++)
					apply_one(w, w->svc[j], ln, now_ns);
			} else {
				apply_one(w, sim_world_get(w, ln->name, strlen(ln->name), now_ns), ln, now_ns);
			}
		}
	}
	free(lines);
	return rc;
}
