/* cmd_not_yet: commands whose issue has not landed say so and do nothing. */
#include "cli.h"

int cmd_not_yet(int argc, char **argv)
{
	fprintf(stderr,
		"cutover %s: not implemented yet in this build; nothing was done.\n",
		argv[0]);
	return EXIT_FAILED;
}
