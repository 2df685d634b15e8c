/* config: loading the release file and its top-level sections. */
#include "config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Above this a file is surely not a release config; refuse before reading
 * it into memory. 5,000 services take about 2 MiB. */
#define CONFIG_MAX_BYTES (64L * 1024 * 1024)

static const char *const top_keys[] = {
	"release", "blue", "green", "router", "probe", "gates", "steps",
	"state_dir", "theme", "services", "engine", "rollout", "groups", "plan",
	"alerts", NULL
};
static const char *const label_keys[] = { "label", NULL };
static const char *const probe_keys[] = {
	"interval_ms", "timeout_ms", "window", "fall", "rise", "max_body_bytes", NULL
};
static const char *const gate_keys[] = {
	"max_p95_delta_pct", "min_p95_delta_ms", "max_error_rate_pct", "min_samples", "jobs_first", NULL
};
static const int default_steps[] = { 1, 5, 25, 50, 100 };

const char *config_locate(const char *explicit_path)
{
	const char *env = getenv("CUTOVER_CONFIG");
	if (explicit_path && *explicit_path)
		return explicit_path;
	if (env && *env)
		return env;
	return "cutover.json";
}

static void read_labels(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		const char *name = side_name((enum side)s);
		const cJSON *o = cfg_object(r, root, name, "", false);
		if (o)
			cfg_check_keys(r, o, name, label_keys);
		cfg->label[s] = cfg_string(r, o, "label", name, name, false);
	}
}

static void read_probe(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	const cJSON *o = cfg_object(r, root, "probe", "", false);
	struct probe_conf *p = &cfg->probe;
	if (o)
		cfg_check_keys(r, o, "probe", probe_keys);
	p->interval_ms = cfg_int(r, o, "interval_ms", "probe", 50, 3600000, 1000);
	p->timeout_ms = cfg_int(r, o, "timeout_ms", "probe", 10, 600000, 800);
	p->window = cfg_int(r, o, "window", "probe", 2, 100000, 120);
	p->fall = cfg_int(r, o, "fall", "probe", 1, 1000, 3);
	p->rise = cfg_int(r, o, "rise", "probe", 1, 1000, 2);
	p->max_body_bytes = cfg_int(r, o, "max_body_bytes", "probe", 0, 16 << 20, 64 << 10);
}

/* "engine": {"socket_group": NAME}: the API socket opens to that group
 * (mode 0660) instead of its owner alone (0600). */
static void read_engine(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	static const char *engine_keys[] = { "socket_group", NULL };
	const cJSON *o = cfg_object(r, root, "engine", "", false);
	if (o)
		cfg_check_keys(r, o, "engine", engine_keys);
	cfg->engine.socket_group = cfg_string(r, o, "socket_group", "engine", NULL, false);
}

static void read_gates(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	const cJSON *o = cfg_object(r, root, "gates", "", false);
	struct gates_conf *g = &cfg->gates;
	if (o)
		cfg_check_keys(r, o, "gates", gate_keys);
	g->max_p95_delta_pct = cfg_number(r, o, "max_p95_delta_pct", "gates", 0, 1e6, 25);
	g->min_p95_delta_ms = cfg_number(r, o, "min_p95_delta_ms", "gates", 0, 60000, 2);
	g->max_error_rate_pct = cfg_number(r, o, "max_error_rate_pct", "gates", 0, 100, 1);
	g->min_samples = cfg_int(r, o, "min_samples", "gates", 1, 100000, 20);
	char *jf = cfg_string(r, o, "jobs_first", "gates", "warn", false);
	if (jf && strcmp(jf, "warn") == 0)
		g->jobs_first = JOBS_FIRST_WARN;
	else if (jf && strcmp(jf, "block") == 0)
		g->jobs_first = JOBS_FIRST_BLOCK;
	else if (jf && strcmp(jf, "off") == 0)
		g->jobs_first = JOBS_FIRST_OFF;
	else if (jf)
		cfg_diag(r, cJSON_GetObjectItemCaseSensitive(o, "jobs_first"), false,
			 "gates.jobs_first", "unknown value '%s' (expected warn, block or off)", jf);
	free(jf);
	if (g->min_samples > cfg->probe.window)
		cfg_diag(r, cJSON_GetObjectItemCaseSensitive(o, "min_samples"), false,
			 "gates.min_samples", "%d is more than probe.window (%d): no verdict could ever be reached",
			 g->min_samples, cfg->probe.window);
}

static void use_default_steps(struct config *cfg)
{
	size_t n = sizeof(default_steps) / sizeof(default_steps[0]);
	cfg->steps = malloc(sizeof(default_steps));
	if (cfg->steps) {
		memcpy(cfg->steps, default_steps, sizeof(default_steps));
		cfg->n_steps = n;
	}
}

static void read_steps(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	char p[CFG_PATH_MAX];
	const cJSON *a = cfg_array(r, root, "steps", "", false);
	if (!a) {
		use_default_steps(cfg);
		return;
	}
	size_t n = (size_t)cJSON_GetArraySize(a), i = 0;
	if (n == 0) {
		cfg_diag(r, a, false, "steps", "must list at least one step, ending at 100");
		return;
	}
	cfg->steps = calloc(n, sizeof(int));
	if (!cfg->steps)
		return;
	int prev = 0;
	for (const cJSON *c = a->child; c; c = c->next, i++) {
		cfg_path_index(p, "steps", i);
		/* The range is checked on the double: converting one outside int's
		 * range (250000000000, 1e300, NaN) to int is undefined. */
		double v = cJSON_IsNumber(c) ? c->valuedouble : -1;
		if (!cJSON_IsNumber(c) || !(v >= 1 && v <= 100) || v != (double)(int)v) {
			cfg_diag(r, c, false, p, "a step is a whole percentage from 1 to 100");
			cfg->steps[i] = 0;
			continue;
		}
		int step = (int)v;
		if (step <= prev)
			cfg_diag(r, c, false, p, "steps must be strictly rising (%d after %d)", step, prev);
		prev = step > prev ? step : prev;
		cfg->steps[i] = step;
	}
	cfg->n_steps = n;
	if (cfg->steps[n - 1] != 100)
		cfg_diag(r, a, false, "steps", "the last step must be 100 (all traffic on green)");
}

/* A relative state_dir is taken from the config file's directory, so the
 * journal is the same whichever directory cutover is started from. */
static char *resolve_state_dir(const char *cfg_path, const char *dir)
{
	const char *slash = strrchr(cfg_path, '/');
	if (dir[0] == '/' || !slash)
		return strdup(dir);
	size_t base = (size_t)(slash - cfg_path);
	size_t len = base + 1 + strlen(dir) + 1;
	char *out = malloc(len);
	if (out)
		snprintf(out, len, "%.*s/%s", (int)base, cfg_path, dir);
	return out;
}

static char *default_state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char buf[4096];
	if (xdg && xdg[0] == '/')
		snprintf(buf, sizeof(buf), "%s/cutover", xdg);
	else if (home && *home)
		snprintf(buf, sizeof(buf), "%s/.local/state/cutover", home);
	else
		snprintf(buf, sizeof(buf), "./state");
	return strdup(buf);
}

static void read_top(struct cfg_reader *r, const cJSON *root, struct config *cfg)
{
	cfg_check_keys(r, root, "", top_keys);
	cfg->release = cfg_string(r, root, "release", "", NULL, true);
	if (cfg->release && cfg->release[0] && !cfg_valid_name(cfg->release))
		cfg_diag(r, cJSON_GetObjectItemCaseSensitive(root, "release"), false, "release",
			 "'%s' is not a valid name (letters, digits, '.', '_', '-'; at most 128)",
			 cfg->release);
	read_labels(r, root, cfg);
	config_read_router(r, root, cfg);
	read_probe(r, root, cfg);
	read_gates(r, root, cfg);
	read_steps(r, root, cfg);
	char *dir = cfg_string(r, root, "state_dir", "", NULL, false);
	cfg->state_dir = dir && *dir ? resolve_state_dir(cfg->path, dir) : default_state_dir();
	free(dir);
	cfg->theme = cfg_string(r, root, "theme", "", NULL, false);
	read_engine(r, root, cfg);
	config_read_services(r, root, cfg);
	/* After steps (their default) and services (the groups they derive). */
	config_read_rollout(r, root, cfg);
	config_read_plan(r, root, cfg);
	config_read_alerts(r, root, cfg);
}

/* If the text ends inside a string or an open bracket, returns the offset
 * of the innermost unclosed opener; cJSON only says "the end". -1 otherwise. */
static long unclosed_opener(const char *text, size_t len)
{
	long stack[128];	/* deeper nesting than this only loses the hint */
	int depth = 0;
	long str = -1;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (str >= 0) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = -1;
		} else if (c == '"') {
			str = (long)i;
		} else if (c == '{' || c == '[') {
			if (depth < 128)
				stack[depth] = (long)i;
			depth++;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	if (str >= 0)
		return str;
	return depth > 0 && depth <= 128 ? stack[depth - 1] : -1;
}

/* Up to one line of the text at the error, printable bytes only: the input
 * may be binary and is not NUL-terminated. */
static void excerpt(const char *at, size_t left, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < left && n + 1 < cap && at[i] != '\n'; i++)
		out[n++] = (at[i] >= 0x20 && at[i] < 0x7f) ? at[i] : '?';
	out[n] = '\0';
}

static void report_syntax(struct diag_list *diags, const char *text, size_t len,
			  const char *end)
{
	int line, col, oline, ocol;
	size_t off = end && end >= text ? (size_t)(end - text) : 0;
	long open = unclosed_opener(text, len);
	json_pos_linecol(text, len, off, &line, &col);
	if (open >= 0 && off + 1 >= len) {
		json_pos_linecol(text, len, (size_t)open, &oline, &ocol);
		json_pos_linecol(text, len, len, &line, &col);
		diag_add(diags, line, col, "", "malformed JSON: unexpected end of file ('%c' at %d:%d is never closed)",
			 text[open], oline, ocol);
	} else if (off >= len) {
		diag_add(diags, line, col, "", "malformed JSON: unexpected end of file");
	} else {
		char near[24];
		excerpt(text + off, len - off, near, sizeof(near));
		diag_add(diags, line, col, "", "malformed JSON near '%s'", near);
	}
}

struct config *config_parse(const char *name, const char *text, size_t len,
			    struct diag_list *diags)
{
	const char *end = NULL;
	struct config *cfg;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {	/* editors' BOM */
		text += 3;
		len -= 3;
	}
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root && end && (size_t)(end - text) < len) {	/* trailing bytes */
		const char *t = end;
		while ((size_t)(t - text) < len && strchr(" \t\r\n", *t))
			t++;
		if ((size_t)(t - text) < len) {
			cJSON_Delete(root);
			root = NULL;
			end = t;
		}
	}
	if (!root) {
		report_syntax(diags, text, len, end ? end : cJSON_GetErrorPtr());
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		diag_add(diags, 1, 1, "", "the config must be a JSON object");
		cJSON_Delete(root);
		return NULL;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg && (cfg->path = strdup(name)) != NULL) {
		struct cfg_reader r = { text, len, root, NULL, diags, 1, 1 };
		read_top(&r, root, cfg);
		cfg_reader_done(&r);
	} else {
		diag_add(diags, 1, 1, "", "out of memory");
	}
	cJSON_Delete(root);
	diag_list_sort(diags);
	if (diags->n > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

static char *read_file(const char *path, size_t *len, struct diag_list *diags)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f) {
		diag_add(diags, 0, 0, "", "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		diag_add(diags, 0, 0, "", "is a directory, not a config file");
		fclose(f);
		return NULL;
	}
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			if (cap >= (size_t)CONFIG_MAX_BYTES) {
				diag_add(diags, 0, 0, "", "larger than %ld MiB: not a config file",
					 CONFIG_MAX_BYTES >> 20);
				free(buf);
				buf = NULL;
				break;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		diag_add(diags, 0, 0, "", "cannot read: %s", strerror(errno));
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

struct config *config_load(const char *path, struct diag_list *diags)
{
	size_t len = 0;
	char *text = read_file(path, &len, diags);
	if (!text)
		return NULL;
	struct config *cfg = config_parse(path, text, len, diags);
	free(text);
	return cfg;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->release);
	free(cfg->label[0]);
	free(cfg->label[1]);
	config_free_router(&cfg->router);
	free(cfg->steps);
	free(cfg->state_dir);
	free(cfg->engine.socket_group);
	free(cfg->theme);
	free(cfg->rollout.steps);
	config_free_plan(&cfg->plan);
	config_free_alerts(cfg);
	config_free_services(cfg);
	free(cfg);
}

const char *side_name(enum side s)
{
	return s == SIDE_GREEN ? "green" : "blue";
}

const char *kind_name(enum svc_kind k)
{
	return k == KIND_JOB ? "job" : "exposed";
}

bool service_all_or_nothing(const struct service_conf *sc)
{
	return sc->kind == KIND_JOB || sc->route.kube.kind == KROUTE_SERVICE_SELECTOR;
}

const char *driver_name(enum driver_kind d)
{
	switch (d) {
	case DRIVER_HAPROXY: return "haproxy";
	case DRIVER_EXEC: return "exec";
	case DRIVER_REHEARSAL: return "rehearsal";
	case DRIVER_KUBERNETES: return "kubernetes";
	}
	return "?";
}
