/* lock: the operator lock of a release (flock plus an owner record). */
#include "cutover/lock.h"
#include "cutover/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

struct lock {
	int fd;
	char *path;
};

/* A reader's LOCK_SH probe (lock_read_owner) holds the lock for a few
 * microseconds; a taker that meets one retries a little before calling
 * the lock busy, so a wall screen cannot make an operator's move fail. */
#define PROBE_RETRIES 3
#define PROBE_PAUSE_MS 10

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
}

static void copy_field(char *dst, size_t cap, const cJSON *obj, const char *name, const char *dflt)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	snprintf(dst, cap, "%s", cJSON_IsString(it) ? it->valuestring : dflt);
}

/* Parses the owner record; 0 if it is there, -1 if empty or partial. */
static int owner_parse(int fd, struct lock_owner *o)
{
	char text[1024];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	if (n <= 0)
		return -1;
	text[n] = '\0';
	cJSON *rec = cJSON_Parse(text);
	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		return -1;
	}
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(rec, "pid");
	copy_field(o->actor, sizeof(o->actor), rec, "actor", "unknown");
	copy_field(o->since, sizeof(o->since), rec, "since", "");
	copy_field(o->command, sizeof(o->command), rec, "command", "");
	o->pid = cJSON_IsNumber(pid) ? (long)pid->valuedouble : 0;
	cJSON_Delete(rec);
	return 0;
}

/* The holder writes its record just after taking the lock: a reader that
 * comes in between sees an empty file, so it looks again briefly. */
static void owner_read(int fd, struct lock_owner *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < PROBE_RETRIES; i++) {
		if (owner_parse(fd, o) == 0)
			return;
		sleep_ms(PROBE_PAUSE_MS);
	}
	snprintf(o->actor, sizeof(o->actor), "unknown");
}

/* No fsync: the record only matters while the holder lives, and a machine
 * crash ends the holder and its flock together. */
static int owner_write(struct lock *l, const char *command, struct co_error *err)
{
	char actor[256], since[40];
	cJSON *rec = cJSON_CreateObject();
	char *text = NULL;
	int rc = -1;

	journal_default_actor(actor, sizeof(actor));
	journal_time_iso(since, sizeof(since));
	if (!rec || !cJSON_AddStringToObject(rec, "actor", actor) ||
	    !cJSON_AddNumberToObject(rec, "pid", (double)getpid()) ||
	    !cJSON_AddStringToObject(rec, "since", since) ||
	    !cJSON_AddStringToObject(rec, "command", command ? command : "") ||
	    !(text = cJSON_PrintUnformatted(rec))) {
		co_error_set(err, "%s: out of memory", l->path);
		goto out;
	}
	size_t len = strlen(text);
	if (ftruncate(l->fd, 0) < 0 || pwrite(l->fd, text, len, 0) != (ssize_t)len)
		co_error_set(err, "cannot write lock owner to %s: %s", l->path, strerror(errno));
	else
		rc = 0;
out:
	free(text);
	cJSON_Delete(rec);
	return rc;
}

static struct lock *lock_open(const char *state_dir, const char *release, struct co_error *err)
{
	char *path = journal_state_path(state_dir, release, "lock", err);

	if (!path || journal_state_dir(state_dir, err) < 0) {
		free(path);
		return NULL;
	}
	struct lock *l = calloc(1, sizeof(*l));
	int fd = l ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (fd < 0) {
		if (l)
			co_error_set(err, "cannot open lock %s: %s", path, strerror(errno));
		else
			co_error_set(err, "%s: out of memory", path);
		free(l);
		free(path);
		return NULL;
	}
	l->fd = fd;
	l->path = path;
	return l;
}

static void lock_free(struct lock *l)
{
	close(l->fd);
	free(l->path);
	free(l);
}

/* flock with a few retries over a reader's probe; 0 taken, 1 busy, -1. */
static int try_flock(struct lock *l, struct co_error *err)
{
	for (int i = 0; i < PROBE_RETRIES; i++) {
		if (flock(l->fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			co_error_set(err, "cannot lock %s: %s", l->path, strerror(errno));
			return -1;
		}
		sleep_ms(PROBE_PAUSE_MS);
	}
	return 1;
}

int lock_acquire(const char *state_dir, const char *release, const char *command,
		 struct lock **out, struct lock_owner *holder_if_busy,
		 struct co_error *err)
{
	struct lock *l = lock_open(state_dir, release, err);

	*out = NULL;
	if (!l)
		return -1;
	int rc = try_flock(l, err);
	if (rc == 1 && holder_if_busy)
		owner_read(l->fd, holder_if_busy);
	if (rc == 0 && owner_write(l, command, err) < 0)
		rc = -1;	/* closing the descriptor below lets the lock go */
	if (rc != 0) {
		lock_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int lock_acquire_wait(const char *state_dir, const char *release, const char *command,
		      int timeout_ms, struct lock **out, struct lock_owner *holder_if_busy,
		      struct co_error *err)
{
	long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		int rc = lock_acquire(state_dir, release, command, out, holder_if_busy, err);
		long left = deadline - now_ms();
		if (rc != 1 || left <= 0)
			return rc;
		/* Polling, not a blocking flock: a blocking call cannot be given a
		 * timeout without signals, and a cutover waits seconds, not µs. */
		sleep_ms(left < 100 ? left : 100);
	}
}

int lock_read_owner(const char *state_dir, const char *release,
		    struct lock_owner *owner, struct co_error *err)
{
	char *path = journal_state_path(state_dir, release, "lock", err);

	memset(owner, 0, sizeof(*owner));
	if (!path)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e != ENOENT)
			co_error_set(err, "cannot open lock %s: %s", path, strerror(e));
		free(path);
		return e == ENOENT ? 0 : -1;	/* never created: free */
	}
	int rc = 1;
	/* A shared lock is granted only if nobody holds the exclusive one. */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
		rc = 0;
	} else if (errno != EWOULDBLOCK) {
		co_error_set(err, "cannot probe lock %s: %s", path, strerror(errno));
		rc = -1;
	} else {
		owner_read(fd, owner);
	}
	close(fd);
	free(path);
	return rc;
}

void lock_release(struct lock *l)
{
	if (!l)
		return;
	/* Emptied so the file no longer names us, but not unlinked: a process
	 * that opened the old file just before an unlink would lock an orphan
	 * while a third locks a new file, and two hands would hold the lever. */
	if (ftruncate(l->fd, 0) < 0) {
		/* Harmless: a reader only trusts the record while flock says held. */
	}
	flock(l->fd, LOCK_UN);
	lock_free(l);
}

const char *lock_path(const struct lock *l)
{
	return l->path;
}
