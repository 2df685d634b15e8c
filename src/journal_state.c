/* journal_state: the files a release keeps in the state directory, and
 * the actor and time stamps its records and its lock carry. */
#include "cutover/journal.h"
#include "journal_private.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int journal_state_dir(const char *dir, struct co_error *err)
{
	char *p = dir && *dir ? strdup(dir) : NULL;
	int rc = 0;

	if (!dir || !*dir) {
		co_error_set(err, "no state directory given");
		return -1;
	}
	if (!p) {
		co_error_set(err, "%s: out of memory", dir);
		return -1;
	}
	for (char *s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			co_error_set(err, "cannot create state directory %s: %s", p, strerror(errno));
			rc = -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

char *journal_state_path(const char *dir, const char *release, const char *suffix,
			 struct co_error *err)
{
	/* A release name becomes a file name: keep it from climbing out of
	 * the state directory. */
	if (!dir || !*dir) {
		co_error_set(err, "no state directory given");
		return NULL;
	}
	if (!release || !*release || release[0] == '.' || strchr(release, '/')) {
		co_error_set(err, "release name \"%s\" cannot name a state file",
			     release ? release : "");
		return NULL;
	}
	size_t n = strlen(dir) + strlen(release) + strlen(suffix) + 3;
	char *path = malloc(n);
	if (!path) {
		co_error_set(err, "%s: out of memory", release);
		return NULL;
	}
	snprintf(path, n, "%s/%s.%s", dir, release, suffix);
	return path;
}

void journal_default_actor(char *out, size_t cap)
{
	char host[256] = "localhost";
	char buf[1024];
	struct passwd pw, *res = NULL;
	uid_t uid = geteuid();

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, cap, "%s@%s", pw.pw_name, host);
	else
		snprintf(out, cap, "uid%ld@%s", (long)uid, host);
}

/* Makes the directory entry of a new file durable: without it a crash can
 * lose the file even though its contents were fsync'ed. */
int jfsync_dir(const char *dir, struct co_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		co_error_set(err, "%s: fsync: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void journal_time_iso(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, cap, "%s.%03ldZ", base, ts.tv_nsec / 1000000L);
}
