/* exec_run: runs external tools for the exec router driver: no shell, argv
 * exactly as given, output captured within bounds, and a deadline that
 * kills the tool's whole process group. Private to src/. */
#ifndef CUTOVER_EXEC_RUN_H
#define CUTOVER_EXEC_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What is kept of a tool's output. A tool that says more is drained (so it
 * never blocks on a full pipe) but the rest is dropped and cut is set. */
#define EXEC_OUT_MAX (64 * 1024)
#define EXEC_ERR_MAX (16 * 1024)

/* Most tools run at once by one exec_run call. */
#define EXEC_PARALLEL_MAX 64

enum exec_end {
	EXEC_PENDING,		/* not started, or still running */
	EXEC_EXITED,		/* code is the exit status */
	EXEC_SIGNALED,		/* code is the signal that ended it */
	EXEC_TIMED_OUT,		/* its group was killed at the deadline */
	EXEC_SPAWN_FAILED,	/* code is the errno: not found, not executable... */
};

struct exec_buf {
	char *data;		/* NUL-terminated when not NULL */
	size_t len;
	size_t cap;
	bool cut;
};

struct exec_job {
	char *const *argv;	/* in: NULL-terminated; argv[0] is looked up in PATH as execvp does */
	char *const *envp;	/* in: the tool's environment, NULL-terminated; NULL: ours */
	enum exec_end end;	/* out */
	int code;		/* out: see enum exec_end */
	struct exec_buf out;	/* out: stdout, at most EXEC_OUT_MAX bytes */
	struct exec_buf err;	/* out: stderr, at most EXEC_ERR_MAX bytes */
	/* private */
	pid_t pid;
	int fd[3];		/* stdout, stderr, pidfd; -1 when closed */
	uint64_t deadline_ms;
	bool exited;		/* its pidfd said so */
};

/* Runs jobs[n], at most parallel at once (1: one after another, in order),
 * each with timeout_ms counted from its own start. Each tool is the leader
 * of a new process group with stdin on /dev/null, default signal handling
 * and an empty signal mask (worker threads block signals; tools must not
 * inherit that). When a tool ends, or at its deadline, whatever is left of
 * its group is killed before it is reaped, so no helper it started outlives
 * it or keeps its output open. Returns when every job has an end. */
void exec_run(struct exec_job *jobs, size_t n, size_t parallel, int timeout_ms);

/* What a tool said, fit for one error line: its first 3 non-blank lines
 * joined by " | ", blanks collapsed, control bytes as '?', words that look
 * like URLs passed through journal_redact_url (a tool that echoes its
 * endpoint must not put a password into the journal or on screen), and
 * "..." where cut to cap. */
void exec_excerpt(const char *text, size_t len, char *out, size_t cap);

/* Frees a job's buffers and makes it ready to run again. */
void exec_job_done(struct exec_job *job);

/* A placeholder of an argv template and its value: {"{service}", "api"}. */
struct exec_var {
	const char *name;
	const char *value;
};

/* argv from templates, each placeholder of vars replaced by its value in
 * every argument (an argument may hold several, and other text). A value
 * goes in as it is and is never scanned again, so a detail holding
 * "{release}" stays so; a {word} that is no placeholder is kept as
 * written. NULL-terminated and malloc'd (exec_argv_free); NULL when memory
 * ran out. */
char **exec_argv_expand(char *const *tmpl, const struct exec_var *vars, size_t n_vars);
void exec_argv_free(char **argv);	/* NULL: no-op */

#endif
