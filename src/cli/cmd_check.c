/* cmd_check: `cutover check` — validate a config and list every problem. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>

#include "cutover/kube_rbac.h"

static void print_json(const char *path, const struct config *cfg, const struct diag_list *d)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "file", path);
	cJSON_AddBoolToObject(root, "ok", cfg != NULL);
	if (cfg) {
		cJSON_AddStringToObject(root, "release", cfg->release);
		cJSON_AddNumberToObject(root, "services", (double)cfg->n_services);
		cJSON_AddNumberToObject(root, "groups", (double)cfg->n_groups);
		cJSON_AddStringToObject(root, "driver", driver_name(cfg->router.driver));
	}
	cJSON *arr = cJSON_AddArrayToObject(root, "problems");
	for (size_t i = 0; i < d->n; i++) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "line", d->items[i].line);
		cJSON_AddNumberToObject(p, "col", d->items[i].col);
		cJSON_AddStringToObject(p, "path", d->items[i].path);
		cJSON_AddStringToObject(p, "message", d->items[i].msg);
		cJSON_AddItemToArray(arr, p);
	}
	char *text = cJSON_Print(root);
	if (text)
		puts(text);
	free(text);
	cJSON_Delete(root);
}

/* --rbac: the Roles the kubernetes driver needs, as manifests (or JSON). */
static int print_rbac(const struct config *cfg, bool json)
{
	cJSON *roles = kube_rbac_roles(cfg);
	if (!roles) {
		fprintf(stderr, "cutover check --rbac: router.driver is %s: cutover calls no "
			"Kubernetes API\n", driver_name(cfg->router.driver));
		return EXIT_FAILED;
	}
	if (json) {
		char *text = cJSON_Print(roles);
		if (text)
			puts(text);
		free(text);
	} else {
		kube_rbac_print_yaml(stdout, cfg, roles);
	}
	cJSON_Delete(roles);
	return EXIT_OK;
}

static void print_summary(const char *path, const struct config *cfg)
{
	size_t jobs = 0;
	for (size_t i = 0; i < cfg->n_services; i++)
		jobs += cfg->services[i].kind == KIND_JOB;
	printf("%s: ok: release %s, %zu service%s (%zu exposed, %zu job%s) in %zu group%s, "
	       "router %s", path, cfg->release, cfg->n_services, cfg->n_services == 1 ? "" : "s",
	       cfg->n_services - jobs, jobs, jobs == 1 ? "" : "s", cfg->n_groups,
	       cfg->n_groups == 1 ? "" : "s", driver_name(cfg->router.driver));
	if (cfg->router.driver == DRIVER_HAPROXY)
		printf(" (%zu instance%s)", cfg->router.n_sockets,
		       cfg->router.n_sockets == 1 ? "" : "s");
	printf("\n");
	for (size_t i = 0; i < cfg->n_services; i++)
		for (int s = 0; s < 2; s++)
			if (cfg->services[i].side[s].insecure)
				printf("%s: warning: %s.%s.health skips TLS verification (insecure)\n",
				       path, cfg->services[i].name, side_name((enum side)s));
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "rbac", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts o = { 0 };
	bool rbac = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'j': o.json = true; break;
		case 'r': rbac = true; break;
		case 'h':
			printf("usage: cutover check [-c FILE] [--json] [--rbac]\n"
			       "Validates the config and prints every problem as FILE:LINE:COL: PATH: MESSAGE.\n"
			       "--rbac prints the Kubernetes Roles (least privilege) the kubernetes driver\n"
			       "needs for this config, one per context and namespace.\n"
			       "Exit status: 0 valid, 1 --rbac without the kubernetes driver, 2 invalid or unreadable.\n");
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cutover check: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	const char *path = config_locate(o.config);
	struct diag_list diags;
	diag_list_init(&diags);
	struct config *cfg = config_load(path, &diags);
	if (cfg && rbac) {
		int rc = print_rbac(cfg, o.json);
		diag_list_done(&diags);
		config_free(cfg);
		return rc;
	}
	if (o.json) {
		print_json(path, cfg, &diags);
	} else if (cfg) {
		print_summary(path, cfg);
	} else {
		cli_print_diags(stderr, path, &diags);
		cli_hint_no_config(stderr, o.config, &diags);
		fprintf(stderr, "%s: %zu problem%s\n", path, diags.n, diags.n == 1 ? "" : "s");
	}
	diag_list_done(&diags);
	int rc = cfg ? EXIT_OK : EXIT_USAGE;
	config_free(cfg);
	return rc;
}
