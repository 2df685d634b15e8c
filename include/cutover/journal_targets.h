/* journal_targets: the weight the journal says each service was last set
 * to, handed to the model as its target, so that a router that lost it (a
 * reload without a state file, a hand edit) shows as drift. */
#ifndef CUTOVER_JOURNAL_TARGETS_H
#define CUTOVER_JOURNAL_TARGETS_H

#include <cjson/cJSON.h>

#include "cutover/config.h"
#include "cutover/error.h"
#include "cutover/model.h"

/* Reads the journal at journal_path (NULL: the release's own,
 * STATE_DIR/RELEASE.journal.jsonl of cfg) and calls model_set_target for
 * every service of cfg that an outcome record set: the last one wins,
 * "applied" gives its "to", "reverted" its "from", "reconciled" its
 * "found". Services the journal never set, or no longer in the config, are
 * left alone; so is a job "set" to a weight a job cannot hold.
 *
 * Read only: a missing journal (or state directory) is nothing to seed and
 * returns 0; nothing is ever created. Returns -1 with err naming the file
 * if it could not be read, or if memory ran out. */
int journal_seed_targets(const char *journal_path, const struct config *cfg, struct model *m,
			 struct co_error *err);

/* The same for one record, as a screen following the journal reads it:
 * sets the target an outcome record implies, and ignores anything else. */
void journal_target_note(const cJSON *rec, const struct config *cfg, struct model *m);

#endif
