/* haproxy_text: the line and field handling both runtime API tables need —
 * lines with or without CR, space- and comma-separated fields, numbers that
 * may be empty, and the refusal of bytes no HAProxy answer holds. */
#include "haproxy_text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy_conn.h"

static int fields_grow(struct haproxy_fields *f)
{
	size_t cap = f->cap ? f->cap * 2 : 64;
	char **v = realloc(f->v, cap * sizeof(*v));
	if (!v)
		return -1;
	f->v = v;
	f->cap = cap;
	return 0;
}

/* Called for every field of every row: the rare growth is kept out of it. */
static inline int fields_push(struct haproxy_fields *f, char *s)
{
	if (f->n == f->cap && fields_grow(f) < 0)
		return -1;
	f->v[f->n++] = s;
	return 0;
}

/* `show servers state` separates fields by single spaces; runs of blanks
 * are tolerated. Fields after the first max are left uncut: a parser needs
 * a third of the 25 columns, and cutting the rest was most of its work. */
int haproxy_split_spaces(char *line, struct haproxy_fields *f, size_t max)
{
	char *p = line;
	f->n = 0;
	while (f->n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (fields_push(f, p) < 0)
			return -1;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return 0;
}

/* `show stat` is CSV; descriptions such as check_desc may be quoted, with
 * "" standing for a quote. Unquoted in place. */
int haproxy_split_csv(char *line, struct haproxy_fields *f, size_t max)
{
	char *p = line;
	f->n = 0;
	while (f->n < max) {
		char *w = p, *start = p;
		if (*p == '"') {
			for (p++; *p && !(p[0] == '"' && p[1] != '"'); p++) {
				if (p[0] == '"')
					p++;
				*w++ = *p;
			}
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ',')
				*w++ = *p++;
		}
		bool more = *p == ',';
		if (*p)
			p++;
		*w = '\0';
		if (fields_push(f, start) < 0)
			return -1;
		if (!more)
			return 0;
	}
	return 0;
}

char *haproxy_next_line(char **cursor, int *lineno)
{
	char *p = *cursor;
	if (!p || !*p)
		return NULL;
	char *eol = strchr(p, '\n');
	if (eol) {
		*cursor = eol + 1;
		*eol = '\0';
	} else {
		eol = *cursor = p + strlen(p);
	}
	if (eol > p && eol[-1] == '\r')
		eol[-1] = '\0';
	(*lineno)++;
	return p;
}

/* Whether any of the 8 bytes in w is below 0x20 or is 0x7f (the bit
 * tricks of "Bit Twiddling Hacks", exact for a yes/no answer). */
static bool word_has_control(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t below_space = (w - ones * 0x20) & ~w & highs;
	uint64_t del = w ^ (ones * 0x7f);
	return below_space || ((del - ones) & ~del & highs);
}

static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f;
}

/* Eight bytes are checked at a time: an answer of 2,000 servers is 150 KB
 * and checking it a byte at a time cost as much as parsing it. */
size_t haproxy_find_control(const char *text, size_t len)
{
	size_t i = 0;
	for (uint64_t w; i + 8 <= len; i += 8) {
		memcpy(&w, text + i, sizeof(w));
		if (!word_has_control(w))
			continue;
		for (size_t k = i; k < i + 8; k++)
			if (is_control((unsigned char)text[k]))
				return k;
	}
	for (; i < len; i++)
		if (is_control((unsigned char)text[i]))
			return i;
	return len;
}

/* HAProxy answers in ASCII; a control byte means this is not its answer. */
char *haproxy_copy_text(const char *text, const char *what, struct co_error *err)
{
	size_t len = strlen(text), bad = haproxy_find_control(text, len);
	if (bad < len) {
		co_error_set(err, "%s: not text (byte 0x%02x at offset %zu)", what,
			     (unsigned char)text[bad], bad);
		return NULL;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		co_error_set(err, "%s: out of memory", what);
	else
		memcpy(copy, text, len + 1);
	return copy;
}

long haproxy_col_index(const struct haproxy_fields *hdr, const char *name)
{
	for (size_t i = 0; i < hdr->n; i++)
		if (strcmp(hdr->v[i], name) == 0)
			return (long)i;
	return -1;
}

const char *haproxy_field(const struct haproxy_fields *row, long col)
{
	return col >= 0 && (size_t)col < row->n ? row->v[col] : NULL;
}

/* HAProxy prints no negative counter; a '-' is something else. Plain
 * digits, what HAProxy prints, are read here; anything else (a sign, too
 * many digits, a word) goes to strtoll, which says what it is. */
int haproxy_parse_ll(const char *s, long long *out)
{
	*out = -1;
	if (!s || !*s)
		return 1;
	long long v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9' && p - s < 18; p++)
		v = v * 10 + (*p - '0');
	if (!*p) {
		*out = v;
		return 0;
	}
	char *end;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

void *haproxy_grow_items(void *items, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return items;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *grown = realloc(items, ncap * size);
	if (grown)
		*cap = ncap;
	return grown;
}

void haproxy_not_a_table(struct co_error *err, const char *what, const char *text, int lineno,
			 const char *expected)
{
	char quoted[96];
	haproxy_answer_line(text, quoted, sizeof(quoted));
	co_error_set(err, "%s line %d: expected %s, got '%s'", what, lineno, expected, quoted);
}

