/* cli_config: locating, loading and reporting on the config for commands. */
#include "cli.h"

#include <stdlib.h>

/* The core's loader (config_report.c), under the CLI's names. */
void cli_print_diags(FILE *out, const char *file, const struct diag_list *diags)
{
	config_print_diags(out, file, diags);
}

void cli_hint_no_config(FILE *out, const char *explicit_path, const struct diag_list *diags)
{
	config_hint_missing(out, explicit_path, diags);
}

struct config *cli_load_config(const char *explicit_path, FILE *err)
{
	return config_load_reported(explicit_path, err);
}
