/* API tokens: the file format, its refusals (located, never quoting a
 * token), file modes, lookups, and the client's token file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cutover/tokens.h"

#define TOK_W "watch-token-aaaaaaaaaaaa"	/* 24 bytes */
#define TOK_O "operate-token-bbbbbbbbbbbb"
#define TOK_H "hash#inside-cccccccccccc"	/* '#' inside a token is kept */

/* Every secret any fixture below writes; no error may contain one. */
static const char *const secrets[] = {
	TOK_W, TOK_O, TOK_H, "tiny-token", "misplaced-token-dddddddddd",
	"another-secret-eeeeeeeeeeee",
};

static char dir[64];

static int make_dir(void **state)
{
	strcpy(dir, "/tmp/cutover-tokens-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int remove_dir(void **state)
{
	rmdir(dir);
	return 0;
}

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);	/* explicit: umask must not decide */
	return path;
}

static void assert_no_secret(const char *msg)
{
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(msg, secrets[i]))
			fail_msg("error quotes a token: %s", msg);
}

/* Loads text (with mode), expects a refusal whose message holds want. */
static void assert_refused(const char *text, mode_t mode, const char *want)
{
	const char *path = write_file("tokens", text, mode);
	struct tokens *t = (struct tokens *)1;
	struct co_error err = { "" };
	assert_int_equal(tokens_load(path, &t, &err), -1);
	assert_null(t);
	if (!strstr(err.msg, want))
		fail_msg("wanted \"%s\" in \"%s\"", want, err.msg);
	assert_non_null(strstr(err.msg, path));
	assert_no_secret(err.msg);
	unlink(path);
}

static void good_file_with_comments_and_blank_lines_loads(void **state)
{
	const char *path = write_file("tokens",
		"# who may use the engine\n"
		"\n"
		"   \t\n"
		"watch   dashboard  " TOK_W "\n"
		"  # indented comment\n"
		"operate\talice\t" TOK_O "   # trailing comment\r\n"
		"watch bob " TOK_H "\n", 0600);
	struct tokens *t = NULL;
	struct co_error err = { "" };
	assert_int_equal(tokens_load(path, &t, &err), 0);
	assert_non_null(t);

	const char *name = NULL;
	assert_int_equal(tokens_check(t, TOK_W, &name), ROLE_WATCH);
	assert_string_equal(name, "dashboard");
	assert_int_equal(tokens_check(t, TOK_O, &name), ROLE_OPERATE);
	assert_string_equal(name, "alice");
	assert_int_equal(tokens_check(t, TOK_H, &name), ROLE_WATCH);
	assert_string_equal(name, "bob");
	assert_int_equal(tokens_check(t, TOK_O, NULL), ROLE_OPERATE);
	tokens_free(t);
	unlink(path);
}

static void unknown_token_is_role_none(void **state)
{
	const char *path = write_file("tokens", "operate alice " TOK_O "\n", 0600);
	struct tokens *t = NULL;
	struct co_error err;
	assert_int_equal(tokens_load(path, &t, &err), 0);
	const char *name = "stale";
	assert_int_equal(tokens_check(t, "operate-token-bbbbbbbbbbbX", &name), ROLE_NONE);
	assert_null(name);
	assert_int_equal(tokens_check(t, "operate-token-bbbbbbbbbbb", NULL), ROLE_NONE);	/* prefix */
	assert_int_equal(tokens_check(t, TOK_O "b", NULL), ROLE_NONE);	/* longer */
	assert_int_equal(tokens_check(t, "", NULL), ROLE_NONE);
	assert_int_equal(tokens_check(t, NULL, &name), ROLE_NONE);
	assert_int_equal(tokens_check(NULL, TOK_O, NULL), ROLE_NONE);
	tokens_free(t);
	tokens_free(NULL);
	unlink(path);
}

static void group_or_world_accessible_file_is_refused_with_its_mode(void **state)
{
	const char *good = "watch dashboard " TOK_W "\n";
	assert_refused(good, 0644, "mode 0644; chmod 600 it");
	assert_refused(good, 0640, "mode 0640");
	assert_refused(good, 0602, "mode 0602");
	assert_refused(good, 0620, "mode 0620");
	/* owner-only modes are fine, read-only included */
	const char *path = write_file("tokens", good, 0400);
	struct tokens *t = NULL;
	struct co_error err;
	assert_int_equal(tokens_load(path, &t, &err), 0);
	tokens_free(t);
	unlink(path);
}

static void unknown_role_is_refused_at_its_line_and_column(void **state)
{
	assert_refused("# comment\n"
		       "watch dashboard " TOK_W "\n"
		       "  admin alice " TOK_O "\n", 0600,
		       ":3:3: unknown role 'admin' (watch or operate)");
	assert_refused("Watch dashboard " TOK_W "\n", 0600, ":1:1: unknown role 'Watch'");
}

/* TOKEN NAME ROLE instead of ROLE NAME TOKEN: the role field is a secret. */
static void misplaced_token_in_the_role_field_is_not_quoted(void **state)
{
	assert_refused("misplaced-token-dddddddddd alice watch\n", 0600,
		       ":1:1: unknown role (watch or operate)");
	assert_refused("watch misplaced-token-dddddddddd another-secret-eeeeeeeeeeee\n"
		       "watch misplaced-token-dddddddddd " TOK_W "\n", 0600,
		       ":2:7: name already used on line 1");
}

static void short_token_is_refused_at_its_column(void **state)
{
	assert_refused("watch dashboard " TOK_W "\n"
		       "operate alice tiny-token\n", 0600,
		       ":2:15: token shorter than 16 bytes");
}

static void duplicate_name_or_token_is_refused(void **state)
{
	assert_refused("watch alice " TOK_W "\n"
		       "operate alice " TOK_O "\n", 0600,
		       ":2:9: name 'alice' already used on line 1");
	assert_refused("watch dashboard " TOK_W "\n"
		       "\n"
		       "operate alice " TOK_W "\n", 0600,
		       ":3:15: token already used on line 1");
}

static void line_that_is_not_three_fields_is_refused(void **state)
{
	assert_refused("watch dashboard\n", 0600, ":1:16: expected \"ROLE NAME TOKEN\"");
	assert_refused("watch dashboard " TOK_W " extra\n", 0600,
		       ":1:42: expected \"ROLE NAME TOKEN\", found more than three fields");
	assert_refused("operate " TOK_O "\n", 0600, "fewer fields");
}

static void file_with_no_token_is_refused(void **state)
{
	assert_refused("# nobody yet\n\n", 0600, "no token");
	assert_refused("", 0600, "no token");
}

static void missing_file_is_refused_naming_it(void **state)
{
	struct tokens *t = NULL;
	struct co_error err;
	char path[128];
	snprintf(path, sizeof(path), "%s/absent", dir);
	assert_int_equal(tokens_load(path, &t, &err), -1);
	assert_null(t);
	assert_non_null(strstr(err.msg, path));
	char *tok = NULL;
	assert_int_equal(token_file_read(path, &tok, &err), -1);
	assert_null(tok);
	assert_non_null(strstr(err.msg, path));
}

static void token_file_read_returns_the_first_token_line_trimmed(void **state)
{
	const char *path = write_file("client-token",
		"# my token for the staging engine\n"
		"\n"
		"   " TOK_O " \t\r\n"
		"second-line-is-ignored-xxxx\n", 0600);
	char *tok = NULL;
	struct co_error err;
	assert_int_equal(token_file_read(path, &tok, &err), 0);
	assert_string_equal(tok, TOK_O);
	free(tok);
	unlink(path);
}

static void token_file_read_refuses_a_shared_file_and_an_empty_one(void **state)
{
	const char *path = write_file("client-token", TOK_O "\n", 0644);
	char *tok = NULL;
	struct co_error err;
	assert_int_equal(token_file_read(path, &tok, &err), -1);
	assert_null(tok);
	assert_non_null(strstr(err.msg, "mode 0644; chmod 600 it"));
	assert_no_secret(err.msg);
	unlink(path);

	path = write_file("client-token", "# none\n  \n", 0600);
	assert_int_equal(token_file_read(path, &tok, &err), -1);
	assert_null(tok);
	assert_non_null(strstr(err.msg, "no token"));
	unlink(path);
}

static void role_names_are_the_documented_words(void **state)
{
	assert_string_equal(token_role_name(ROLE_WATCH), "watch");
	assert_string_equal(token_role_name(ROLE_OPERATE), "operate");
	assert_string_equal(token_role_name(ROLE_NONE), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_file_with_comments_and_blank_lines_loads),
		cmocka_unit_test(unknown_token_is_role_none),
		cmocka_unit_test(group_or_world_accessible_file_is_refused_with_its_mode),
		cmocka_unit_test(unknown_role_is_refused_at_its_line_and_column),
		cmocka_unit_test(misplaced_token_in_the_role_field_is_not_quoted),
		cmocka_unit_test(short_token_is_refused_at_its_column),
		cmocka_unit_test(duplicate_name_or_token_is_refused),
		cmocka_unit_test(line_that_is_not_three_fields_is_refused),
		cmocka_unit_test(file_with_no_token_is_refused),
		cmocka_unit_test(missing_file_is_refused_naming_it),
		cmocka_unit_test(token_file_read_returns_the_first_token_line_trimmed),
		cmocka_unit_test(token_file_read_refuses_a_shared_file_and_an_empty_one),
		cmocka_unit_test(role_names_are_the_documented_words),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
