/* config_report: locating and loading the release file with every problem
 * told at its place: what the CLI and the console both need at start. */
#include "cutover/config.h"

#include <stdlib.h>

void config_print_diags(FILE *out, const char *file, const struct diag_list *diags)
{
	for (size_t i = 0; i < diags->n; i++) {
		const struct diag *d = &diags->items[i];
		if (d->line > 0)
			fprintf(out, "%s:%d:%d: ", file, d->line, d->col);
		else
			fprintf(out, "%s: ", file);
		if (d->path[0])
			fprintf(out, "%s: ", d->path);
		fprintf(out, "%s\n", d->msg);
	}
}

/* A missing ./cutover.json usually means the user forgot -c. */
void config_hint_missing(FILE *out, const char *explicit_path, const struct diag_list *diags)
{
	if (!explicit_path && !getenv("CUTOVER_CONFIG") && diags->n == 1 && diags->items[0].line == 0)
		fprintf(out, "cutover: no config given: use -c FILE or set CUTOVER_CONFIG\n");
}

struct config *config_load_reported(const char *explicit_path, FILE *out)
{
	struct diag_list diags;
	const char *path = config_locate(explicit_path);
	diag_list_init(&diags);
	struct config *cfg = config_load(path, &diags);
	if (!cfg) {
		config_print_diags(out, path, &diags);
		config_hint_missing(out, explicit_path, &diags);
	}
	diag_list_done(&diags);
	return cfg;
}
