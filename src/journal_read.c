/* journal_read: scanning, parsing and verifying journal files. */
#include "cutover/journal.h"
#include "journal_private.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <openssl/evp.h>

int jscan_path(const char *path, jline_fn fn, void *ctx, struct co_error *err)
{
	FILE *f = fopen(path, "re");

	if (!f) {
		if (errno == ENOENT)
			return 0;	/* a journal not yet written has no lines */
		co_error_set(err, "cannot open journal %s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int rc = 0;

	while (rc == 0 && (n = getline(&buf, &cap, f)) >= 0) {
		struct jline ln = { .buf = buf, .len = (size_t)n, .lineno = ++lineno };
		if (n > 0 && buf[n - 1] == '\n') {
			ln.has_nl = true;
			buf[--ln.len] = '\0';
		}
		rc = fn(&ln, ctx);
	}
	if (rc == 0 && ferror(f)) {
		co_error_set(err, "cannot read journal %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(buf);
	fclose(f);
	return rc;
}

static bool is_hash_hex(const char *s)
{
	size_t i = 0;

	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == JOURNAL_HASH_HEX;
}

static cJSON *bad_record(cJSON *rec, struct jrec *r, char *why, size_t cap, const char *what)
{
	cJSON_Delete(rec);
	r->fault = JOURNAL_BAD_RECORD;
	if (why)
		snprintf(why, cap, "%s", what);
	return NULL;
}

cJSON *jrecord_parse(const struct jline *ln, struct jrec *r, char *why, size_t cap)
{
	const char *end = NULL;
	cJSON *rec = ln->len ? cJSON_ParseWithLengthOpts(ln->buf, ln->len, &end, 0) : NULL;

	memset(r, 0, sizeof(*r));
	/* Bytes after a complete value (a NUL, say) are not a record either. */
	if (!rec || end != ln->buf + ln->len) {
		cJSON_Delete(rec);
		r->fault = JOURNAL_NOT_JSON;
		if (why)
			snprintf(why, cap, "not JSON");
		return NULL;
	}
	if (!cJSON_IsObject(rec))
		return bad_record(rec, r, why, cap, "not a JSON object");
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(rec, "prev");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
	/* 2^53: beyond it a double no longer holds every integer. */
	if (!cJSON_IsNumber(seq) || seq->valuedouble < 1 || seq->valuedouble > 9007199254740992.0 ||
	    floor(seq->valuedouble) != seq->valuedouble)
		return bad_record(rec, r, why, cap, "no integral \"seq\" >= 1");
	if (!cJSON_IsString(prev) || !is_hash_hex(prev->valuestring))
		return bad_record(rec, r, why, cap, "no 64-hex-digit \"prev\"");
	if (!cJSON_IsString(type))
		return bad_record(rec, r, why, cap, "no \"type\" string");
	r->seq = (long long)seq->valuedouble;
	r->prev = prev->valuestring;
	r->type = type->valuestring;
	return rec;
}

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* Fetched once: EVP_sha256() as EVP_Digest's argument makes OpenSSL 3
 * look the algorithm up again on every call, under a lock, which was half
 * the cost of hashing a short journal line. */
static void sha256_fetch(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int jhash_hex(const void *data, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	static const char digits[] = "0123456789abcdef";

	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256 || !EVP_Digest(data, len, md, &n, sha256, NULL) || n * 2 != JOURNAL_HASH_HEX)
		return -1;
	/* By hand, not snprintf: opening a journal hashes every line, and
	 * 32 snprintf calls per line were a tenth of a rollback's time. */
	for (unsigned int i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * n] = '\0';
	return 0;
}

char *jhead_path(const char *journal_path)
{
	size_t n = strlen(journal_path);
	const char *ext = ".jsonl";
	size_t keep = n;
	char *out;

	if (n > strlen(ext) && strcmp(journal_path + n - strlen(ext), ext) == 0)
		keep = n - strlen(ext);
	out = malloc(keep + sizeof(".head"));
	if (out) {
		memcpy(out, journal_path, keep);
		memcpy(out + keep, ".head", sizeof(".head"));
	}
	return out;
}

int jhead_read(const char *head_path, long long *seq, char *hash, bool *settled,
	       struct co_error *err)
{
	char text[512];
	FILE *f = fopen(head_path, "re");

	if (!f) {
		if (errno == ENOENT)
			return 0;
		co_error_set(err, "cannot open %s: %s", head_path, strerror(errno));
		return -1;
	}
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	cJSON *head = cJSON_Parse(text);
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(head, "seq");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(head, "hash");
	int rc = -2;
	if (cJSON_IsNumber(s) && s->valuedouble >= 0 && cJSON_IsString(h) && is_hash_hex(h->valuestring)) {
		*seq = (long long)s->valuedouble;
		memcpy(hash, h->valuestring, JOURNAL_HASH_HEX + 1);
		if (settled)
			*settled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(head, "settled"));
		rc = 1;
	} else {
		co_error_set(err, "%s: not a journal head ({\"seq\":N,\"hash\":\"...\"})", head_path);
	}
	cJSON_Delete(head);
	return rc;
}

struct read_ctx {
	journal_record_cb cb;
	void *ctx;
};

static int read_line(const struct jline *ln, void *ctx)
{
	struct read_ctx *rc = ctx;
	struct jrec r;
	cJSON *rec = jrecord_parse(ln, &r, NULL, 0);

	if (!rec)
		return 0;
	int stop = rc->cb(rec, ln->lineno, rc->ctx);
	cJSON_Delete(rec);
	return stop;
}

int journal_read(const char *path, journal_record_cb cb, void *ctx, struct co_error *err)
{
	struct read_ctx rc = { cb, ctx };

	return jscan_path(path, read_line, &rc, err);
}

/* --- verify ------------------------------------------------------------
 * The chain proves order and content: each record's prev is the hash of the
 * line before it, so an edit, a deletion or a swap breaks the link at the
 * next record. What it cannot show is whole records cut off the end (the
 * shorter file is a valid chain), nor an edit of the very last record
 * (nothing after it vouches for it): for those the head file holds the last
 * seq and hash. After a crash between a flush and the head's update, the
 * records past the head (one batch at most) have only the chain to vouch
 * for them. Someone who rewrites file and head together defeats both;
 * the journal guards against accidents and casual edits, not a forger. */

struct verify {
	struct journal_verify_result *out;
	char hash[JOURNAL_HASH_HEX + 1];	/* of the last good record */
	long good_line;
	long pend_line;				/* first unparseable line since it */
	long pend_count;
	enum journal_fault pend_fault;
	char pend_why[64];
	long lines;
	long long head_seq;			/* -1: no usable head file */
	char head_hash[JOURNAL_HASH_HEX + 1];
	struct co_error head_err;		/* why the head file is unusable */
	struct co_error *err;
};

static int fault(struct verify *v, enum journal_fault f, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fault(struct verify *v, enum journal_fault f, long line, const char *fmt, ...)
{
	va_list ap;

	v->out->fault = f;
	v->out->bad_line = line;
	va_start(ap, fmt);
	vsnprintf(v->out->why, sizeof(v->out->why), fmt, ap);
	va_end(ap);
	return 1;	/* stops the scan: the first fault is the one reported */
}

/* A record that does not follow the last good one. If unparseable lines lie
 * between, they are what broke the chain, so they are named. */
static int chain_break(struct verify *v, const struct jline *ln, const struct jrec *r)
{
	long long want = v->out->last_seq + 1;

	if (v->pend_line)
		return fault(v, v->pend_fault, v->pend_line,
			     "line %ld: %s, and line %ld does not continue the chain from line %ld",
			     v->pend_line, v->pend_why, ln->lineno, v->good_line);
	if (r->seq != want)
		return fault(v, JOURNAL_SEQ, ln->lineno, "line %ld: seq %lld where %lld was expected (%s)",
			     ln->lineno, r->seq, want, r->seq < want ? "a repeat or reorder" : "a gap");
	return fault(v, JOURNAL_PREV, ln->lineno,
		     "line %ld: prev does not match line %ld: a record was edited, removed or moved",
		     ln->lineno, v->good_line);
}

static int verify_line(const struct jline *ln, void *ctx)
{
	struct verify *v = ctx;
	struct jrec r;
	char why[64];
	cJSON *rec = jrecord_parse(ln, &r, why, sizeof(why));

	v->lines = ln->lineno;
	/* A torn write leaves a prefix of a record, never a whole JSON value:
	 * a complete object without the chain fields was put there by hand. */
	if (!rec && r.fault == JOURNAL_BAD_RECORD)
		return fault(v, JOURNAL_BAD_RECORD, ln->lineno, "line %ld: %s", ln->lineno, why);
	if (!rec) {
		if (!v->pend_line) {
			v->pend_line = ln->lineno;
			v->pend_fault = r.fault;
			snprintf(v->pend_why, sizeof(v->pend_why), "%s", why);
		}
		v->pend_count++;
		return 0;
	}
	/* r.prev points into rec, so the link is judged before rec goes. */
	bool linked = r.seq == v->out->last_seq + 1 && strcmp(r.prev, v->hash) == 0;
	cJSON_Delete(rec);
	if (!linked)
		return chain_break(v, ln, &r);
	if (v->pend_line) {	/* stepped over cleanly: a crash's leftovers */
		if (!v->out->first_torn_line)
			v->out->first_torn_line = v->pend_line;
		v->out->torn_lines += v->pend_count;
		v->pend_line = 0;
		v->pend_count = 0;
	}
	if (jhash_hex(ln->buf, ln->len, v->hash) < 0) {
		co_error_set(v->err, "line %ld: SHA-256 failed", ln->lineno);
		return -1;
	}
	v->out->records++;
	v->out->last_seq = r.seq;
	v->good_line = ln->lineno;
	if (r.seq == v->head_seq && strcmp(v->hash, v->head_hash) != 0)
		return fault(v, JOURNAL_HEAD, ln->lineno,
			     "line %ld: seq %lld differs from the head file's hash: the record was changed",
			     ln->lineno, r.seq);
	return 0;
}

/* What the end of the file and the head file say, once every line passed. */
static void verify_end(struct verify *v)
{
	struct journal_verify_result *o = v->out;

	if (v->head_seq < 0 && !v->pend_line) {
		fault(v, JOURNAL_HEAD, 0, "%s", v->head_err.msg);
	} else if (v->pend_line) {
		fault(v, JOURNAL_TORN_TAIL, v->pend_line,
		      "line %ld: last line is cut short (%s): a write was interrupted or the file truncated",
		      v->pend_line, v->pend_why);
	} else if (v->head_seq > o->last_seq) {
		fault(v, JOURNAL_TRUNCATED, v->lines + 1, "journal ends at seq %lld but head says %lld",
		      o->last_seq, v->head_seq);
	} else if (!o->head_found && o->last_seq > 1) {
		/* A first record without its head is a crash before the first
		 * head was written; a longer journal without one lost it. (A crash
		 * inside a release's very first batch looks the same: rare, and
		 * on the safe side.) */
		fault(v, JOURNAL_HEAD, 0, "no head file, yet the journal goes on to seq %lld",
		      o->last_seq);
	}
	/* A head behind the last record is a crash between a flush and the
	 * head's rename. One flush may carry a whole batch of records
	 * (journal_append_many), so it may be any number behind; verify_line
	 * has checked that the record it names carries its hash. */
}

int journal_verify(const char *path, struct journal_verify_result *out, struct co_error *err)
{
	struct verify v = { .out = out, .hash = JOURNAL_ZERO_HASH, .err = err };
	char *head = jhead_path(path);

	memset(out, 0, sizeof(*out));
	if (!head) {
		co_error_set(err, "%s: out of memory", path);
		return -1;
	}
	int found = jhead_read(head, &v.head_seq, v.head_hash, NULL, &v.head_err);
	free(head);
	if (found == -1) {
		if (err)
			*err = v.head_err;
		return -1;
	}
	if (found == -2)	/* malformed: a fault of the journal, not of reading it */
		v.head_seq = -1;
	out->head_found = found != 0;
	out->head_seq = v.head_seq;
	int rc = jscan_path(path, verify_line, &v, err);
	if (rc < 0)
		return -1;
	if (out->fault == JOURNAL_OK)
		verify_end(&v);
	memcpy(out->last_hash, v.hash, sizeof(out->last_hash));
	out->ok = out->fault == JOURNAL_OK && out->torn_lines == 0;
	return 0;
}
