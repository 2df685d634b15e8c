/* cmd_report: `cutover report` — the post-release review, read from the
 * release's journal file (no engine needed, nothing written to the
 * journal), as markdown, JSON or HTML, to stdout or a file. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cutover/journal.h"
#include "cutover/report.h"

static int usage(FILE *out, int rc)
{
	fprintf(out, "usage: cutover report [-c FILE] [--format md|json|html] [-o FILE] [--journal PATH]\n"
		"Writes the post-release review from the release journal (default\n"
		"STATE_DIR/RELEASE.journal.jsonl): every service's weights and how long,\n"
		"its rollout events, every breach with its figures beside the limits,\n"
		"rollbacks, forced moves, who did what, and the final state. Markdown by\n"
		"default; -o writes FILE (mode 0644) through a temporary file and a rename.\n"
		"It says at the top whether the journal's hash chain is intact. With\n"
		"--journal no config is needed.\n");
	return rc;
}

/* Writes through FILE.XXXXXX and a rename, so a reader never sees half a
 * review and a failed write leaves the old file as it was. */
static int write_file(const char *path, const struct report_format *fmt, const struct report *r,
		      struct co_error *err)
{
	size_t n = strlen(path) + 8;
	char *tmp = malloc(n);
	int fd = -1;
	FILE *f = NULL;
	if (!tmp) {
		co_error_set(err, "%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, n, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		co_error_set(err, "cannot create a file beside %s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	/* A review holds no secret (the journal holds none, and URLs are
	 * redacted again): readable by whoever reads the directory. */
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		co_error_set(err, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (fmt->write(f, r, err) < 0)
		goto fail;
	if (fsync(fileno(f)) < 0) {
		co_error_set(err, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	int rc = fclose(f);
	f = NULL;
	if (rc != 0) {
		co_error_set(err, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		co_error_set(err, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "journal", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *format = "md", *output = NULL, *journal = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "c:f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'j': journal = optarg; break;
		case 'h': return usage(stdout, EXIT_OK);
		default: return usage(stderr, EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cutover report: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	const struct report_format *fmt = report_format_find(format);
	if (!fmt) {
		fprintf(stderr, "cutover report: unknown format '%s' (expected %s)\n", format,
			report_format_names());
		return EXIT_USAGE;
	}
	if (output && !output[0]) {
		fprintf(stderr, "cutover report: -o needs a file name\n");
		return EXIT_USAGE;
	}
	struct co_error err = { "" };
	struct config *cfg = NULL;
	char *path = NULL;
	/* With --journal the config is needed only for the release's name. */
	if (!journal || config) {
		if (!(cfg = cli_load_config(config, stderr)))
			return EXIT_USAGE;
	}
	if (!journal && !(path = journal_state_path(cfg->state_dir, cfg->release, "journal.jsonl", &err))) {
		fprintf(stderr, "cutover report: %s\n", err.msg);
		config_free(cfg);
		return EXIT_USAGE;
	}
	int rc = EXIT_FAILED;
	struct report *r = report_build(journal ? journal : path, cfg ? cfg->release : NULL, &err);
	if (r && (output ? write_file(output, fmt, r, &err) : fmt->write(stdout, r, &err)) == 0)
		rc = EXIT_OK;
	if (rc != EXIT_OK)
		fprintf(stderr, "cutover report: %s\n", err.msg);
	else if (!r->intact)
		fprintf(stderr, "warning: the journal's chain is not intact: %s; the review says so "
			"at the top\n", r->verify.why);
	report_free(r);
	free(path);
	config_free(cfg);
	return rc;
}
