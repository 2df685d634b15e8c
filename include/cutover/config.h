/* config: the release file users write, parsed, validated and immutable. */
#ifndef CUTOVER_CONFIG_H
#define CUTOVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cutover/error.h"

enum svc_kind { KIND_EXPOSED, KIND_JOB };
enum driver_kind { DRIVER_HAPROXY, DRIVER_EXEC, DRIVER_REHEARSAL, DRIVER_KUBERNETES };
enum jobs_first_mode { JOBS_FIRST_WARN, JOBS_FIRST_BLOCK, JOBS_FIRST_OFF };
enum side { SIDE_BLUE = 0, SIDE_GREEN = 1 };

/* What a health probe must see to count as a success. */
#define EXPECT_MAX_STATUS 8
struct expect_conf {
	int status[EXPECT_MAX_STATUS][2];	/* accepted HTTP status ranges, inclusive */
	int n_status;			/* default: one range, 200..299 */
	char *json_field;		/* dotted path into a JSON body, or NULL */
	char *json_equals;		/* its expected value as text, or NULL */
};

struct endpoint_conf {
	char *health;			/* http(s) URL; may carry credentials */
	char *health_display;		/* the same URL with any password masked */
	bool insecure;			/* skip TLS verification (shown loudly) */
	struct expect_conf expect;
	char *runs;			/* jobs: URL answering {"active","runs","last_run"}; NULL none */
	char *runs_display;		/* the same URL with any password masked */
};

/* The kubernetes driver's route (router.driver "kubernetes"): which
 * object carries the traffic split, and what each side is in it. */
enum kube_route_kind {
	KROUTE_NONE,			/* another driver */
	KROUTE_SERVICE_SELECTOR,	/* a Service's spec.selector: 0 or 100 */
	KROUTE_HTTPROUTE,		/* Gateway API backendRefs[].weight */
	KROUTE_ALB_INGRESS,		/* AWS LBC actions annotation weights */
	KROUTE_CRONJOB,			/* a job: which side's CronJob is unsuspended */
};

struct kube_side_conf {
	char **labels;			/* service-selector: key, value, ...; NULL-terminated */
	size_t n_labels;		/* pairs */
	char *backend;			/* httproute backendRef / alb service name */
	int port;			/* alb-ingress servicePort */
	char *endpoints;		/* the Service whose EndpointSlices show this side's
					 * ready pods; NULL: backend, or none */
	char *context;			/* cronjob: this side's context; NULL: the route's */
	char *namespace;		/* cronjob: this side's namespace */
	char *cronjob;			/* cronjob: its name */
};

struct kube_route_conf {
	enum kube_route_kind kind;
	char *context;			/* NULL: router.context */
	char *namespace;
	char *object;			/* the Service, HTTPRoute or Ingress name */
	int rule;			/* httproute: spec.rules[rule] */
	char *action;			/* alb-ingress: actions.ACTION */
	struct kube_side_conf side[2];
};

struct route_conf {
	char *backend;
	char **servers[2];		/* indexed by enum side */
	size_t n_servers[2];
	struct kube_route_conf kube;	/* kubernetes driver only */
};

/* --- Rollouts (autopilot), waves and alerts ---------------------------- */

enum breach_action { BREACH_ROLLBACK, BREACH_HALT };

/* One step of a rollout: go to weight, then bake; or a pause for a human. */
struct rollout_step {
	int weight;		/* 1..100; 0 for a pause */
	int bake_ms;		/* time at the weight, gates checked throughout */
	bool pause;		/* {"pause": true}: waits for promote */
};

/* A service's rollout as resolved: the release-wide "rollout" section, with
 * its group's ("groups": {"G": {"rollout": {...}}}) and then its own
 * "rollout" key laid over it key by key. A job's is one step to 100. */
struct rollout_conf {
	struct rollout_step *steps;	/* owned; weights rise, the last is 100 */
	size_t n_steps;
	int bake_ms;			/* "bake_s": the bake of a plain-number step; 60 s */
	int max_failed_checks;		/* cumulative over the rollout; 3 */
	enum breach_action on_breach;	/* "rollback" (default) or "halt" */
	int parallel;			/* services changing at once; 1 */
};

/* "plan": {"waves": [{"targets": [...], "parallel": N}], "jobs_first": true} */
struct wave_conf {
	char **targets;			/* as written: names and @groups */
	size_t n_targets;
	size_t *members;		/* resolved service indices, config order */
	size_t n_members;
	int parallel;			/* 0: each service's rollout.parallel */
};

struct release_plan_conf {
	bool configured;		/* false: the default plan (jobs, then the rest) */
	bool jobs_first;		/* a wave of exposed services before a job's wave is an error */
	struct wave_conf *waves;
	size_t n_waves;
};

enum alert_format { ALERT_FORMAT_JSON, ALERT_FORMAT_SLACK };

/* "alerts": [{"webhook": URL, "format": "slack"|"json"} | {"exec": [argv]},
 *            optional "events": [names]] */
struct alert_conf {
	char *webhook;			/* NULL for an exec hook; may hold secrets */
	char *webhook_display;		/* the URL with secrets masked */
	enum alert_format format;
	char **exec;			/* argv templates, NULL-terminated; NULL for a webhook */
	char **events;			/* NULL-terminated filter; NULL: every event */
};

/* A job's timing. Seconds; 0 where a key may be left out. */
struct job_conf {
	int max_run_s;			/* longest a run may last; 0 unknown */
	int guard_s;			/* a handoff ends at least this long before a fire */
	int handoff_s;			/* how long the switch takes; 0: measured */
	int tolerance_s;		/* a tick no side ran after this is missed; 0: derived */
};

struct service_conf {
	char *name;
	enum svc_kind kind;
	char *group;			/* "" when the service names none */
	char *schedule;			/* jobs: cron text (cron.h), checked; NULL none */
	char *timezone;			/* jobs: IANA zone of the schedule; NULL = UTC */
	struct job_conf job;		/* jobs: run length and handoff timing */
	struct endpoint_conf side[2];	/* indexed by enum side */
	struct route_conf route;
	struct rollout_conf rollout;	/* resolved (see struct rollout_conf) */
};

struct group_conf {
	char *name;
	size_t *members;		/* indices into config.services */
	size_t n_members;
	bool has_rollout;		/* "groups": {NAME: {"rollout": ...}} was given */
};

struct socket_conf {
	char *text;			/* as written: "/run/haproxy.sock" or "host:port" */
	bool is_unix;
	char *host;			/* TCP only */
	char *port;			/* TCP only */
};

struct router_conf {
	enum driver_kind driver;
	struct socket_conf *sockets;
	size_t n_sockets;
	int timeout_ms;			/* per router call */
	char **exec_set;		/* exec driver argv templates, NULL-terminated */
	char **exec_get;
	int exec_timeout_ms;
	char *kubeconfig;		/* kubernetes: path, "in-cluster", or NULL (default search) */
	char *context;			/* kubernetes: NULL = the kubeconfig's current-context */
};

struct probe_conf {
	int interval_ms;
	int timeout_ms;
	int window;			/* samples kept per side */
	int fall;			/* consecutive failures before "down" */
	int rise;			/* consecutive successes before "up" */
	int max_body_bytes;
};

struct gates_conf {
	double max_p95_delta_pct;
	double min_p95_delta_ms;	/* a p95 delta this small never fails */
	double max_error_rate_pct;
	int min_samples;
	enum jobs_first_mode jobs_first;
};

struct engine_conf {
	char *socket_group;		/* NULL: the socket is the owner's alone */
};

struct config {
	char *path;			/* the file it came from */
	char *release;
	char *label[2];			/* blue, green */
	struct router_conf router;
	struct probe_conf probe;
	struct gates_conf gates;
	int *steps;
	size_t n_steps;
	char *state_dir;
	char *theme;			/* NULL: default */
	struct engine_conf engine;
	struct rollout_conf rollout;	/* the release-wide section as resolved */
	struct release_plan_conf plan;
	struct alert_conf *alerts;
	size_t n_alerts;
	struct service_conf *services;
	size_t n_services;
	struct group_conf *groups;	/* derived: one per distinct group name, sorted by name */
	size_t n_groups;
	size_t *by_name;		/* derived: service indices sorted by name, for lookups */
};

/* Finds the config file: explicit, then $CUTOVER_CONFIG, then ./cutover.json.
 * Returns a pointer to the chosen path (the argument, the environment or a
 * literal); never NULL. */
const char *config_locate(const char *explicit_path);

/* Parses and validates a file. On success returns a config and leaves diags
 * empty; on failure returns NULL with every problem found in diags. */
struct config *config_load(const char *path, struct diag_list *diags);

/* The same for text already in memory (tests, fuzzing); name is used in
 * messages only. */
struct config *config_parse(const char *name, const char *text, size_t len,
			    struct diag_list *diags);

void config_free(struct config *cfg);

/* What every front end does at start: locate, load, and on failure write
 * each problem as "file:line:col: path: message" to out (and a hint when
 * no config was given at all). NULL on failure. */
struct config *config_load_reported(const char *explicit_path, FILE *out);
void config_print_diags(FILE *out, const char *file, const struct diag_list *diags);
void config_hint_missing(FILE *out, const char *explicit_path, const struct diag_list *diags);

/* A webhook URL as it may be shown (struct alert_conf's webhook_display,
 * GET /v1/config): a password, token-like query parameters and the path
 * secret of Slack-style incoming hooks masked. Allocated; NULL when out
 * of memory. */
char *config_webhook_display(const char *url);

/* Lookups; -1 when absent. */
long config_find_service(const struct config *cfg, const char *name);
long config_find_group(const struct config *cfg, const char *name);

const char *side_name(enum side s);		/* "blue" / "green" */
const char *kind_name(enum svc_kind k);		/* "exposed" / "job" */
const char *driver_name(enum driver_kind d);
const char *kube_route_kind_name(enum kube_route_kind k);	/* "httproute", ... */
/* Whether a service is only ever all on one side (weight 0 or 100): a job,
 * or a service whose route switches a Service's selector. */
bool service_all_or_nothing(const struct service_conf *sc);

#endif
