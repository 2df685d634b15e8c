/* journal_format: a release journal as an aligned table for people or a
 * JSON array for scripts. */
#ifndef CUTOVER_JOURNAL_FORMAT_H
#define CUTOVER_JOURNAL_FORMAT_H

#include <stdio.h>

#include "cutover/error.h"

/* One line per record: seq, time (UTC), actor, type, plan, service,
 * weight from→to, result, reason. Returns the records printed, or -1 with
 * err if the file could not be read. */
long journal_print_table(FILE *out, const char *path, struct co_error *err);

/* The records as they are on disk, one array element per line. Returns
 * the records printed, or -1 with err (nothing but "[" may have gone out). */
long journal_print_json(FILE *out, const char *path, struct co_error *err);

#endif
