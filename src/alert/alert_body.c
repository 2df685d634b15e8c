/* alert_body: what a webhook receives, as plain JSON or as a Slack /
 * Mattermost incoming-webhook message. */
#include "alert_private.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/alert.h"

/* {"event","release","service","time","detail","figures"}: for receivers
 * that read fields, not prose. */
static cJSON *body_json(const struct alert_event *ev, const char *release)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "event", ev->event) &&
		  cJSON_AddStringToObject(o, "release", release) &&
		  (ev->service[0] ? cJSON_AddStringToObject(o, "service", ev->service)
				  : cJSON_AddNullToObject(o, "service")) &&
		  cJSON_AddStringToObject(o, "time", ev->time) &&
		  cJSON_AddStringToObject(o, "detail", ev->detail);
	if (ok && ev->figures) {
		cJSON *copy = cJSON_Duplicate(ev->figures, true);
		ok = copy && cJSON_AddItemToObject(o, "figures", copy);
		if (!ok)
			cJSON_Delete(copy);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Slack reads "<...>" in text as a link or a mention ("<!channel>"), so a
 * detail or a service name must not carry those bytes raw: &, < and > are
 * the three it asks to be escaped. */
static const char *entity(char c)
{
	return c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : NULL;
}

static char *slack_escape(const char *s)
{
	size_t n = 1;
	for (const char *p = s; *p; p++)
		n += entity(*p) ? strlen(entity(*p)) : 1;
	char *out = malloc(n), *o = out;
	if (!out)
		return NULL;
	for (const char *p = s; *p; p++) {
		const char *rep = entity(*p);
		size_t len = rep ? strlen(rep) : 1;
		memcpy(o, rep ? rep : p, len);
		o += len;
	}
	*o = '\0';
	return out;
}

static bool add_escaped(cJSON *o, const char *key, const char *text)
{
	char *esc = text ? slack_escape(text) : NULL;
	bool ok = esc && cJSON_AddStringToObject(o, key, esc);
	free(esc);
	return ok;
}

/* The colour of the bar beside the message: red when someone should look
 * now, yellow when someone must act, green for progress. */
static const char *slack_color(const char *event)
{
	static const char *const danger[] = { ALERT_ROLLED_BACK, ALERT_HALTED, ALERT_HEALTH_DOWN,
					      ALERT_ROUTER_UNREACHABLE, ALERT_DRIFT, NULL };
	for (size_t i = 0; danger[i]; i++)
		if (strcmp(event, danger[i]) == 0)
			return "danger";
	return strcmp(event, ALERT_WAITING) == 0 ? "warning" : "good";
}

/* "cutover R1: rolled_back api — p95 +40%", leaving out what is empty. */
static char *slack_text(const struct alert_event *ev, const char *release)
{
	const char *sp = ev->service[0] ? " " : "", *dash = ev->detail[0] ? " \xe2\x80\x94 " : "";
	int n = snprintf(NULL, 0, "cutover %s: %s%s%s%s%s", release, ev->event, sp, ev->service,
			 dash, ev->detail);
	char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (text)
		snprintf(text, (size_t)n + 1, "cutover %s: %s%s%s%s%s", release, ev->event, sp,
			 ev->service, dash, ev->detail);
	return text;
}

/* A figure's value as a field shows it: strings bare, the rest as JSON. */
static char *figure_text(const cJSON *v)
{
	return cJSON_IsString(v) ? strdup(v->valuestring) : cJSON_PrintUnformatted(v);
}

static bool add_fields(cJSON *att, const cJSON *figures)
{
	cJSON *fields = cJSON_AddArrayToObject(att, "fields");
	if (!fields)
		return false;
	const cJSON *v;
	cJSON_ArrayForEach(v, figures) {
		cJSON *f = cJSON_CreateObject();
		char *text = figure_text(v);
		bool ok = f && text && add_escaped(f, "title", v->string ? v->string : "") &&
			  add_escaped(f, "value", text) && cJSON_AddTrueToObject(f, "short");
		free(text);
		if (!ok || !cJSON_AddItemToArray(fields, f)) {
			cJSON_Delete(f);
			return false;
		}
	}
	return true;
}

static cJSON *body_slack(const struct alert_event *ev, const char *release)
{
	cJSON *o = cJSON_CreateObject();
	char *text = slack_text(ev, release);
	bool ok = o && add_escaped(o, "text", text);
	free(text);
	cJSON *atts = ok ? cJSON_AddArrayToObject(o, "attachments") : NULL;
	cJSON *att = atts ? cJSON_CreateObject() : NULL;
	if (att && !cJSON_AddItemToArray(atts, att)) {
		cJSON_Delete(att);
		att = NULL;
	}
	/* att is o's from here: deleting o frees whatever was built. */
	ok = att && cJSON_AddStringToObject(att, "color", slack_color(ev->event)) &&
	     add_fields(att, ev->figures);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* One builder per enum alert_format: a new format is a new entry. */
static cJSON *(*const body_for[])(const struct alert_event *, const char *) = {
	[ALERT_FORMAT_JSON] = body_json,
	[ALERT_FORMAT_SLACK] = body_slack,
};

char *alert_body(enum alert_format format, const struct alert_event *ev, const char *release)
{
	if ((size_t)format >= sizeof(body_for) / sizeof(body_for[0]))
		format = ALERT_FORMAT_JSON;
	cJSON *o = body_for[format](ev, release);
	char *text = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	return text;
}
