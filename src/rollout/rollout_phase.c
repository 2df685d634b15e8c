/* rollout_phase: the words and glyphs of a rollout's phases, one table. */
#include "cutover/rollout.h"

#include <string.h>

static const struct {
	const char *name;
	const char *glyph;	/* ASCII, so a monochrome wall screen reads it too */
} phases[] = {
	[ROLLOUT_NONE] = { "none", " " },
	[ROLLOUT_PENDING] = { "pending", "." },
	[ROLLOUT_BAKING] = { "baking", "~" },
	[ROLLOUT_WAITING] = { "waiting", "?" },
	[ROLLOUT_HALTED] = { "halted", "!" },
	[ROLLOUT_ROLLED_BACK] = { "rolled_back", "<" },
	[ROLLOUT_DONE] = { "done", "=" },
	[ROLLOUT_PAUSED] = { "paused", "|" },
};

#define N_PHASES (sizeof phases / sizeof phases[0])

const char *rollout_phase_name(enum rollout_phase p)
{
	return (size_t)p < N_PHASES ? phases[p].name : "?";
}

const char *rollout_phase_glyph(enum rollout_phase p)
{
	return (size_t)p < N_PHASES ? phases[p].glyph : "?";
}

int rollout_phase_parse(const char *name)
{
	for (size_t i = 0; i < N_PHASES; i++)
		if (strcmp(phases[i].name, name) == 0)
			return (int)i;
	return -1;
}
