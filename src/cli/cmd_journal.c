/* cmd_journal: `cutover journal` — print the release journal (through its
 * engine when one runs), or verify its hash chain. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cutover/journal.h"
#include "engine_cli.h"
#include "journal_format.h"

static int usage(FILE *out, int rc)
{
	fprintf(out, "usage: cutover journal [-c FILE | --engine URL --token-file F] [--json] [--verify]\n"
		"Prints the release journal, one line per record, or as a JSON array\n"
		"with --json; through the release's engine when one runs. --verify checks\n"
		"its hash chain and head file: exit 0 if intact (a line torn by a crash is\n"
		"a warning), 1 naming the first fault. --verify reads the file on this host\n"
		"and so does not go with --engine.\n");
	return rc;
}

/* A torn last line is what a crash mid-write leaves, unless the head file
 * vouches for a record beyond the last whole one: the head is renamed into
 * place only after a line is complete, so then the file was cut. */
static bool torn_by_crash(const struct journal_verify_result *r)
{
	return r->fault == JOURNAL_TORN_TAIL && (!r->head_found || r->head_seq <= r->last_seq);
}

static const char *fault_name(enum journal_fault f)
{
	static const char *const names[] = { "ok", "not-json", "bad-record", "seq", "prev",
					     "torn-tail", "truncated", "head" };
	return (size_t)f < sizeof(names) / sizeof(names[0]) ? names[f] : "unknown";
}

static void verify_json(const struct journal_verify_result *r, bool intact)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", intact);
	cJSON_AddNumberToObject(o, "records", (double)r->records);
	cJSON_AddNumberToObject(o, "last_seq", (double)r->last_seq);
	cJSON_AddStringToObject(o, "fault", torn_by_crash(r) ? "ok" : fault_name(r->fault));
	cJSON_AddNumberToObject(o, "line", (double)r->bad_line);
	cJSON_AddStringToObject(o, "why", r->why);
	cJSON_AddNumberToObject(o, "torn_lines", (double)(r->torn_lines + (torn_by_crash(r) ? 1 : 0)));
	cJSON_AddNumberToObject(o, "first_torn_line",
				(double)(r->first_torn_line ? r->first_torn_line
					 : torn_by_crash(r) ? r->bad_line : 0));
	char *text = cJSON_Print(o);
	if (text)
		puts(text);
	free(text);
	cJSON_Delete(o);
}

static void verify_text(const struct journal_verify_result *r, bool intact)
{
	if (!intact && r->fault == JOURNAL_TORN_TAIL)
		printf("journal FAILED: line %ld: the last line is cut short, yet the head file names "
		       "seq %lld beyond the last whole record (seq %lld): the file was truncated\n",
		       r->bad_line, r->head_seq, r->last_seq);
	else if (!intact)
		printf("journal FAILED: %s (%ld records verified before it)\n", r->why, r->records);
	if (!intact)
		return;
	printf("journal OK: %ld records, last seq %lld\n", r->records, r->last_seq);
	if (r->torn_lines)
		fprintf(stderr, "warning: line %ld: %ld torn line%s left by an interrupted write; "
			"the records after %s continue the chain\n", r->first_torn_line, r->torn_lines,
			r->torn_lines == 1 ? "" : "s", r->torn_lines == 1 ? "it" : "them");
	if (torn_by_crash(r))
		fprintf(stderr, "warning: line %ld: the last line is cut short, left by an interrupted "
			"write; the next record starts on a new line\n", r->bad_line);
	/* A crash between a batch's write and its head update: the records
	 * after the head's are vouched for by the chain alone. */
	if (r->head_found && r->head_seq < r->last_seq)
		fprintf(stderr, "warning: the head file names seq %lld, %lld record%s before the last: "
			"a crash came between a write and its head update; the chain covers %s\n",
			r->head_seq, r->last_seq - r->head_seq, r->last_seq - r->head_seq == 1 ? "" : "s",
			r->last_seq - r->head_seq == 1 ? "it" : "them");
}

static int verify(const char *path, bool json)
{
	struct journal_verify_result r;
	struct co_error err = { "" };
	if (journal_verify(path, &r, &err) < 0) {
		fprintf(stderr, "cutover journal: %s\n", err.msg);
		return EXIT_FAILED;
	}
	bool intact = r.fault == JOURNAL_OK || torn_by_crash(&r);
	if (json)
		verify_json(&r, intact);
	else
		verify_text(&r, intact);
	return intact ? EXIT_OK : EXIT_FAILED;
}

/* After the listing: say so if the journal does not verify, so that a
 * reader does not take edited records at their word. */
static void warn_unless_intact(const char *path)
{
	struct journal_verify_result r;
	struct co_error err = { "" };
	if (journal_verify(path, &r, &err) < 0 || r.ok)
		return;
	if (r.fault == JOURNAL_OK || torn_by_crash(&r))
		fprintf(stderr, "warning: line %ld: a torn line left by an interrupted write; "
			"see 'cutover journal --verify'\n",
			r.fault == JOURNAL_OK ? r.first_torn_line : r.bad_line);
	else
		fprintf(stderr, "warning: the journal does not verify: %s; see 'cutover journal --verify'\n",
			r.why);
}

/* Prints the records in the file at path; shown names the journal to
 * people, and verify_path (NULL: none on this host) is checked after. */
static int list(const char *path, const char *shown, const char *verify_path, bool json)
{
	struct co_error err = { "" };
	long n = json ? journal_print_json(stdout, path, &err) : journal_print_table(stdout, path, &err);
	if (n < 0) {
		fprintf(stderr, "cutover journal: %s\n", err.msg);
		return EXIT_FAILED;
	}
	if (n == 0 && !json)
		printf("no records yet in %s\n", shown);
	if (!json && verify_path)
		warn_unless_intact(verify_path);
	return EXIT_OK;
}

static int run(const struct config *cfg, bool json, bool check)
{
	struct co_error err = { "" };
	struct stat st;
	char *path = journal_state_path(cfg->state_dir, cfg->release, "journal.jsonl", &err);
	int rc = EXIT_FAILED;
	if (!path) {
		fprintf(stderr, "cutover journal: %s\n", err.msg);
	} else if (stat(path, &st) < 0 && errno == ENOENT) {
		if (json && !check)
			puts("[]");
		fprintf(json ? stderr : stdout, "no journal yet at %s\n", path);
		rc = EXIT_OK;
	} else {
		rc = check ? verify(path, json) : list(path, path, path, json);
	}
	free(path);
	return rc;
}

/* Through the engine: its records, copied page by page into an unlinked
 * file, printed by the same code that prints the journal file, so both say
 * it alike. Through the local socket the file itself is still checked after
 * the listing, as without an engine. */
static int run_engine(struct engine_link *l, const struct config *cfg, bool local, bool json)
{
	struct co_error err = { "" };
	char *path = local ? journal_state_path(cfg->state_dir, cfg->release, "journal.jsonl", &err)
			   : NULL;
	FILE *copy = tmpfile();
	int rc = EXIT_FAILED;
	char fdpath[64], shown[600];
	if (!copy)
		co_error_set(&err, "cannot make a temporary file for the journal's copy");
	else if (engine_cli_journal_copy(l, copy, &err) >= 0) {
		snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fileno(copy));
		snprintf(shown, sizeof shown, "%s%s", path ? "" : "the journal of the engine at ",
			 path ? path : engine_link_name(l));
		rc = list(fdpath, shown, path, json);
		err.msg[0] = '\0';
	}
	if (err.msg[0])
		fprintf(stderr, "cutover journal: %s\n", err.msg);
	if (copy)
		fclose(copy);
	free(path);
	return rc;
}

int cmd_journal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "verify", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		ENGINE_CLI_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct common_opts o = { 0 };
	struct engine_where where = { .kind = "cli" };
	bool check = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'j': o.json = true; break;
		case 'v': check = true; break;
		case 'h': return usage(stdout, EXIT_OK);
		default:
			if (!engine_cli_option(c, optarg, &where))
				return usage(stderr, EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cutover journal: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (check && where.url) {
		fprintf(stderr, "cutover journal: --verify checks the journal file's bytes and hash "
			"chain, which the engine does not send; run it on the engine's host, without "
			"--engine\n");
		return EXIT_USAGE;
	}
	struct config *cfg = NULL;
	struct engine_link *link = NULL;
	int rc = check ? ((cfg = cli_load_config(o.config, stderr)) ? EXIT_OK : EXIT_USAGE)
		       : engine_cli_attach("journal", o.config, &where, &cfg, &link);
	if (rc == EXIT_OK)
		rc = link ? run_engine(link, cfg, !where.url, o.json) : run(cfg, o.json, check);
	engine_link_free(link);
	config_free(cfg);
	return rc;
}
