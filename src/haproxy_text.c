/* haproxy_text: the line and field handling both runtime API tables need —
 * lines with or without CR, space- and comma-separated fields, numbers that
 * may be empty, and the refusal of bytes no HAProxy answer holds. */
#include "haproxy_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy_conn.h"

static int fields_push(struct haproxy_fields *f, char *s)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		char **v = realloc(f->v, cap * sizeof(*v));
		if (!v)
			return -1;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = s;
	return 0;
}

/* `show servers state` separates fields by single spaces; runs of blanks
 * are tolerated. */
int haproxy_split_spaces(char *line, struct haproxy_fields *f)
{
	char *save = NULL;
	f->n = 0;
	/* strtok_r: observe and apply run on different threads. */
	for (char *p = strtok_r(line, " \t", &save); p; p = strtok_r(NULL, " \t", &save))
		if (fields_push(f, p) < 0)
			return -1;
	return 0;
}

/* `show stat` is CSV; descriptions such as check_desc may be quoted, with
 * "" standing for a quote. Unquoted in place. */
int haproxy_split_csv(char *line, struct haproxy_fields *f)
{
	char *p = line;
	f->n = 0;
	for (;;) {
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
}

char *haproxy_next_line(char **cursor, int *lineno)
{
	char *p = *cursor;
	if (!p || !*p)
		return NULL;
	char *eol = strchr(p, '\n');
	*cursor = eol ? eol + 1 : p + strlen(p);
	if (eol)
		*eol = '\0';
	size_t len = strlen(p);
	if (len && p[len - 1] == '\r')
		p[len - 1] = '\0';
	(*lineno)++;
	return p;
}

/* HAProxy answers in ASCII; a control byte means this is not its answer. */
char *haproxy_copy_text(const char *text, const char *what, struct co_error *err)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f) {
			co_error_set(err, "%s: not text (byte 0x%02x at offset %zu)", what, *p,
				     (size_t)(p - (const unsigned char *)text));
			return NULL;
		}
	}
	char *copy = strdup(text);
	if (!copy)
		co_error_set(err, "%s: out of memory", what);
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

/* HAProxy prints no negative counter; a '-' is something else. */
int haproxy_parse_ll(const char *s, long long *out)
{
	*out = -1;
	if (!s || !*s)
		return 1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
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

