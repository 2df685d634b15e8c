/* status_format: one snapshot as a table for people or JSON for scripts. */
#ifndef CUTOVER_STATUS_FORMAT_H
#define CUTOVER_STATUS_FORMAT_H

#include <stdio.h>

#include "cutover/model.h"

void status_print_json(FILE *out, const struct snapshot *snap, double probed_s);
void status_print_table(FILE *out, const struct snapshot *snap, double probed_s);

#endif
