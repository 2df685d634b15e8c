/* lock: "one hand on the lever": the operator lock of a release, so that
 * only one cutover process at a time moves traffic and writes intents.
 *
 * STATE_DIR/RELEASE.lock is held with flock() on a descriptor kept open for
 * the life of the holder: the kernel drops it when the process dies, so a
 * file left by a crashed run never blocks anyone. While held, the file names
 * its holder as JSON:
 *   {"actor":"ana@ops1","pid":4242,"since":"2025-11-24T14:31:02.123Z",
 *    "command":"cutover move api 25"} */
#ifndef CUTOVER_LOCK_H
#define CUTOVER_LOCK_H

#include "cutover/error.h"

struct lock;

/* Who holds a lock, as its file says. */
struct lock_owner {
	char actor[128];	/* "user@host"; "unknown" if the file says nothing */
	long pid;		/* 0 if unknown; a pid on the holder's host */
	char since[40];		/* ISO-8601 UTC */
	char command[256];
};

/* Takes the release's lock without waiting. Returns 0 with *out set, 1 if
 * another process holds it (holder_if_busy, when not NULL, is filled from
 * the file), or -1 with err. command is recorded for others to read. The
 * descriptor is O_CLOEXEC, so tools the process execs do not hold it; a
 * child that forks without exec does share it until it exits. */
int lock_acquire(const char *state_dir, const char *release, const char *command,
		 struct lock **out, struct lock_owner *holder_if_busy,
		 struct co_error *err);

/* The same, retrying for up to timeout_ms (0: one try) while it is busy. */
int lock_acquire_wait(const char *state_dir, const char *release, const char *command,
		      int timeout_ms, struct lock **out, struct lock_owner *holder_if_busy,
		      struct co_error *err);

/* For read-only screens: names the holder without taking the lock.
 * Returns 1 if held (owner filled), 0 if free, -1 with err. */
int lock_read_owner(const char *state_dir, const char *release,
		    struct lock_owner *owner, struct co_error *err);

/* Clears the owner record and lets go. NULL: no-op. */
void lock_release(struct lock *l);

const char *lock_path(const struct lock *l);

#endif
