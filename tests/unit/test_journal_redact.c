/* Unit tests for journal_redact_url: no secret reaches the journal. */
#include "journal_fixture.h"

static void redact(const char *in, const char *want)
{
	char out[256];

	journal_redact_url(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void redact_masks_password_and_secret_query_params(void **state)
{
	(void)state;
	redact("https://u:p@host/x?token=abc", "https://u:***@host/x?token=***");
	redact("http://host:8080/health?a=1&api_key=z&b=2#access_token=q",
	       "http://host:8080/health?a=1&api_key=***&b=2#access_token=***");
	redact("https://ghp_abc@host/", "https://***@host/");
	redact("https://u:p@ss@host?Password=x", "https://u:***@host?Password=***");
	redact("http://10.0.0.5:8080/healthz", "http://10.0.0.5:8080/healthz");
	redact("/path?secret=", "/path?secret=");
}

static void redact_cuts_to_capacity_and_terminates(void **state)
{
	char out[12];

	(void)state;
	memset(out, 'z', sizeof(out));
	journal_redact_url("https://u:p@host/x?token=abc", out, sizeof(out));
	assert_string_equal(out, "https://u:*");
	journal_redact_url(NULL, out, sizeof(out));
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redact_masks_password_and_secret_query_params),
		cmocka_unit_test(redact_cuts_to_capacity_and_terminates),
	};
	RUN_SUITE(tests);
}
