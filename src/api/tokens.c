/* tokens: the API's bearer tokens, kept only as SHA-256 hashes. */
#include "cutover/tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define TOKEN_MIN 16		/* bytes; below this a token is guessable */
#define HASH_LEN 32		/* SHA-256 */

struct token_entry {
	enum token_role role;
	char *name;
	unsigned char hash[HASH_LEN];	/* the token itself is not kept */
	int line;
};

struct tokens {
	struct token_entry *v;
	size_t n, cap;
};

/* Comparing hashes rather than the tokens gives every comparison the same
 * length, so CRYPTO_memcmp's time depends on neither the presented
 * token's length nor on how much of it matched. */
static int token_hash(const char *s, size_t len, unsigned char out[HASH_LEN])
{
	unsigned int n = 0;
	return EVP_Digest(s, len, out, &n, EVP_sha256(), NULL) == 1 && n == HASH_LEN ? 0 : -1;
}

/* A secret file must not be readable or writable by anyone but its owner.
 * fstat on the opened descriptor, so the file checked is the file read. */
static FILE *open_private(const char *path, struct co_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		co_error_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		co_error_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		co_error_set(err, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		co_error_set(err, "%s: readable or writable by group or others (mode %04o; chmod 600 it)",
			     path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		co_error_set(err, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

static void free_line(char *line, size_t cap)
{
	if (line)
		OPENSSL_cleanse(line, cap);
	free(line);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A field of a tokens line: where it starts (for line:col) and how long. */
struct field {
	const char *s;
	size_t len;
	int col;
};

/* Splits a line into up to four fields (a fourth means too many). '#'
 * starts a comment only where a field would start: inside a token it is
 * part of the token, so a token holding '#' is not silently shortened. */
static int split(const char *line, struct field f[4])
{
	int n = 0;
	const char *p = line;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p || *p == '#' || n == 4)
			return n;
		f[n].s = p;
		f[n].col = (int)(p - line) + 1;
		while (*p && !is_blank(*p))
			p++;
		f[n].len = (size_t)(p - f[n].s);
		n++;
	}
}

static bool has_control(const struct field *f)
{
	for (size_t i = 0; i < f->len; i++)
		if ((unsigned char)f->s[i] < 0x20 || f->s[i] == 0x7f)
			return true;
	return false;
}

/* A field is quoted back in a message only when it is too short to be a
 * token: a line written in the wrong order (TOKEN NAME ROLE) would
 * otherwise put the secret in the error. */
static bool showable(const struct field *f)
{
	return f->len < TOKEN_MIN && !has_control(f);
}

static int parse_role(const struct field *f, enum token_role *role)
{
	if (f->len == 5 && !memcmp(f->s, "watch", 5))
		*role = ROLE_WATCH;
	else if (f->len == 7 && !memcmp(f->s, "operate", 7))
		*role = ROLE_OPERATE;
	else
		return -1;
	return 0;
}

static int add_entry(struct tokens *t, const char *path, int lineno,
		     const struct field f[3], struct co_error *err)
{
	struct token_entry e = { .line = lineno };

	if (parse_role(&f[0], &e.role) < 0) {
		if (showable(&f[0]))
			co_error_set(err, "%s:%d:%d: unknown role '%.*s' (watch or operate)",
				     path, lineno, f[0].col, (int)f[0].len, f[0].s);
		else
			co_error_set(err, "%s:%d:%d: unknown role (watch or operate)",
				     path, lineno, f[0].col);
		return -1;
	}
	if (has_control(&f[1])) {
		co_error_set(err, "%s:%d:%d: the name holds a control character",
			     path, lineno, f[1].col);
		return -1;
	}
	if (f[2].len < TOKEN_MIN) {
		co_error_set(err, "%s:%d:%d: token shorter than %d bytes",
			     path, lineno, f[2].col, TOKEN_MIN);
		return -1;
	}
	/* A client sends the token in an HTTP header, which cannot carry one. */
	if (has_control(&f[2])) {
		co_error_set(err, "%s:%d:%d: the token holds a control character",
			     path, lineno, f[2].col);
		return -1;
	}
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->v[i].name) == f[1].len && !memcmp(t->v[i].name, f[1].s, f[1].len)) {
			if (showable(&f[1]))
				co_error_set(err, "%s:%d:%d: name '%.*s' already used on line %d",
					     path, lineno, f[1].col, (int)f[1].len, f[1].s,
					     t->v[i].line);
			else
				co_error_set(err, "%s:%d:%d: name already used on line %d",
					     path, lineno, f[1].col, t->v[i].line);
			return -1;
		}
	if (token_hash(f[2].s, f[2].len, e.hash) < 0) {
		co_error_set(err, "%s:%d: SHA-256 unavailable", path, lineno);
		return -1;
	}
	for (size_t i = 0; i < t->n; i++)
		if (!CRYPTO_memcmp(t->v[i].hash, e.hash, HASH_LEN)) {
			co_error_set(err, "%s:%d:%d: token already used on line %d",
				     path, lineno, f[2].col, t->v[i].line);
			OPENSSL_cleanse(e.hash, sizeof(e.hash));
			return -1;
		}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct token_entry *v = realloc(t->v, cap * sizeof(*v));
		if (!v) {
			co_error_set(err, "%s: out of memory", path);
			return -1;
		}
		t->v = v;
		t->cap = cap;
	}
	e.name = strndup(f[1].s, f[1].len);
	if (!e.name) {
		co_error_set(err, "%s: out of memory", path);
		return -1;
	}
	t->v[t->n++] = e;
	return 0;
}

static int parse_line(struct tokens *t, const char *path, int lineno,
		      const char *line, struct co_error *err)
{
	struct field f[4];
	int n = split(line, f);
	if (n == 0)
		return 0;	/* blank or comment */
	if (n != 3) {
		int col = n == 4 ? f[3].col : (int)strcspn(line, "#\r\n") + 1;
		co_error_set(err, "%s:%d:%d: expected \"ROLE NAME TOKEN\", found %s",
			     path, lineno, col, n < 3 ? "fewer fields" : "more than three fields");
		return -1;
	}
	return add_entry(t, path, lineno, f, err);
}

int tokens_load(const char *path, struct tokens **out, struct co_error *err)
{
	*out = NULL;
	FILE *f = open_private(path, err);
	if (!f)
		return -1;
	struct tokens *t = calloc(1, sizeof(*t));
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;
	if (!t) {
		co_error_set(err, "%s: out of memory", path);
		fclose(f);
		return -1;
	}
	errno = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		/* A NUL would end the line early for every string function. */
		if (memchr(line, '\0', (size_t)got)) {
			co_error_set(err, "%s:%d:%d: NUL byte in the line", path, lineno,
				     (int)strlen(line) + 1);
			rc = -1;
			break;
		}
		if (parse_line(t, path, lineno, line, err) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		co_error_set(err, "%s: %s", path, strerror(errno ? errno : EIO));
		rc = -1;
	}
	free_line(line, cap);
	fclose(f);
	if (rc == 0 && t->n == 0) {
		co_error_set(err, "%s: no token (lines are \"ROLE NAME TOKEN\")", path);
		rc = -1;
	}
	if (rc < 0) {
		tokens_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

void tokens_free(struct tokens *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	if (t->v)
		OPENSSL_cleanse(t->v, t->cap * sizeof(*t->v));
	free(t->v);
	free(t);
}

/* No early exit: every entry is compared, whether or not one matched. */
enum token_role tokens_check(const struct tokens *t, const char *presented,
			     const char **name)
{
	unsigned char h[HASH_LEN];
	const struct token_entry *hit = NULL;

	if (name)
		*name = NULL;
	if (!t || !presented || token_hash(presented, strlen(presented), h) < 0)
		return ROLE_NONE;
	for (size_t i = 0; i < t->n; i++) {
		int diff = CRYPTO_memcmp(h, t->v[i].hash, HASH_LEN);
		if (!diff && !hit)
			hit = &t->v[i];
	}
	OPENSSL_cleanse(h, sizeof(h));
	if (!hit)
		return ROLE_NONE;
	if (name)
		*name = hit->name;
	return hit->role;
}

const char *token_role_name(enum token_role r)
{
	switch (r) {
	case ROLE_WATCH: return "watch";
	case ROLE_OPERATE: return "operate";
	case ROLE_NONE: break;
	}
	return "none";
}

int token_file_read(const char *path, char **out, struct co_error *err)
{
	*out = NULL;
	FILE *f = open_private(path, err);
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	const char *why = "no token in the file";
	errno = 0;
	while ((got = getline(&line, &cap, f)) >= 0) {
		if (memchr(line, '\0', (size_t)got)) {
			why = "NUL byte in the file";
			break;
		}
		char *s = line;
		while (is_blank(*s))
			s++;
		if (!*s || *s == '#')
			continue;
		size_t len = strlen(s);
		while (len && is_blank(s[len - 1]))
			len--;
		*out = strndup(s, len);
		why = *out ? NULL : "out of memory";
		break;
	}
	if (why && ferror(f))
		why = strerror(errno ? errno : EIO);
	if (why)
		co_error_set(err, "%s: %s", path, why);
	free_line(line, cap);
	fclose(f);
	return why ? -1 : 0;
}
