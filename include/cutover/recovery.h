/* recovery: what a crash left unfinished. Every intent of the journal with
 * no outcome is compared with what the router says now, and a reconcile
 * record plus a closing outcome are journaled for it, so that nothing is
 * ever left unknown silently. Both front ends (the CLI's move/rollback and
 * the interactive console) run it right after taking the operator lock and
 * before anything else, and say what they found.
 *
 * The reconcile record ({"type":"reconcile","service","intent_seq",
 * "intended","found","drift","detail","instances_up"}) and its outcome
 * ({"type":"outcome","result":"reconciled",...}) go out in one write and
 * one fsync. A power loss during it can tear the outcome, the last line:
 * torn bytes are no record (journal.h), so the intent is still open and the
 * next recovery reconciles it once more, with what the router says then.
 * That second reconcile record carries "previous_reconcile": the seq of
 * the earlier one, whose outcome was lost. An intent thus has one
 * reconcile record per recovery that found it open, and exactly one
 * reconciled outcome that is a whole record. */
#ifndef CUTOVER_RECOVERY_H
#define CUTOVER_RECOVERY_H

#include <stddef.h>

#include "cutover/journal.h"
#include "cutover/router_poller.h"

/* Called once per reconciled intent with one line of plain words:
 * "recovered: plan p-1 left service api unfinished; router says 25". */
typedef void (*recovery_report_cb)(const char *line, void *ctx);

/* Notes a torn last line, then reconciles every open intent of j against
 * view (one fresh pass of the router). Returns how many intents it
 * reconciled, or -1 with err (a journal that cannot be read or written:
 * nothing else should happen then). */
long recovery_run(struct journal *j, const struct config *cfg, const struct router_view *view,
		  recovery_report_cb report, void *ctx, struct co_error *err);

/* Whether recovery_run has anything to do: intents with no outcome (a
 * caller then needs a router pass for it), or a torn last line found at
 * open (journaled as a note). 1 yes, 0 no, -1 with err. */
int recovery_needed(struct journal *j, struct co_error *err);

#endif
