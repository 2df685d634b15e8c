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
	/* Settled: every intent in the file has its outcome, known without
	 * reading it, so recovery need not scan. True from a head that vouches
	 * for the very record the file ends with, or once recovery answered
	 * what it found; false for good once another process appends. mine
	 * holds the intents we wrote and have not yet answered. */
	bool settled;
	bool foreign;			/* another process appended since the open */
	bool lost;			/* memory ran out tracking mine: never settled */
	struct jintents mine;
};

/* Reads the whole file at fd into a NUL-terminated buffer of *len bytes. */
static char *read_all(int fd, const char *path, off_t size, size_t *len, struct co_error *err)
{
	char *buf = malloc((size_t)size + 1);
	size_t got = 0;

	if (!buf) {
		co_error_set(err, "%s: out of memory reading %lld bytes", path, (long long)size);
		return NULL;
	}
	while (got < (size_t)size) {
		ssize_t n = pread(fd, buf + got, (size_t)size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			co_error_set(err, "cannot read journal %s: %s", path, strerror(errno));
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;	/* cut short since the fstat: what is there is the file */
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Learns the last record and whether the end is torn: the last line that
 * parses as a record gives seq and hash, and the first line after it (if
 * any) is the torn line. Only lines from the end are parsed, back to the
 * last record, so opening a journal of 100,000 records costs one read and
 * a count of newlines, not a parse and a hash of each (a rollback opens
 * it before anything else). Line numbers still count from the top. */
static int journal_learn_tail(struct journal *j, long *torn_line, struct co_error *err)
{
	struct stat st;
	size_t len = 0;

	/* Size first: should another process append during the read, the
	 * size we keep is short of the file and the next append reads again. */
	if (fstat(j->fd, &st) < 0) {
		co_error_set(err, "%s: %s", j->path, strerror(errno));
		return -1;
	}
	int fd = open(j->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		co_error_set(err, "cannot open journal %s: %s", j->path, strerror(errno));
		return -1;
	}
	char *buf = read_all(fd, j->path, st.st_size, &len, err);
	close(fd);
	if (!buf)
		return -1;

	long lines = 0;
	for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf))); p++)
		lines++;
	bool last_nl = len > 0 && buf[len - 1] == '\n';
	if (len > 0 && !last_nl)
		lines++;	/* a last line without its newline */

	j->seq = 0;
	memcpy(j->hash, JOURNAL_ZERO_HASH, sizeof(j->hash));
	*torn_line = lines > 0 ? 1 : 0;
	size_t end = last_nl ? len - 1 : len;	/* the last line is buf[start, end) */
	int rc = 0;
	for (long lineno = lines; lineno >= 1; lineno--) {
		size_t start = end;
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		char keep = buf[end];
		buf[end] = '\0';
		struct jline ln = { .buf = buf + start, .len = end - start,
				    .has_nl = lineno < lines || last_nl, .lineno = lineno };
		struct jrec r;
		cJSON *rec = jrecord_parse(&ln, &r, NULL, 0);
		if (rec) {
			cJSON_Delete(rec);
			j->seq = r.seq;
			*torn_line = lineno < lines ? lineno + 1 : 0;
			if (jhash_hex(ln.buf, ln.len, j->hash) < 0) {
				co_error_set(err, "line %ld: SHA-256 failed", lineno);
				rc = -1;
			}
			break;
		}
		buf[end] = keep;
		if (start == 0)
			break;
		end = start - 1;	/* the newline before this line */
	}
	free(buf);
	j->need_nl = len > 0 && !last_nl;
	j->size = st.st_size;
	return rc;
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

static bool is_settled(const struct journal *j)
{
	return j->settled && !j->lost && j->mine.n_open == 0;
}

/* Whether the head file says settled for the exact record the file ends
 * with (same seq, same hash) and the end is whole. A head behind the file
 * (a crash between the write and the head update), a torn tail or an older
 * head without the mark all mean: recovery scans. */
static bool head_vouches(const struct journal *j)
{
	long long seq;
	char hash[JOURNAL_HASH_HEX + 1];
	bool settled = false;
	struct co_error ignored;
	if (j->seq == 0)
		return j->size == 0;	/* an empty journal has nothing open */
	return jhead_read(j->head_path, &seq, hash, &settled, &ignored) == 1 && settled &&
	       seq == j->seq && strcmp(hash, j->hash) == 0 && j->torn_line == 0;
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
	j->settled = head_vouches(j);
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
	jintents_clear(&j->mine);
	free(j->path);
	free(j->head_path);
	free(j->dir);
	free(j);
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

bool journal_settled(struct journal *j)
{
	pthread_mutex_lock(&j->mu);
	bool settled = is_settled(j);
	pthread_mutex_unlock(&j->mu);
	return settled;
}

void journal_mark_settled(struct journal *j)
{
	struct stat st;
	pthread_mutex_lock(&j->mu);
	/* Only if nothing but our own appends came since the open: what the
	 * scan read is then the whole file. */
	if (!j->broken && !j->foreign && fstat(j->fd, &st) == 0 && st.st_size == j->size)
		j->settled = true;
	pthread_mutex_unlock(&j->mu);
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

static int payload_check(const cJSON *payload, struct co_error *err)
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
	}
	return 0;
}

/* The chain fields every record of a batch shares, each printed (escaped)
 * by cJSON once per batch rather than once per record: a rollback's
 * thousands of records share one time, actor, type and plan. */
struct head_parts {
	char *time, *actor;	/* JSON strings, quotes included */
	char *type, *plan;	/* of the last entry; plan "null" when none */
	const char *type_src, *plan_src, *actor_src;
	char *scratch;		/* a payload's text, reused record to record */
	size_t scratch_cap;
};

static char *json_string(const char *s)
{
	cJSON *v = cJSON_CreateString(s);
	char *out = v ? cJSON_PrintUnformatted(v) : NULL;
	cJSON_Delete(v);
	return out;
}

static void head_parts_done(struct head_parts *h)
{
	free(h->time);
	free(h->actor);
	free(h->type);
	free(h->plan);
	free(h->scratch);
	memset(h, 0, sizeof(*h));
}

/* Brings the parts up to date for en; false when memory ran out. */
static bool head_parts_for(struct head_parts *h, const struct journal *j,
			   const struct journal_entry *en)
{
	if (!h->time) {
		char now[40];
		journal_time_iso(now, sizeof(now));
		h->time = json_string(now);
	}
	/* An engine acts for many people: an entry may name its own actor. */
	const char *actor = en->actor && *en->actor ? en->actor : j->actor;
	if (!h->actor || strcmp(h->actor_src, actor) != 0) {
		free(h->actor);
		h->actor = json_string(actor);
		h->actor_src = actor;
	}
	if (!h->type || strcmp(h->type_src, en->type) != 0) {
		free(h->type);
		h->type = json_string(en->type);
		h->type_src = en->type;
	}
	bool same_plan = h->plan && (en->plan ? h->plan_src && strcmp(h->plan_src, en->plan) == 0
					      : !h->plan_src);
	if (!same_plan) {
		free(h->plan);
		h->plan = en->plan ? json_string(en->plan) : strdup("null");
		h->plan_src = en->plan;
	}
	return h->time && h->actor && h->type && h->plan;
}

/* A growing byte buffer for the lines of one batch. */
struct lines {
	char *buf;
	size_t len, cap;
};

/* Room for n more bytes. */
static int lines_reserve(struct lines *b, size_t n)
{
	if (b->len + n <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	char *nb = realloc(b->buf, cap);
	if (!nb)
		return -1;
	b->buf = nb;
	b->cap = cap;
	return 0;
}

static int lines_add(struct lines *b, const char *p, size_t n)
{
	if (lines_reserve(b, n) < 0)
		return -1;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

/* Appends s, whose room was reserved. */
static void lines_put(struct lines *b, const char *s)
{
	size_t n = strlen(s);
	memcpy(b->buf + b->len, s, n);
	b->len += n;
}

/* Prints the payload into h->scratch, grown until cJSON fits it (cJSON
 * asks for 5 bytes to spare). Returns the text, or NULL out of memory. */
static const char *payload_text(struct head_parts *h, const cJSON *payload)
{
	for (;;) {
		if (h->scratch_cap &&
		    cJSON_PrintPreallocated((cJSON *)payload, h->scratch, (int)h->scratch_cap, false))
			return h->scratch;
		size_t cap = h->scratch_cap ? h->scratch_cap * 2 : 4096;
		char *nb = cap <= (size_t)1 << 30 ? realloc(h->scratch, cap) : NULL;
		if (!nb)
			return NULL;
		h->scratch = nb;
		h->scratch_cap = cap;
	}
}

/* Appends one record's line (no newline) to out: seq, time, actor, type,
 * plan, then the payload's members, then prev. The payload is printed by
 * cJSON into a scratch buffer and joined, not copied into a record object
 * and printed again: a rollback journals thousands of records at once, and
 * the copies and allocations were most of their cost. */
static int record_line(struct head_parts *h, const struct journal *j, long long seq,
		       const char *prev, const struct journal_entry *en, struct lines *out,
		       struct co_error *err)
{
	const char *ptext = NULL;
	if (payload_check(en->payload, err) < 0)
		return -1;
	if (!head_parts_for(h, j, en) || (en->payload && !(ptext = payload_text(h, en->payload))))
		goto oom;
	/* "{...}": the payload loses both braces. */
	size_t plen = ptext ? strlen(ptext) - 2 : 0;
	char seqtext[32];
	snprintf(seqtext, sizeof(seqtext), "%lld", seq);
	if (lines_reserve(out, 64 + strlen(seqtext) + strlen(h->time) + strlen(h->actor) +
				       strlen(h->type) + strlen(h->plan) + plen + strlen(prev)) < 0)
		goto oom;
	const char *const parts[] = {
		"{\"seq\":", seqtext, ",\"time\":", h->time, ",\"actor\":", h->actor,
		",\"type\":", h->type, ",\"plan\":", h->plan,
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		lines_put(out, parts[i]);
	if (plen > 0) {
		out->buf[out->len++] = ',';
		memcpy(out->buf + out->len, ptext + 1, plen);
		out->len += plen;
	}
	lines_put(out, ",\"prev\":\"");
	lines_put(out, prev);
	lines_put(out, "\"}");
	return 0;
oom:
	co_error_set(err, "journal record: out of memory");
	return -1;
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
	bool settled = is_settled(j);
	int len = snprintf(text, sizeof(text), "{\"seq\":%lld,\"hash\":\"%s\"%s}\n", j->seq,
			   j->hash, settled ? ",\"settled\":true" : "");
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


/* Builds the n records' lines, each chained onto the one before, into out
 * (with the separating newline a torn tail needs first). On success seq
 * and hash are those of the last line. */
static int batch_lines(const struct journal *j, const struct journal_entry *v, size_t n,
		       struct lines *out, long long *seq, char *hash, struct co_error *err)
{
	struct head_parts parts = { 0 };
	int rc = 0;
	*seq = j->seq;
	memcpy(hash, j->hash, JOURNAL_HASH_HEX + 1);
	if (j->need_nl && lines_add(out, "\n", 1) < 0)
		goto oom;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!v[i].type || !*v[i].type) {
			co_error_set(err, "journal record %zu of %zu needs a type", i + 1, n);
			rc = -1;
			break;
		}
		size_t start = out->len;
		if (record_line(&parts, j, *seq + 1, hash, &v[i], out, err) < 0) {
			rc = -1;
			break;
		}
		if (jhash_hex(out->buf + start, out->len - start, hash) < 0) {
			co_error_set(err, "journal %s: SHA-256 failed", j->path);
			rc = -1;
		}
		if (lines_add(out, "\n", 1) < 0)
			goto oom;
		(*seq)++;
	}
	head_parts_done(&parts);
	return rc;
oom:
	head_parts_done(&parts);
	co_error_set(err, "journal record: out of memory");
	return -1;
}

/* Notes the intents and outcomes of an append that is on disk. */
static void track_intents(struct journal *j, const struct journal_entry *v, size_t n)
{
	for (size_t i = 0; i < n && !j->lost; i++) {
		const cJSON *svc = cJSON_GetObjectItemCaseSensitive(v[i].payload, "service");
		const char *plan = v[i].plan ? v[i].plan : "";
		const char *service = cJSON_IsString(svc) ? svc->valuestring : "";
		if (strcmp(v[i].type, "intent") == 0 &&
		    jintents_add(&j->mine, plan, service, NULL, 0) < 0)
			j->lost = true;	/* the next start scans */
		else if (strcmp(v[i].type, "outcome") == 0)
			jintents_answer(&j->mine, plan, service);
	}
	if (j->mine.n_open == 0 && j->mine.n > 0)
		jintents_clear(&j->mine);
}

/* The part of an append done under both locks. */
static int append_locked(struct journal *j, const struct journal_entry *v, size_t n,
			 struct co_error *err)
{
	struct stat st;

	/* Another process appended since our last write (a second cutover on
	 * the same release without the operator lock): chain onto its end. */
	if (fstat(j->fd, &st) < 0) {
		co_error_set(err, "%s: %s", j->path, strerror(errno));
		return -1;
	}
	long torn;	/* the other process's to report, not ours */
	if (st.st_size != j->size) {
		j->settled = false;	/* its intents are not in mine */
		j->foreign = true;
		if (journal_learn_tail(j, &torn, err) < 0)
			return -1;
	}

	struct lines b = { 0 };
	long long seq;
	char hash[JOURNAL_HASH_HEX + 1];
	if (batch_lines(j, v, n, &b, &seq, hash, err) < 0) {
		free(b.buf);
		return -1;
	}
	/* One write() for the separating newline (after a torn tail) and every
	 * record with its newline: O_APPEND then places them whole at the end. */
	int rc = write_all(j->fd, b.buf, b.len);
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
		j->seq = seq;
		memcpy(j->hash, hash, sizeof(j->hash));
		j->size += (off_t)b.len;
		j->need_nl = false;
		track_intents(j, v, n);
		rc = head_write(j, err);
	}
	free(b.buf);
	return rc;
}

int journal_append_many(struct journal *j, const struct journal_entry *v, size_t n,
			struct co_error *err)
{
	if (n == 0)
		return 0;
	pthread_mutex_lock(&j->mu);
	int rc = -1;
	if (j->broken) {
		co_error_set(err, "journal %s is unusable after a failed fsync or hash: restart to re-read it", j->path);
	} else if (flock(j->fd, LOCK_EX) < 0) {
		/* Held only for this append, so other processes (each with their
		 * own journal_open) keep one chain rather than forking it. */
		co_error_set(err, "cannot lock journal %s: %s", j->path, strerror(errno));
	} else {
		rc = append_locked(j, v, n, err);
		flock(j->fd, LOCK_UN);
	}
	pthread_mutex_unlock(&j->mu);
	return rc;
}

int journal_append(struct journal *j, const char *type, const char *plan,
		   const cJSON *payload, struct co_error *err)
{
	if (!type || !*type) {
		co_error_set(err, "journal record needs a type");
		return -1;
	}
	struct journal_entry en = { type, plan, payload, NULL };
	return journal_append_many(j, &en, 1, err);
}

int journal_append_as(struct journal *j, const char *actor, const char *type, const char *plan,
		      const cJSON *payload, struct co_error *err)
{
	if (!type || !*type) {
		co_error_set(err, "journal record needs a type");
		return -1;
	}
	struct journal_entry en = { type, plan, payload, actor };
	return journal_append_many(j, &en, 1, err);
}
