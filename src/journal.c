/* journal: appending hash-chained records to a release's journal file. */
#include "cutover/journal.h"
#include "journal_private.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct journal {
	/* Serialises appends: the chain needs one order, so the lock is held
	 * across the write and fsync. It guards only the journal, nothing a
	 * screen draws from, and an append costs a few milliseconds. */
	pthread_mutex_t mu;
	int fd;
	char *path;
	char *head_path;
	char *dir;
	char actor[256];
	long long seq;			/* last record written */
	char hash[JOURNAL_HASH_HEX + 1];	/* of that record's line */
	bool need_nl;			/* the file does not end in a newline */
	bool broken;			/* an fsync failed: refuse to go on */
	long torn_line;			/* found at open; fixed from then on */
	off_t size;			/* file size after our last append */
};

/* What a scan of the file teaches about its end. */
struct tail {
	long long seq;
	char hash[JOURNAL_HASH_HEX + 1];
	long torn_line;			/* first non-record line after the last record */
	bool last_nl;
	bool any;
	struct co_error *err;
};

static int tail_line(const struct jline *ln, void *ctx)
{
	struct tail *t = ctx;
	struct jrec r;
	cJSON *rec = jrecord_parse(ln, &r, NULL, 0);

	t->any = true;
	t->last_nl = ln->has_nl;
	if (!rec) {
		if (!t->torn_line)
			t->torn_line = ln->lineno;
		return 0;
	}
	cJSON_Delete(rec);
	t->seq = r.seq;
	t->torn_line = 0;
	if (jhash_hex(ln->buf, ln->len, t->hash) < 0) {
		co_error_set(t->err, "line %ld: SHA-256 failed", ln->lineno);
		return -1;
	}
	return 0;
}

/* Learns the last record and whether the end is torn. The whole file is
 * read rather than just its end: journals hold hundreds of records, and a
 * forward scan is the only way to know line numbers for the report. */
static int journal_learn_tail(struct journal *j, long *torn_line, struct co_error *err)
{
	struct tail t = { .hash = JOURNAL_ZERO_HASH, .err = err };
	struct stat st;

	/* Size first: should another process append during the scan, the
	 * size we keep is short of the file and the next append reads again. */
	if (fstat(j->fd, &st) < 0) {
		co_error_set(err, "%s: %s", j->path, strerror(errno));
		return -1;
	}
	if (jscan_path(j->path, tail_line, &t, err) < 0)
		return -1;
	j->seq = t.seq;
	memcpy(j->hash, t.hash, sizeof(j->hash));
	*torn_line = t.torn_line;
	j->need_nl = t.any && !t.last_nl;
	j->size = st.st_size;
	return 0;
}

static struct journal *journal_alloc(const char *state_dir, const char *release,
				     struct co_error *err)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (!j) {
		co_error_set(err, "journal for %s: out of memory", release);
		return NULL;
	}
	pthread_mutex_init(&j->mu, NULL);
	j->fd = -1;
	journal_default_actor(j->actor, sizeof(j->actor));
	j->path = journal_state_path(state_dir, release, "journal.jsonl", err);
	if (!j->path)
		goto fail;
	j->dir = strdup(state_dir);
	j->head_path = jhead_path(j->path);
	if (!j->dir || !j->head_path) {
		co_error_set(err, "journal for %s: out of memory", release);
		goto fail;
	}
	return j;
fail:
	journal_close(j);
	return NULL;
}

struct journal *journal_open(const char *state_dir, const char *release,
			     struct co_error *err)
{
	struct journal *j = journal_alloc(state_dir, release, err);

	if (!j || journal_state_dir(state_dir, err) < 0)
		goto fail;
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		co_error_set(err, "cannot open journal %s: %s", j->path, strerror(errno));
		goto fail;
	}
	if (jfsync_dir(j->dir, err) < 0 || journal_learn_tail(j, &j->torn_line, err) < 0)
		goto fail;
	return j;
fail:
	journal_close(j);
	return NULL;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	pthread_mutex_destroy(&j->mu);
	free(j->path);
	free(j->head_path);
	free(j->dir);
	free(j);
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

long journal_torn_line(const struct journal *j)
{
	return j->torn_line;
}

long long journal_last_seq(struct journal *j)
{
	pthread_mutex_lock(&j->mu);
	long long seq = j->seq;
	pthread_mutex_unlock(&j->mu);
	return seq;
}

const char *journal_actor(const struct journal *j)
{
	return j->actor;
}

int journal_set_actor(struct journal *j, const char *actor, struct co_error *err)
{
	if (!actor || !*actor || strlen(actor) >= sizeof(j->actor)) {
		co_error_set(err, "journal actor must be 1..%zu characters", sizeof(j->actor) - 1);
		return -1;
	}
	pthread_mutex_lock(&j->mu);
	snprintf(j->actor, sizeof(j->actor), "%s", actor);
	pthread_mutex_unlock(&j->mu);
	return 0;
}

static const char *const reserved_keys[] = {
	"seq", "time", "actor", "type", "plan", "prev", NULL
};

static int payload_copy(cJSON *rec, const cJSON *payload, struct co_error *err)
{
	if (!payload)
		return 0;
	if (!cJSON_IsObject(payload)) {
		co_error_set(err, "journal payload must be a JSON object");
		return -1;
	}
	for (const cJSON *it = payload->child; it; it = it->next) {
		for (size_t i = 0; reserved_keys[i]; i++) {
			if (strcmp(it->string, reserved_keys[i]) == 0) {
				co_error_set(err, "journal payload key \"%s\" is reserved", it->string);
				return -1;
			}
		}
		cJSON *dup = cJSON_Duplicate(it, 1);
		if (!dup || !cJSON_AddItemToObject(rec, it->string, dup)) {
			cJSON_Delete(dup);
			co_error_set(err, "journal record: out of memory");
			return -1;
		}
	}
	return 0;
}

/* The record's line, without newline, for seq/prev as j stands now. */
static char *record_line(struct journal *j, const char *type, const char *plan,
			 const cJSON *payload, struct co_error *err)
{
	char now[40];
	cJSON *rec = cJSON_CreateObject();
	char *line = NULL;

	journal_time_iso(now, sizeof(now));
	if (!rec || !cJSON_AddNumberToObject(rec, "seq", (double)(j->seq + 1)) ||
	    !cJSON_AddStringToObject(rec, "time", now) ||
	    !cJSON_AddStringToObject(rec, "actor", j->actor) ||
	    !cJSON_AddStringToObject(rec, "type", type) ||
	    !(plan ? cJSON_AddStringToObject(rec, "plan", plan) : cJSON_AddNullToObject(rec, "plan"))) {
		co_error_set(err, "journal record: out of memory");
		goto out;
	}
	if (payload_copy(rec, payload, err) < 0)
		goto out;
	if (!cJSON_AddStringToObject(rec, "prev", j->hash) ||
	    !(line = cJSON_PrintUnformatted(rec)))
		co_error_set(err, "journal record: out of memory");
out:
	cJSON_Delete(rec);
	return line;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Replaces the head file atomically: a reader sees the old head or the new
 * one, never half of one. Written after the journal line, so a crash in
 * between leaves the head one record behind (verify allows that), never
 * ahead of the file (which would read as truncation). */
static int head_write(struct journal *j, struct co_error *err)
{
	char text[160];
	size_t n = strlen(j->head_path) + 8;
	char *tmp = malloc(n);
	int fd = -1, rc = -1;

	if (!tmp) {
		co_error_set(err, "%s: out of memory", j->head_path);
		return -1;
	}
	snprintf(tmp, n, "%s.tmp", j->head_path);
	int len = snprintf(text, sizeof(text), "{\"seq\":%lld,\"hash\":\"%s\"}\n", j->seq, j->hash);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, text, (size_t)len) < 0 || fsync(fd) < 0 ||
	    rename(tmp, j->head_path) < 0) {
		co_error_set(err, "record %lld written but head file %s not updated: %s",
			     j->seq, j->head_path, strerror(errno));
		goto out;
	}
	rc = jfsync_dir(j->dir, err);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return rc;
}

/* The part of an append done under both locks. */
static int append_locked(struct journal *j, const char *type, const char *plan,
			 const cJSON *payload, struct co_error *err)
{
	struct stat st;

	/* Another process appended since our last write (a second cutover on
	 * the same release without the operator lock): chain onto its end. */
	if (fstat(j->fd, &st) < 0) {
		co_error_set(err, "%s: %s", j->path, strerror(errno));
		return -1;
	}
	long torn;	/* the other process's to report, not ours */
	if (st.st_size != j->size && journal_learn_tail(j, &torn, err) < 0)
		return -1;

	char *line = record_line(j, type, plan, payload, err);
	if (!line)
		return -1;
	size_t len = strlen(line);
	char *buf = malloc(len + 2);
	if (!buf) {
		free(line);
		co_error_set(err, "journal record: out of memory");
		return -1;
	}
	/* One write() for the separating newline (after a torn tail), the
	 * record and its newline: O_APPEND then places it whole at the end. */
	size_t off = j->need_nl ? 1 : 0;
	buf[0] = '\n';
	memcpy(buf + off, line, len);
	buf[off + len] = '\n';
	int rc = write_all(j->fd, buf, off + len + 1);
	if (rc < 0) {
		co_error_set(err, "cannot write journal %s: %s", j->path, strerror(errno));
		j->size = -1;	/* unknown now: the next append re-reads the tail */
	} else if (fsync(j->fd) < 0) {
		/* After a failed fsync the kernel may have dropped the dirty
		 * pages: nothing written from here on could be trusted. */
		co_error_set(err, "cannot fsync journal %s: %s", j->path, strerror(errno));
		j->broken = true;
		rc = -1;
	} else {
		j->seq++;
		j->size += (off_t)(off + len + 1);
		j->need_nl = false;
		rc = jhash_hex(line, len, j->hash);
		if (rc < 0) {
			co_error_set(err, "journal %s: SHA-256 failed", j->path);
			j->broken = true;	/* the chain cannot continue without it */
		} else {
			rc = head_write(j, err);
		}
	}
	free(buf);
	free(line);
	return rc;
}

int journal_append(struct journal *j, const char *type, const char *plan,
		   const cJSON *payload, struct co_error *err)
{
	if (!type || !*type) {
		co_error_set(err, "journal record needs a type");
		return -1;
	}
	pthread_mutex_lock(&j->mu);
	int rc = -1;
	if (j->broken) {
		co_error_set(err, "journal %s is unusable after a failed fsync or hash: restart to re-read it", j->path);
	} else if (flock(j->fd, LOCK_EX) < 0) {
		/* Held only for this append, so other processes (each with their
		 * own journal_open) keep one chain rather than forking it. */
		co_error_set(err, "cannot lock journal %s: %s", j->path, strerror(errno));
	} else {
		rc = append_locked(j, type, plan, payload, err);
		flock(j->fd, LOCK_UN);
	}
	pthread_mutex_unlock(&j->mu);
	return rc;
}
