/* config_service: one services[] entry — kind, group, endpoints, route. */
#include "config_internal.h"
#include "config_service.h"

#include "cutover/cron.h"
#include "cutover/journal.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const service_keys[] = {
	"name", "kind", "group", "schedule", "timezone", "max_run_s", "guard_s", "handoff_s",
	"tolerance_s", "blue", "green", "route", "rollout", NULL
};
static const char *const endpoint_keys[] = { "health", "insecure", "expect", "runs", NULL };
static const char *const expect_keys[] = { "status", "json", "equals", NULL };
static const char *const route_keys[] = { "backend", "blue", "green", NULL };

/* Masks the secrets a URL may carry in its query or fragment (token=,
 * api_key=, X-Amz-Signature=...) and any password left, as the journal
 * does (journal_redact_url). Masking can lengthen a short value to "***". */
static char *redacted(const char *text)
{
	size_t cap = 2 * strlen(text) + 16;
	char *out = malloc(cap);
	if (out)
		journal_redact_url(text, out, cap);
	return out;
}

/* The display form: the given text, or curl's rendering of it with the
 * password replaced when curl finds one, then redacted. Rendering costs an
 * allocation and a printf per URL, which on a 1,000-service file was a
 * fifth of the load, so only a URL with a password pays for it. */
static char *display_url(CURLU *u, const char *url)
{
	char *pw = NULL, *out = NULL, *display = NULL;
	if (curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) != CURLUE_OK)
		return redacted(url);
	curl_free(pw);
	if (curl_url_set(u, CURLUPART_PASSWORD, "***", 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
		display = redacted(out);
	curl_free(out);
	return display;
}

/* Checks scheme and host with libcurl's own parser (the one that will fetch
 * it) and builds the display form with any password masked. */
const char *config_check_url(const char *url, char **display)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	const char *why = NULL;
	*display = NULL;
	if (!u)
		return "out of memory";
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		why = "not an http(s) URL";
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		 (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		why = "not an http(s) URL";
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		why = "URL has no host";
	if (!why)
		*display = display_url(u, url);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return why;
}

/* 200, "2xx" or "200-299". Returns 0 and fills lo/hi, or -1. */
static int parse_status(const cJSON *n, int *lo, int *hi)
{
	if (cJSON_IsNumber(n)) {
		*lo = *hi = (int)n->valuedouble;
		return n->valuedouble == *lo && *lo >= 100 && *lo <= 599 ? 0 : -1;
	}
	if (!cJSON_IsString(n))
		return -1;
	const char *s = n->valuestring;
	if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && (s[1] == 'x' || s[1] == 'X') &&
	    (s[2] == 'x' || s[2] == 'X')) {
		*lo = (s[0] - '0') * 100;
		*hi = *lo + 99;
		return 0;
	}
	char tail;
	if (sscanf(s, "%d-%d%c", lo, hi, &tail) == 2 && *lo >= 100 && *hi <= 599 && *lo <= *hi)
		return 0;
	return -1;
}

static void read_expect(struct cfg_reader *r, const cJSON *ep, const char *path,
			struct expect_conf *ex)
{
	char p[CFG_PATH_MAX], ip[CFG_PATH_MAX];
	const cJSON *o = cfg_object(r, ep, "expect", path, false);
	ex->status[0][0] = 200;
	ex->status[0][1] = 299;
	ex->n_status = 1;
	if (!o)
		return;
	cfg_path(p, path, "expect");
	cfg_check_keys(r, o, p, expect_keys);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
	if (st) {
		const cJSON *one = cJSON_IsArray(st) ? st->child : st;
		size_t i = 0;
		ex->n_status = 0;
		cfg_path(ip, p, "status");
		if (cJSON_IsArray(st) && !one)
			cfg_diag(r, st, false, ip, "lists no status");
		for (; one; one = cJSON_IsArray(st) ? one->next : NULL, i++) {
			int lo, hi;
			if (ex->n_status == EXPECT_MAX_STATUS || parse_status(one, &lo, &hi) < 0) {
				cfg_diag(r, one, false, ip, ex->n_status == EXPECT_MAX_STATUS
					 ? "at most 8 status entries"
					 : "expected an HTTP status (200), a class (\"2xx\") or a range (\"200-204\")");
				continue;
			}
			ex->status[ex->n_status][0] = lo;
			ex->status[ex->n_status][1] = hi;
			ex->n_status++;
		}
	}
	ex->json_field = cfg_string(r, o, "json", p, NULL, false);
	ex->json_equals = cfg_string(r, o, "equals", p, NULL, false);
	if (!ex->json_field != !ex->json_equals)
		cfg_diag(r, o, false, p, "'json' and 'equals' go together");
}

static void read_endpoint(struct cfg_reader *r, const cJSON *svc, const char *path,
			  enum side s, struct endpoint_conf *ep)
{
	char p[CFG_PATH_MAX];
	const cJSON *o = cfg_object(r, svc, side_name(s), path, true);
	if (!o)
		return;
	cfg_path(p, path, side_name(s));
	cfg_check_keys(r, o, p, endpoint_keys);
	ep->health = cfg_string(r, o, "health", p, NULL, true);
	if (ep->health && *ep->health) {
		const char *why = config_check_url(ep->health, &ep->health_display);
		if (why)
			cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(o, "health"), false, p,
				    "health", "%s", why);
	}
	ep->insecure = cfg_bool(r, o, "insecure", p, false);
	read_expect(r, o, p, &ep->expect);
	ep->runs = cfg_string(r, o, "runs", p, NULL, false);
	if (ep->runs) {
		const char *why = config_check_url(ep->runs, &ep->runs_display);
		if (why)
			cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(o, "runs"), false, p,
				    "runs", "%s", why);
	}
}

static void read_route(struct cfg_reader *r, const cJSON *svc, const char *path,
		       struct service_conf *sc)
{
	char p[CFG_PATH_MAX];
	const cJSON *o = cfg_object(r, svc, "route", path, false);
	cfg_path(p, path, "route");
	if (o && cJSON_GetObjectItemCaseSensitive(o, "kind"))
		cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(o, "kind"), true, p, "kind",
			    "a route kind is read by the kubernetes driver only (router.driver)");
	else if (o)
		cfg_check_keys(r, o, p, route_keys);
	sc->route.backend = cfg_string(r, o, "backend", p, sc->name ? sc->name : "", false);
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		const char *side = side_name((enum side)s);
		sc->route.servers[s] = cfg_string_list(r, o, side, p, side, &sc->route.n_servers[s]);
		const cJSON *given = o && sc->route.n_servers[s] == 0
			? cJSON_GetObjectItemCaseSensitive(o, side) : NULL;
		if (given)
			cfg_diag_at(r, given, false, p, side, "names no server");
	}
}

/* A job's schedule must parse: one diagnostic naming the field at fault. */
static void check_schedule(struct cfg_reader *r, const cJSON *svc, const char *path,
			   const char *text)
{
	struct cron c;
	char why[160];
	if (cron_parse(text, &c, why, sizeof why) < 0)
		cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(svc, "schedule"), false, path,
			    "schedule", "%s", why);
}

/* A job's schedule runs in its zone's wall-clock time; one that names no
 * zone runs in UTC, whatever the host's zone. */
static void read_zone(struct cfg_reader *r, const cJSON *svc, const char *path,
		      struct service_conf *sc, bool kind_ok)
{
	sc->timezone = cfg_string(r, svc, "timezone", path, NULL, false);
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(svc, "timezone");
	if (!sc->timezone)
		return;
	if (kind_ok && sc->kind != KIND_JOB)
		cfg_diag_at(r, node, false, path, "timezone",
			    "only a job has a timezone (it is its schedule's)");
	else if (!cron_zone_valid(sc->timezone))
		cfg_diag_at(r, node, false, path, "timezone",
			    "'%.64s' is no IANA zone this host knows (e.g. Europe/Berlin, America/New_York, UTC)",
			    sc->timezone);
}

/* A job's timing keys; on an exposed service each is an error naming it. */
static void read_job(struct cfg_reader *r, const cJSON *svc, const char *path,
		     struct service_conf *sc, bool kind_ok)
{
	static const char *const keys[] = { "max_run_s", "guard_s", "handoff_s", "tolerance_s" };
	struct job_conf *j = &sc->job;
	if (kind_ok && sc->kind != KIND_JOB) {
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			const cJSON *n = cJSON_GetObjectItemCaseSensitive(svc, keys[i]);
			if (n)
				cfg_diag_at(r, n, true, path, keys[i],
					    "only a job has %s (this service's kind is exposed)", keys[i]);
		}
		for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++)
			if (sc->side[s].runs)
				cfg_diag(r, svc, false, path, "%s.runs: only a job has a runs URL",
					 side_name((enum side)s));
		return;
	}
	j->max_run_s = cfg_int(r, svc, "max_run_s", path, 0, 31 * 86400, 0);
	j->guard_s = cfg_int(r, svc, "guard_s", path, 0, 86400, 30);
	j->handoff_s = cfg_int(r, svc, "handoff_s", path, 0, 86400, 0);
	j->tolerance_s = cfg_int(r, svc, "tolerance_s", path, 0, 86400, 0);
}

/* Returns whether the kind was read cleanly, so later checks that depend on
 * it do not pile consequential errors onto the real one. */
static bool read_kind(struct cfg_reader *r, const cJSON *svc, const char *path,
		      struct service_conf *sc)
{
	bool ok = true;
	const char *kind = cfg_text(r, svc, "kind", path, NULL, true);
	if (kind && strcmp(kind, "job") == 0)
		sc->kind = KIND_JOB;
	else if (!kind || strcmp(kind, "exposed") != 0)
		ok = false;
	if (kind && *kind && !ok)
		cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(svc, "kind"), false, path, "kind",
			    "unknown kind '%s' (expected exposed or job)", kind);
	return ok;
}

void config_read_service(struct cfg_reader *r, const cJSON *svc, const char *path,
			 struct service_conf *sc, enum driver_kind driver)
{
	if (!cJSON_IsObject(svc)) {
		cfg_diag(r, svc, false, path, "expected an object describing a service");
		return;
	}
	cfg_check_keys(r, svc, path, service_keys);
	sc->name = cfg_string(r, svc, "name", path, NULL, true);
	if (sc->name && *sc->name && !cfg_valid_name(sc->name))
		cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(svc, "name"), false, path, "name",
			    "'%s' is not a valid name (letters, digits, '.', '_', '-'; at most 128)",
			    sc->name);
	bool kind_ok = read_kind(r, svc, path, sc);
	sc->group = cfg_string(r, svc, "group", path, "", false);
	if (sc->group && *sc->group && !cfg_valid_name(sc->group))
		cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(svc, "group"), false, path, "group",
			    "'%s' is not a valid group name (letters, digits, '.', '_', '-')", sc->group);
	sc->schedule = cfg_string(r, svc, "schedule", path, NULL, false);
	if (sc->schedule && kind_ok && sc->kind != KIND_JOB)
		cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(svc, "schedule"), false, path,
			    "schedule", "only a job has a schedule (this service's kind is exposed)");
	else if (sc->schedule && *sc->schedule)
		check_schedule(r, svc, path, sc->schedule);
	read_zone(r, svc, path, sc, kind_ok);
	read_endpoint(r, svc, path, SIDE_BLUE, &sc->side[SIDE_BLUE]);
	read_endpoint(r, svc, path, SIDE_GREEN, &sc->side[SIDE_GREEN]);
	read_job(r, svc, path, sc, kind_ok);
	if (driver == DRIVER_KUBERNETES) {
		sc->route.backend = strdup(sc->name ? sc->name : "");
		config_read_kube_route(r, svc, path, sc, kind_ok);
	} else {
		read_route(r, svc, path, sc);
	}
}

void config_free_service(struct service_conf *sc)
{
	free(sc->name);
	free(sc->group);
	free(sc->schedule);
	free(sc->timezone);
	for (int s = 0; s < 2; s++) {
		free(sc->side[s].health);
		free(sc->side[s].health_display);
		free(sc->side[s].runs);
		free(sc->side[s].runs_display);
		free(sc->side[s].expect.json_field);
		free(sc->side[s].expect.json_equals);
		cfg_free_list(sc->route.servers[s]);
	}
	free(sc->route.backend);
	config_free_kube_route(&sc->route.kube);
	free(sc->rollout.steps);	/* resolved by config_rollout.c */
}
