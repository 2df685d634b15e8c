/* config: the release file users write, parsed, validated and immutable. */
#ifndef CUTOVER_CONFIG_H
#define CUTOVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cutover/error.h"

enum svc_kind { KIND_EXPOSED, KIND_JOB };
enum driver_kind { DRIVER_HAPROXY, DRIVER_EXEC, DRIVER_REHEARSAL };
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
};

struct route_conf {
	char *backend;
	char **servers[2];		/* indexed by enum side */
	size_t n_servers[2];
};

struct service_conf {
	char *name;
	enum svc_kind kind;
	char *group;			/* "" when the service names none */
	char *schedule;			/* jobs: cron text, informative */
	struct endpoint_conf side[2];	/* indexed by enum side */
	struct route_conf route;
};

struct group_conf {
	char *name;
	size_t *members;		/* indices into config.services */
	size_t n_members;
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

/* Lookups; -1 when absent. */
long config_find_service(const struct config *cfg, const char *name);
long config_find_group(const struct config *cfg, const char *name);

const char *side_name(enum side s);		/* "blue" / "green" */
const char *kind_name(enum svc_kind k);		/* "exposed" / "job" */
const char *driver_name(enum driver_kind d);

#endif
