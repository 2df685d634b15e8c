/* gates_private: the gate checks plan_build runs, kept apart from the
 * planner so a new gate is a new function here, not a new branch there. */
#ifndef CUTOVER_GATES_PRIVATE_H
#define CUTOVER_GATES_PRIVATE_H

#include "cutover/plan.h"

/* Appends every gate for the plan's moves (per service and whole-plan) to
 * p->gates and counts blockers and warnings. -1 with err if memory ran out. */
int gates_evaluate(const struct snapshot *snap, struct plan *p, struct co_error *err);

#endif
