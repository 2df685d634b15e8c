/* config_alerts: the "alerts" section — webhooks and exec hooks with their
 * event filters — and the masking that keeps a webhook's secret out of
 * everything but the member that posts to it. */
#include "config_internal.h"

#include "cutover/alert.h"
#include "cutover/journal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const alert_keys[] = { "webhook", "format", "exec", "events", NULL };
/* alert.h's spelling, so a filter cannot name an event that is never sent. */
static const char *const event_names[] = {
	ALERT_STARTED, ALERT_ADVANCED, ALERT_WAITING, ALERT_HALTED, ALERT_ROLLED_BACK,
	ALERT_COMPLETED, ALERT_HEALTH_DOWN, ALERT_HEALTH_UP, ALERT_ROUTER_UNREACHABLE,
	ALERT_ROUTER_REACHABLE, ALERT_DRIFT, ALERT_JOB_DOUBLE, ALERT_JOB_MISSED, NULL
};
#define N_EVENTS (sizeof(event_names) / sizeof(event_names[0]) - 1)

/* Bounded appends: the output always ends, and a cut never reveals more
 * than the masked input held. */
static void put(char *out, size_t cap, size_t *used, const char *s, size_t n)
{
	if (*used + 1 >= cap)
		return;
	if (n > cap - 1 - *used)
		n = cap - 1 - *used;
	memcpy(out + *used, s, n);
	*used += n;
	out[*used] = '\0';
}

/* Whether the authority's host (after any user@, before any :port) is
 * exactly host, in any case. */
static bool host_is(const char *auth, const char *end, const char *host)
{
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			auth = p + 1;
	const char *colon = memchr(auth, ':', (size_t)(end - auth));
	size_t n = (size_t)((colon ? colon : end) - auth);
	return n == strlen(host) && strncasecmp(auth, host, n) == 0;
}

static bool hooks_segment(const char *s, size_t n)
{
	return (n == 5 && strncasecmp(s, "hooks", 5) == 0) ||
	       (n == 8 && strncasecmp(s, "webhooks", 8) == 0);
}

/* Incoming webhooks carry their secret in the path, where the query
 * masking of journal_redact_url cannot see it: Slack's
 * hooks.slack.com/services/T…/B…/SECRET (and /workflows/, /triggers/),
 * Mattermost's /hooks/KEY, Discord's /api/webhooks/ID/TOKEN. Every path
 * segment after the first on Slack's host, or after a "hooks" or
 * "webhooks" segment elsewhere, becomes "***". */
static void mask_hook_path(const char *url, char *out, size_t cap)
{
	const char *sep = strstr(url, "://");
	const char *auth = sep ? sep + 3 : url;
	const char *path = auth + strcspn(auth, "/?#");
	const char *end = path + strcspn(path, "?#");
	bool slack = sep && host_is(auth, path, "hooks.slack.com"), masking = false;
	size_t used = 0, seg = 0;
	out[0] = '\0';
	put(out, cap, &used, url, (size_t)(path - url));
	for (const char *p = path; p < end; seg++) {
		const char *s = p + 1;	/* p is at a '/' */
		size_t n = strcspn(s, "/?#");
		put(out, cap, &used, "/", 1);
		if (masking && n > 0)
			put(out, cap, &used, "***", 3);
		else
			put(out, cap, &used, s, n);
		masking = masking || (slack ? seg == 0 : hooks_segment(s, n));
		p = s + n;
	}
	put(out, cap, &used, end, strlen(end));
}

char *config_webhook_display(const char *url)
{
	/* Each mask may lengthen a one-byte secret to three; 3x is ample. */
	size_t cap = 3 * strlen(url) + 16;
	char *tmp = malloc(cap), *out = malloc(cap);
	if (tmp && out) {
		journal_redact_url(url, tmp, cap);
		mask_hook_path(tmp, out, cap);
	} else {
		free(out);
		out = NULL;
	}
	free(tmp);
	return out;
}

/* The URL itself is never put in a message: it may hold the secret. */
static void read_webhook(struct cfg_reader *r, const cJSON *o, const char *path,
			 struct alert_conf *ac)
{
	const char *url = cfg_text(r, o, "webhook", path, NULL, true);
	char *shown = NULL;
	if (!url || !*url)
		return;
	const char *why = config_check_url(url, &shown);
	free(shown);
	if (why) {
		cfg_diag_at(r, cJSON_GetObjectItemCaseSensitive(o, "webhook"), false, path,
			    "webhook", "%s", why);
		return;
	}
	ac->webhook = strdup(url);
	ac->webhook_display = config_webhook_display(url);
}

static void read_format(struct cfg_reader *r, const cJSON *o, const char *path,
			struct alert_conf *ac, bool webhook)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "format");
	const char *text = cfg_text(r, o, "format", path, "json", false);
	if (f && !webhook)
		cfg_diag_at(r, f, true, path, "format", "only a webhook has a format");
	else if (strcmp(text, "slack") == 0)
		ac->format = ALERT_FORMAT_SLACK;
	else if (strcmp(text, "json") != 0)
		cfg_diag_at(r, f, false, path, "format", "unknown format '%s' (expected json or slack)",
			    text);
}

/* An array only (not the single string cfg_string_list would take): the
 * program is run without a shell, so its arguments are listed. */
static void read_exec(struct cfg_reader *r, const cJSON *o, const char *path,
		      struct alert_conf *ac)
{
	size_t n = 0;
	const cJSON *a = cfg_array(r, o, "exec", path, false);
	if (!a)
		return;
	ac->exec = cfg_string_list(r, o, "exec", path, NULL, &n);
	if (n == 0 || !ac->exec[0][0])
		cfg_diag_at(r, a, false, path, "exec", "needs a program path as its first element");
}

static void read_events(struct cfg_reader *r, const cJSON *o, const char *path,
			struct alert_conf *ac)
{
	char p[CFG_PATH_MAX], ip[CFG_PATH_MAX];
	size_t n = 0, i = 0;
	const cJSON *a = cfg_array(r, o, "events", path, false);
	if (!a)
		return;
	cfg_path(p, path, "events");
	ac->events = cfg_string_list(r, o, "events", path, NULL, &n);
	if (!a->child)
		cfg_diag(r, a, false, p, "lists no events (leave it out for every event)");
	for (const cJSON *c = a->child; c; c = c->next, i++) {
		size_t k;
		if (!cJSON_IsString(c))
			continue;	/* reported by cfg_string_list */
		for (k = 0; event_names[k] && strcmp(event_names[k], c->valuestring) != 0; k++)
			;
		if (event_names[k])
			continue;
		const char *hint = config_nearest_name(c->valuestring, event_names, N_EVENTS);
		cfg_path_index(ip, p, i);
		if (hint)
			cfg_diag(r, c, false, ip, "unknown event '%s' (did you mean '%s'?)",
				 c->valuestring, hint);
		else
			cfg_diag(r, c, false, ip, "unknown event '%s' (known: started, advanced, waiting, "
				 "halted, rolled_back, completed, health_down, health_up, "
				 "router_unreachable, router_reachable, drift, job.double, job.missed)", c->valuestring);
	}
}

static void read_alert(struct cfg_reader *r, const cJSON *o, const char *path,
		       struct alert_conf *ac)
{
	if (!cJSON_IsObject(o)) {
		cfg_diag(r, o, false, path, "expected an object: {\"webhook\": URL} or {\"exec\": [argv]}");
		return;
	}
	cfg_check_keys(r, o, path, alert_keys);
	bool webhook = cJSON_GetObjectItemCaseSensitive(o, "webhook") != NULL;
	bool exec = cJSON_GetObjectItemCaseSensitive(o, "exec") != NULL;
	if (webhook && exec)
		cfg_diag(r, o, false, path, "give either 'webhook' or 'exec', not both");
	else if (!webhook && !exec)
		cfg_diag(r, o, false, path, "needs a 'webhook' URL or an 'exec' argv");
	if (webhook)
		read_webhook(r, o, path, ac);
	if (exec)
		read_exec(r, o, path, ac);
	read_format(r, o, path, ac, webhook);
	read_events(r, o, path, ac);
}

void config_read_alerts(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	char p[CFG_PATH_MAX];
	const cJSON *a = cfg_array(r, root, "alerts", "", false);
	size_t i = 0;
	if (!a || !a->child)
		return;
	cfg->alerts = calloc((size_t)cJSON_GetArraySize(a), sizeof(*cfg->alerts));
	if (!cfg->alerts)
		return;
	cfg->n_alerts = (size_t)cJSON_GetArraySize(a);
	for (const cJSON *c = a->child; c; c = c->next, i++) {
		cfg_path_index(p, "alerts", i);
		read_alert(r, c, p, &cfg->alerts[i]);
	}
}

void config_free_alerts(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_alerts; i++) {
		free(cfg->alerts[i].webhook);
		free(cfg->alerts[i].webhook_display);
		cfg_free_list(cfg->alerts[i].exec);
		cfg_free_list(cfg->alerts[i].events);
	}
	free(cfg->alerts);
	cfg->alerts = NULL;
	cfg->n_alerts = 0;
}
