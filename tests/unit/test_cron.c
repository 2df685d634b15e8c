/* Unit tests for cron schedules: every syntax form and error, next-fire
 * times including day-of-month OR day-of-week, seconds and DST changes.
 * With `--oracle FILE` it instead prints next fire times for the lines
 * EXPR<TAB>TZ<TAB>START_EPOCH<TAB>N of FILE (tests/integration/cron_oracle.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cutover/cron.h"

/* "YYYY-MM-DDTHH:MM:SSZ" to an instant. */
static time_t utc(const char *s)
{
	struct tm tm = { 0 };
	sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	       &tm.tm_min, &tm.tm_sec);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static struct cron parsed(const char *text)
{
	struct cron c;
	char why[160] = "";
	int rc = cron_parse(text, &c, why, sizeof why);
	if (rc != 0)
		print_error("%s: %s\n", text, why);
	assert_int_equal(rc, 0);
	return c;
}

static void assert_refused(const char *text, const char *words)
{
	struct cron c;
	char why[160] = "";
	assert_int_equal(cron_parse(text, &c, why, sizeof why), -1);
	if (strcmp(why, words) != 0)
		print_error("%s: got '%s', want '%s'\n", text, why, words);
	assert_string_equal(why, words);
}

static void assert_next(const char *expr, const char *tz, const char *after, const char *want)
{
	struct cron c = parsed(expr);
	time_t got = cron_next(&c, utc(after), tz);
	time_t w = want ? utc(want) : (time_t)-1;
	if (got != w)
		print_error("%s in %s after %s: got %lld, want %lld\n", expr, tz ? tz : "UTC", after,
			    (long long)got, (long long)w);
	assert_int_equal((long long)got, (long long)w);
}

static void parses_lists_ranges_and_steps(void **state)
{
	struct cron c = parsed("1,5 1-5 */10 10-12/2 *");
	assert_true(c.minute == ((1ull << 1) | (1ull << 5)));
	assert_int_equal(c.hour, 0x3e);
	assert_int_equal(c.dom, (1u << 1) | (1u << 11) | (1u << 21) | (1u << 31));
	assert_int_equal(c.month, (1u << 10) | (1u << 12));
	assert_true(c.second == 1);
	assert_int_equal(c.flags & CRON_SECONDS, 0);
	c = parsed("*/15 0-23/6 1 1-12/3 *");
	assert_true(c.minute == ((1ull << 0) | (1ull << 15) | (1ull << 30) | (1ull << 45)));
	assert_int_equal(c.hour, (1u << 0) | (1u << 6) | (1u << 12) | (1u << 18));
	assert_int_equal(c.month, (1u << 1) | (1u << 4) | (1u << 7) | (1u << 10));
	c = parsed("5/20 * * * *");	/* start/step runs to the field's end */
	assert_true(c.minute == ((1ull << 5) | (1ull << 25) | (1ull << 45)));
}

static void parses_month_and_day_names_in_any_case(void **state)
{
	struct cron c = parsed("0 0 * jan,Mar-MAY mon-Fri");
	assert_int_equal(c.month, (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5));
	assert_int_equal(c.dow, 0x3e);
	c = parsed("0 0 * DEC sun,SAT");
	assert_int_equal(c.month, 1u << 12);
	assert_int_equal(c.dow, (1u << 0) | (1u << 6));
}

static void seven_is_sunday(void **state)
{
	assert_int_equal(parsed("0 0 * * 7").dow, 1);
	assert_int_equal(parsed("0 0 * * 5-7").dow, (1u << 5) | (1u << 6) | 1u);
	assert_int_equal(parsed("0 0 * * 0-7").flags & CRON_DOW_ANY, CRON_DOW_ANY);
	assert_int_equal(parsed("0 0 * * MON-SUN").flags & CRON_DOW_ANY, CRON_DOW_ANY);
	assert_int_equal(parsed("0 0 * * fri-0").dow, (1u << 5) | (1u << 6) | 1u);
}

static void parses_macros(void **state)
{
	struct cron y = parsed("@yearly"), a = parsed("@annually"), mo = parsed("@monthly");
	struct cron w = parsed("@weekly"), d = parsed("@daily"), mid = parsed("@midnight");
	struct cron h = parsed("@HOURLY");
	assert_memory_equal(&y, &a, sizeof y);
	assert_memory_equal(&d, &mid, sizeof d);
	assert_int_equal(y.month, 1u << 1);
	assert_int_equal(y.dom, 1u << 1);
	assert_int_equal(mo.month, 0x1ffe);
	assert_int_equal(w.dow, 1);
	assert_int_equal(d.hour, 1);
	assert_int_equal(h.hour, 0xffffff);
	assert_true(h.minute == 1);
}

static void parses_six_fields_with_seconds_first(void **state)
{
	struct cron c = parsed("*/20 30 2 * * *");
	assert_int_equal(c.flags & CRON_SECONDS, CRON_SECONDS);
	assert_true(c.second == ((1ull << 0) | (1ull << 20) | (1ull << 40)));
	assert_true(c.minute == 1ull << 30);
	assert_int_equal(c.hour, 1u << 2);
}

static void refuses_each_fault_naming_the_field(void **state)
{
	assert_refused("61 * * * *", "minute field: 61 is out of range 0-59");
	assert_refused("* 24 * * *", "hour field: 24 is out of range 0-23");
	assert_refused("* * 0 * *", "day-of-month field: 0 is out of range 1-31");
	assert_refused("* * 32 * *", "day-of-month field: 32 is out of range 1-31");
	assert_refused("* * * 13 *", "month field: 13 is out of range 1-12");
	assert_refused("* * * * 8", "day-of-week field: 8 is out of range 0-7");
	assert_refused("60 * * * * *", "second field: 60 is out of range 0-59");
	assert_refused("* * * * FUNDAY", "day-of-week field: 'FUNDAY' is not a day name");
	assert_refused("* * * FOO *", "month field: 'FOO' is not a month name");
	assert_refused("x * * * *", "minute field: 'x' is not a number");
	assert_refused("1x * * * *", "minute field: '1x' is not a number");
}

static void refuses_bad_lists_ranges_steps_and_counts(void **state)
{
	assert_refused("* * * *", "5 or 6 fields expected, found 4");
	assert_refused("* * * * * * *", "5 or 6 fields expected, found 7");
	assert_refused("", "5 or 6 fields expected, found 0");
	assert_refused("1,,2 * * * *", "minute field: empty list item");
	assert_refused("5-1 * * * *", "minute field: range 5-1 is backwards");
	assert_refused("*/0 * * * *", "minute field: step 0 is out of range 1-60");
	assert_refused("*/ * * * *", "minute field: a step is missing after '/'");
	assert_refused("*/x * * * *", "minute field: step 'x' is not a number");
	assert_refused("1- * * * *", "minute field: a value is missing");
	assert_refused("@sometimes", "'@sometimes' is not a known macro (@yearly, @annually, "
		       "@monthly, @weekly, @daily, @midnight, @hourly)");
	assert_refused("@daily 5", "'@daily' takes no fields after it");
}

static void next_fire_walks_minutes_hours_and_months(void **state)
{
	assert_next("*/15 * * * *", NULL, "2024-05-01T10:07:00Z", "2024-05-01T10:15:00Z");
	assert_next("*/15 * * * *", "", "2024-05-01T10:15:00Z", "2024-05-01T10:30:00Z");
	assert_next("0 2 * * *", NULL, "2024-12-31T03:00:00Z", "2025-01-01T02:00:00Z");
	assert_next("@yearly", NULL, "2024-05-01T00:00:00Z", "2025-01-01T00:00:00Z");
	assert_next("0 9 * * MON-FRI", NULL, "2024-05-03T09:00:00Z", "2024-05-06T09:00:00Z");
	assert_next("0 0 31 * *", NULL, "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z");
}

static void day_of_month_or_day_of_week_when_both_restricted(void **state)
{
	/* The 13th or any Friday: 2024-09-06 is a Friday, before the 13th. */
	assert_next("0 0 13 * FRI", NULL, "2024-09-01T00:00:00Z", "2024-09-06T00:00:00Z");
	assert_next("0 0 13 * FRI", NULL, "2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z");
	/* Only one restricted: AND. */
	assert_next("0 0 13 * *", NULL, "2024-09-01T00:00:00Z", "2024-09-13T00:00:00Z");
	assert_next("0 0 * * 7", NULL, "2024-09-01T00:00:00Z", "2024-09-08T00:00:00Z");
}

static void seconds_form_fires_within_the_minute(void **state)
{
	assert_next("*/20 * * * * *", NULL, "2024-05-01T10:07:00Z", "2024-05-01T10:07:20Z");
	assert_next("*/20 * * * * *", NULL, "2024-05-01T10:07:45Z", "2024-05-01T10:08:00Z");
	assert_next("30 0 12 * * *", NULL, "2024-05-01T12:00:30Z", "2024-05-02T12:00:30Z");
}

static void feb_29_fires_in_a_leap_year_and_feb_30_never(void **state)
{
	assert_next("0 0 29 2 *", NULL, "2025-03-01T00:00:00Z", "2028-02-29T00:00:00Z");
	assert_next("0 0 30 2 *", NULL, "2024-01-01T00:00:00Z", NULL);
	assert_next("0 0 31 4,6,9,11 *", NULL, "2024-01-01T00:00:00Z", NULL);
}

static void spring_forward_fires_a_skipped_time_at_the_end_of_the_gap(void **state)
{
	/* New York 2024-03-10 02:00 EST (07:00Z) jumps to 03:00 EDT. */
	assert_next("30 2 * * *", "America/New_York", "2024-03-09T12:00:00Z",
		    "2024-03-10T07:00:00Z");
	assert_next("30 2 * * *", "America/New_York", "2024-03-10T07:00:00Z",
		    "2024-03-11T06:30:00Z");
	/* Every 15 minutes: the gap's four times fire once, then 03:15 EDT. */
	assert_next("*/15 * * * *", "America/New_York", "2024-03-10T06:50:00Z",
		    "2024-03-10T07:00:00Z");
	assert_next("*/15 * * * *", "America/New_York", "2024-03-10T07:00:00Z",
		    "2024-03-10T07:15:00Z");
	/* Berlin 2024-03-31 02:00 CET (01:00Z) jumps to 03:00 CEST. */
	assert_next("30 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00Z",
		    "2024-03-31T01:00:00Z");
}

static void fall_back_fires_a_repeated_time_once_at_its_first_occurrence(void **state)
{
	/* New York 2024-11-03 02:00 EDT (06:00Z) falls back to 01:00 EST. */
	assert_next("30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z",
		    "2024-11-03T05:30:00Z");
	assert_next("30 1 * * *", "America/New_York", "2024-11-03T05:30:00Z",
		    "2024-11-04T06:30:00Z");
	assert_next("0 * * * *", "America/New_York", "2024-11-03T05:00:00Z",
		    "2024-11-03T07:00:00Z");
	/* Berlin 2024-10-27 03:00 CEST (01:00Z) falls back to 02:00 CET. */
	assert_next("30 2 * * *", "Europe/Berlin", "2024-10-27T00:00:00Z",
		    "2024-10-27T00:30:00Z");
	assert_next("30 2 * * *", "Europe/Berlin", "2024-10-27T00:30:00Z",
		    "2024-10-28T01:30:00Z");
}

static void zone_names_are_checked(void **state)
{
	assert_true(cron_zone_valid(NULL));
	assert_true(cron_zone_valid(""));
	assert_true(cron_zone_valid("UTC"));
	assert_true(cron_zone_valid("Europe/Berlin"));
	assert_false(cron_zone_valid("Europe/Atlantis"));
	assert_false(cron_zone_valid("../../etc/passwd"));
	assert_false(cron_zone_valid("/etc/localtime"));
	assert_false(cron_zone_valid("Europe"));	/* a directory */
	struct cron c = parsed("* * * * *");
	assert_int_equal((long long)cron_next(&c, 0, "Europe/Atlantis"), -1);
}

/* EXPR<TAB>TZ<TAB>START<TAB>N per line; prints N epochs (or -1s) per line,
 * or "ERR why" when the expression does not parse. */
static int oracle(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		perror(file);
		return 2;
	}
	char line[512];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *expr = strtok(line, "\t"), *tz = strtok(NULL, "\t");
		char *start = strtok(NULL, "\t"), *count = strtok(NULL, "\t");
		if (!expr || !tz || !start || !count)
			continue;
		struct cron c;
		char why[160];
		if (cron_parse(expr, &c, why, sizeof why) < 0) {
			printf("ERR %s\n", why);
			continue;
		}
		time_t t = (time_t)strtoll(start, NULL, 10);
		for (int i = 0, n = atoi(count); i < n; i++) {
			if (t != (time_t)-1)
				t = cron_next(&c, t, strcmp(tz, "UTC") ? tz : NULL);
			printf("%s%lld", i ? " " : "", (long long)t);
		}
		printf("\n");
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--oracle") == 0)
		return oracle(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_lists_ranges_and_steps),
		cmocka_unit_test(parses_month_and_day_names_in_any_case),
		cmocka_unit_test(seven_is_sunday),
		cmocka_unit_test(parses_macros),
		cmocka_unit_test(parses_six_fields_with_seconds_first),
		cmocka_unit_test(refuses_each_fault_naming_the_field),
		cmocka_unit_test(refuses_bad_lists_ranges_steps_and_counts),
		cmocka_unit_test(next_fire_walks_minutes_hours_and_months),
		cmocka_unit_test(day_of_month_or_day_of_week_when_both_restricted),
		cmocka_unit_test(seconds_form_fires_within_the_minute),
		cmocka_unit_test(feb_29_fires_in_a_leap_year_and_feb_30_never),
		cmocka_unit_test(spring_forward_fires_a_skipped_time_at_the_end_of_the_gap),
		cmocka_unit_test(fall_back_fires_a_repeated_time_once_at_its_first_occurrence),
		cmocka_unit_test(zone_names_are_checked),
	};
	size_t total = sizeof(tests) / sizeof(tests[0]);
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	printf("%zu passed, %d failed\n", total - (size_t)failed, failed);
	return failed;
}
