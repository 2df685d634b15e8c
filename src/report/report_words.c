/* report_words: the words the markdown and HTML reviews both say, so the
 * two cannot tell the same journal differently. */
#include "report_private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void report_weight_text(int w, char *out, size_t cap)
{
	if (w == REPORT_NO_WEIGHT)
		snprintf(out, cap, "?");
	else
		snprintf(out, cap, "%d %%", w);
}

void report_entry_what(const struct report_entry *e, char *out, size_t cap)
{
	char from[16], to[16];
	if (e->kind == REPORT_EVENT) {
		char ev[sizeof(e->event)];
		snprintf(ev, sizeof(ev), "%s", e->event);
		for (char *p = ev; *p; p++)
			if (*p == '_')
				*p = ' ';
		snprintf(out, cap, "rollout %s", ev);
		return;
	}
	report_weight_text(e->from, from, sizeof(from));
	report_weight_text(e->weight, to, sizeof(to));
	snprintf(out, cap, "%s%s %s \xe2\x86\x92 %s",
		 e->reconciled ? "found by recovery" : e->rollback ? "rolled back" : "moved",
		 e->forced ? " (forced)" : "", from, to);
}

void report_num_text(double v, const char *unit, char *out, size_t cap)
{
	if (isnan(v))
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%.1f%s%s", v, unit && unit[0] ? " " : "", unit ? unit : "");
}

const char *report_limit_word(double value, double max)
{
	if (isnan(value) || isnan(max))
		return "";
	return value > max ? "OVER the limit" : "within the limit";
}

const char *report_integrity_detail(const struct report *r)
{
	const char *colon = strchr(r->integrity, ':');
	return colon ? colon + 2 : r->integrity;
}
