/* haproxy_text: line and field handling shared by the runtime API table
 * parsers (haproxy_parse). Every function works in place on a private copy. */
#ifndef CUTOVER_HAPROXY_TEXT_H
#define CUTOVER_HAPROXY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "cutover/error.h"

/* The fields of one line: pointers into the line, which is cut in place. */
struct haproxy_fields {
	char **v;
	size_t n, cap;
};

/* Splits on runs of blanks (`show servers state`), the first max fields
 * only (SIZE_MAX: all). -1 when out of memory. */
int haproxy_split_spaces(char *line, struct haproxy_fields *f, size_t max);
/* Splits CSV (`show stat`): "quoted, fields" with "" for a quote; the
 * first max fields only (SIZE_MAX: all). */
int haproxy_split_csv(char *line, struct haproxy_fields *f, size_t max);

/* Next line of *cursor, NUL-terminated and without its CR; NULL at the end.
 * Counts lines in *lineno for messages. */
char *haproxy_next_line(char **cursor, int *lineno);

/* The offset of the first control byte (other than tab, CR, LF) of
 * text[0..len), or len: no HAProxy answer holds one; bytes >= 0x80 may be
 * in names. */
size_t haproxy_find_control(const char *text, size_t len);

/* A copy of text to cut up, or NULL with err (what: the command) if text
 * holds a control byte other than tab, CR and LF. */
char *haproxy_copy_text(const char *text, const char *what, struct co_error *err);

/* Column of a header name, or -1; the field at a column, or NULL. */
long haproxy_col_index(const struct haproxy_fields *hdr, const char *name);
const char *haproxy_field(const struct haproxy_fields *row, long col);

/* A non-negative decimal. 0: parsed, 1: absent or empty (*out = -1),
 * -1: not a number. */
int haproxy_parse_ll(const char *s, long long *out);

/* Room for item n: items itself, or a larger copy; NULL when out of memory
 * (items is then still valid and still the caller's). */
void *haproxy_grow_items(void *items, size_t *cap, size_t n, size_t size);

/* err = "WHAT line N: expected EXPECTED, got 'TEXT'": what came back
 * instead of a table (often HAProxy's own error), quoted for the operator. */
void haproxy_not_a_table(struct co_error *err, const char *what, const char *text, int lineno,
			 const char *expected);

#endif
