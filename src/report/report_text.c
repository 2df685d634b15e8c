/* report_text: text and time as the review takes them from the journal
 * (bounded, valid UTF-8, no control bytes, URLs redacted) and gives them
 * back (RFC 3339 UTC, durations in words). */
#include "report_private.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/journal.h"

/* The length of the valid UTF-8 sequence at p (1..4), 0 if invalid. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, surrogates and beyond U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

/* Where a URL starting at p ends: "scheme://" then anything up to a space,
 * a quote or a bracket. 0 when p does not start one. */
static size_t url_len(const char *p)
{
	size_t i = 0;
	if (!isalpha((unsigned char)p[0]))
		return 0;
	while (i < 32 && (isalnum((unsigned char)p[i]) || p[i] == '+' || p[i] == '-' || p[i] == '.'))
		i++;
	if (strncmp(p + i, "://", 3) != 0)
		return 0;
	i += 3;
	/* ASCII only: a cut inside the URL's text never splits a character. */
	while (p[i] && !isspace((unsigned char)p[i]) && (unsigned char)p[i] > 0x20 &&
	       (unsigned char)p[i] < 0x7f && !strchr("\"'<>()[]{}`,;", p[i]))
		i++;
	return i;
}

static void put(char *out, size_t cap, size_t *o, const char *p, size_t n)
{
	if (*o + n + 1 > cap)
		n = 0;	/* a character or a URL that no longer fits ends the text */
	memcpy(out + *o, p, n);
	*o += n;
	out[*o] = '\0';
}

void report_text_copy(char *out, size_t cap, const char *in)
{
	size_t o = 0;
	if (!cap)
		return;
	out[0] = '\0';
	if (!in)
		return;
	bool word_start = true;
	for (const char *p = in; *p && o + 1 < cap;) {
		size_t u = word_start ? url_len(p) : 0;
		if (u) {
			char *url = strndup(p, u);
			char red[REPORT_TEXT * 2];
			journal_redact_url(url ? url : "", red, sizeof(red));
			free(url);
			size_t room = cap - 1 - o, rn = strlen(red);
			put(out, cap, &o, red, rn < room ? rn : room);
			p += u;
			continue;
		}
		size_t n = utf8_len((const unsigned char *)p);
		unsigned char c = (unsigned char)*p;
		if (n == 0 || c < 0x20 || c == 0x7f) {
			put(out, cap, &o, "?", 1);
			n = 1;
		} else {
			size_t before = o;
			put(out, cap, &o, p, n);
			if (o == before)
				break;
		}
		word_start = !isalnum(c) && c != '+' && c != '-' && c != '.';
		p += n;
	}
}

/* --- Time ---------------------------------------------------------------- */

bool report_time_parse(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19)
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
		return false;
	const char *p = s + n;
	int frac = 0, digits = 0;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*p - '0');
	for (; digits > 0 && digits < 3; digits++)
		frac *= 10;
	long off_min = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1])) {
		int oh, om;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return false;
		off_min = (*p == '-' ? -1 : 1) * (oh * 60L + om);
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*ms = (int64_t)t * 1000 + frac - (int64_t)off_min * 60000;
	return true;
}

void report_time_text(int64_t ms, bool with_ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];
	if (!gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(out, cap, "?");
		return;
	}
	if (with_ms)
		snprintf(out, cap, "%s.%03dZ", day, (int)(ms % 1000));
	else
		snprintf(out, cap, "%sZ", day);
}

void report_duration_text(int64_t ms, char *out, size_t cap)
{
	if (ms < 0)
		ms = 0;
	long long s = ms / 1000;
	if (ms < 10000)
		snprintf(out, cap, "%.1f s", (double)ms / 1000.0);
	else if (s < 60)
		snprintf(out, cap, "%lld s", s);
	else if (s < 3600)
		snprintf(out, cap, "%lldm %02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, cap, "%lldh %02lldm %02llds", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, cap, "%lldd %02lldh %02lldm", s / 86400, s / 3600 % 24, s / 60 % 60);
}
