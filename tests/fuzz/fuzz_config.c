/* libFuzzer target: the config loader must never crash, leak or hang on any
 * bytes, and must either return a config or at least one diagnostic. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cutover/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("fuzz.json", (const char *)data, size, &d);
	if (!cfg && d.n == 0)
		abort();	/* a rejection must always say why */
	config_free(cfg);
	diag_list_done(&d);
	return 0;
}
