/* cron_parse: cron text to the bitsets of struct cron. */
#include "cutover/cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct field_spec {
	const char *name;
	int lo, hi;
	const char *const *names;	/* names[i] is the value lo + i, or NULL */
	const char *name_kind;		/* "month", "day" */
};

static const char *const month_names[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL
};
static const char *const day_names[] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL
};

/* Day-of-week accepts 7 as a second Sunday, as Vixie cron does. */
static const struct field_spec fields[] = {
	{ "second", 0, 59, NULL, NULL },
	{ "minute", 0, 59, NULL, NULL },
	{ "hour", 0, 23, NULL, NULL },
	{ "day-of-month", 1, 31, NULL, NULL },
	{ "month", 1, 12, month_names, "month" },
	{ "day-of-week", 0, 7, day_names, "day" },
};

static const struct { const char *name, *expansion; } macros[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static int fail(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t cap, const char *fmt, ...)
{
	if (why && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* One value: a number or, in month and day-of-week, a three-letter name.
 * tok is [s, e). */
static int parse_value(const struct field_spec *f, const char *s, const char *e, int *out,
		       char *why, size_t cap)
{
	int len = (int)(e - s);
	if (len == 0)
		return fail(why, cap, "%s field: a value is missing", f->name);
	if (isdigit((unsigned char)*s)) {
		long v = 0;
		for (const char *p = s; p < e; p++) {
			if (!isdigit((unsigned char)*p))
				return fail(why, cap, "%s field: '%.*s' is not a number", f->name,
					    len, s);
			if (v < 1000)
				v = v * 10 + (*p - '0');
		}
		if (v < f->lo || v > f->hi)
			return fail(why, cap, "%s field: %.*s is out of range %d-%d", f->name, len,
				    s, f->lo, f->hi);
		*out = (int)v;
		return 0;
	}
	if (!f->names)
		return fail(why, cap, "%s field: '%.*s' is not a number", f->name, len, s);
	for (int i = 0; f->names[i]; i++)
		if (len == 3 && strncasecmp(s, f->names[i], 3) == 0) {
			*out = f->lo + i;
			return 0;
		}
	return fail(why, cap, "%s field: '%.*s' is not a %s name", f->name, len, s, f->name_kind);
}

/* One comma-separated item: "*", "N", "N-M", each optionally "/STEP"; "N/STEP"
 * means N to the field's end (as croniter and robfig/cron read it). */
static int parse_item(const struct field_spec *f, const char *s, const char *e,
		      uint64_t *bits, char *why, size_t cap)
{
	if (s == e)
		return fail(why, cap, "%s field: empty list item", f->name);
	const char *slash = memchr(s, '/', (size_t)(e - s));
	const char *rend = slash ? slash : e;
	int lo, hi, step = 1;
	if (rend - s == 1 && *s == '*') {
		lo = f->lo;
		hi = f->name_kind && !strcmp(f->name_kind, "day") ? 6 : f->hi;
	} else {
		const char *dash = memchr(s, '-', (size_t)(rend - s));
		if (parse_value(f, s, dash ? dash : rend, &lo, why, cap) < 0)
			return -1;
		if (dash) {
			if (parse_value(f, dash + 1, rend, &hi, why, cap) < 0)
				return -1;
		} else {
			hi = slash ? f->hi : lo;
		}
		/* "MON-SUN", "5-0": a range ending on Sunday ends on 7, as croniter
		 * reads it. */
		if (hi == 0 && lo > 0 && f->hi == 7)
			hi = 7;
		if (hi < lo)
			return fail(why, cap, "%s field: range %.*s is backwards", f->name,
				    (int)(rend - s), s);
	}
	if (slash) {
		const char *p = slash + 1;
		long v = 0;
		if (p == e)
			return fail(why, cap, "%s field: a step is missing after '/'", f->name);
		for (; p < e; p++) {
			if (!isdigit((unsigned char)*p))
				return fail(why, cap, "%s field: step '%.*s' is not a number", f->name,
					    (int)(e - slash - 1), slash + 1);
			if (v < 1000)
				v = v * 10 + (*p - '0');
		}
		if (v < 1 || v > f->hi - f->lo + 1)
			return fail(why, cap, "%s field: step %ld is out of range 1-%d", f->name, v,
				    f->hi - f->lo + 1);
		step = (int)v;
	}
	for (int v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	return 0;
}

static int parse_field(const struct field_spec *f, const char *s, const char *e,
		       uint64_t *bits, char *why, size_t cap)
{
	*bits = 0;
	for (const char *p = s;; ) {
		const char *comma = memchr(p, ',', (size_t)(e - p));
		const char *end = comma ? comma : e;
		if (parse_item(f, p, end, bits, why, cap) < 0)
			return -1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int parse_fields(const char *text, struct cron *out, char *why, size_t cap)
{
	const char *tok[6][2];
	int n = 0;
	for (const char *p = text; *p; ) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *s = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (n < 6) {
			tok[n][0] = s;
			tok[n][1] = p;
		}
		n++;
	}
	if (n != 5 && n != 6)
		return fail(why, cap, "5 or 6 fields expected, found %d", n);
	uint64_t bits[6];
	int first = n == 5 ? 1 : 0;
	bits[0] = 1;	/* five fields: second 0 */
	for (int i = first; i < 6; i++)
		if (parse_field(&fields[i], tok[i - first][0], tok[i - first][1], &bits[i], why,
				cap) < 0)
			return -1;
	if (bits[5] & (1u << 7))
		bits[5] = (bits[5] | 1u) & 0x7f;
	out->second = bits[0];
	out->minute = bits[1];
	out->hour = (uint32_t)bits[2];
	out->dom = (uint32_t)bits[3];
	out->month = (uint16_t)bits[4];
	out->dow = (uint8_t)bits[5];
	out->flags = n == 6 ? CRON_SECONDS : 0;
	/* A field is unrestricted when it allows every value, however written
	 * ("*", "1-31", "*\/1"), as croniter decides; only then is it AND-ed. */
	if (out->dom == 0xfffffffeu)
		out->flags |= CRON_DOM_ANY;
	if (out->dow == 0x7f)
		out->flags |= CRON_DOW_ANY;
	return 0;
}

int cron_parse(const char *text, struct cron *out, char *why, size_t cap)
{
	memset(out, 0, sizeof *out);
	if (!text)
		return fail(why, cap, "5 or 6 fields expected, found 0");
	while (isspace((unsigned char)*text))
		text++;
	if (*text == '@') {
		size_t len = strcspn(text, " \t\r\n");
		if (text[len + strspn(text + len, " \t\r\n")] != '\0')
			return fail(why, cap, "'%.*s' takes no fields after it", (int)len, text);
		for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
			if (strlen(macros[i].name) == len && strncasecmp(text, macros[i].name, len) == 0)
				return parse_fields(macros[i].expansion, out, why, cap);
		return fail(why, cap, "'%.*s' is not a known macro (@yearly, @annually, @monthly, "
			    "@weekly, @daily, @midnight, @hourly)", (int)len, text);
	}
	return parse_fields(text, out, why, cap);
}
