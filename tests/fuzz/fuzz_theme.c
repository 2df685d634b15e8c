/* libFuzzer target: theme files (tui/theme.c's theme_parse, which makes no
 * terminal call). Any bytes give either a theme whose every role is set
 * with colours in range, or an error naming FILE:LINE. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tui/theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* theme_load hands theme_parse a NUL-ended file of at most 64 KiB. */
	if (size > 65535)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct theme t;
	struct co_error err = { .msg = "" };
	if (theme_parse(&t, "fuzz.theme", text, &err) == 0) {
		for (int r = 0; r < ROLE_COUNT; r++)
			if (!t.role[r].set || t.role[r].fg < -1 || t.role[r].fg > 255 ||
			    t.role[r].bg < -1 || t.role[r].bg > 255)
				abort();
	} else if (strncmp(err.msg, "fuzz.theme:", 11) != 0) {
		abort();	/* a rejection names the file and line */
	}
	free(text);
	return 0;
}
