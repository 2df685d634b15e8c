/* Unit tests for the operator lock: one holder across processes, the holder
 * named to whoever is refused, and a dead holder's lock free again. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cutover/lock.h"

#define RELEASE "r1"

struct fx {
	char dir[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/cutover-lock-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/%s.lock", f->dir, RELEASE);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A child process that takes the lock and holds it: until the parent
 * writes to (or closes) the pipe, or for hold_ms when hold_ms > 0. */
struct holder {
	pid_t pid;
	int go;		/* write end: the child lets go when it reads */
};

static struct holder hold_in_child(const char *dir, const char *command, int hold_ms)
{
	int ready[2], go[2];
	char c = 0;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct lock *l = NULL;
		struct co_error err;
		close(ready[0]);
		close(go[1]);
		int rc = lock_acquire(dir, RELEASE, command, &l, NULL, &err);
		if (write(ready[1], rc == 0 ? "y" : "n", 1) != 1)
			_exit(2);
		if (hold_ms > 0) {
			struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		} else if (read(go[0], &c, 1) < 0) {
			_exit(3);
		}
		lock_release(l);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(c, 'y');
	return (struct holder){ pid, go[1] };
}

static void let_go(struct holder *h)
{
	int status;

	close(h->go);
	assert_int_equal(waitpid(h->pid, &status, 0), h->pid);
	assert_true(WIFEXITED(status) || WIFSIGNALED(status));
}

static void acquire_records_owner_that_readers_can_name(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct lock *l = NULL;
	struct lock_owner o;

	assert_int_equal(lock_acquire(f->dir, RELEASE, "cutover move api 25", &l, NULL, &err), 0);
	assert_non_null(l);
	assert_int_equal(lock_read_owner(f->dir, RELEASE, &o, &err), 1);
	assert_int_equal(o.pid, (long)getpid());
	assert_string_equal(o.command, "cutover move api 25");
	assert_non_null(strchr(o.actor, '@'));
	assert_int_equal(strlen(o.since), 24);
	lock_release(l);
	assert_int_equal(lock_read_owner(f->dir, RELEASE, &o, &err), 0);
}

static void lock_file_is_private(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct lock *l = NULL;
	struct stat st;

	assert_int_equal(lock_acquire(f->dir, RELEASE, "x", &l, NULL, &err), 0);
	assert_int_equal(stat(lock_path(l), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	lock_release(l);
}

static void read_owner_of_a_never_taken_lock_says_free(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct lock_owner o;

	assert_int_equal(lock_read_owner(f->dir, RELEASE, &o, &err), 0);
}

static void second_acquire_in_another_process_is_refused_with_holder_named(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct lock *l = NULL;
	struct lock_owner o;
	struct holder h = hold_in_child(f->dir, "cutover move web 50", 0);

	assert_int_equal(lock_acquire(f->dir, RELEASE, "me", &l, &o, &err), 1);
	assert_null(l);
	assert_int_equal(o.pid, (long)h.pid);
	assert_string_equal(o.command, "cutover move web 50");
	assert_non_null(strchr(o.actor, '@'));
	let_go(&h);
	assert_int_equal(lock_acquire(f->dir, RELEASE, "me", &l, &o, &err), 0);
	lock_release(l);
}

static void second_acquire_in_the_same_process_is_refused(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct lock *a = NULL, *b = NULL;
	struct lock_owner o;

	assert_int_equal(lock_acquire(f->dir, RELEASE, "first", &a, NULL, &err), 0);
	assert_int_equal(lock_acquire(f->dir, RELEASE, "second", &b, &o, &err), 1);
	assert_string_equal(o.command, "first");
	lock_release(a);
}

static void released_lock_can_be_taken_again(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct lock *l = NULL;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(lock_acquire(f->dir, RELEASE, "again", &l, NULL, &err), 0);
		lock_release(l);
	}
}

static void lock_held_by_a_killed_child_is_free_again(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct lock *l = NULL;
	struct lock_owner o;
	int status;
	struct holder h = hold_in_child(f->dir, "doomed", 0);

	assert_int_equal(kill(h.pid, SIGKILL), 0);
	assert_int_equal(waitpid(h.pid, &status, 0), h.pid);
	assert_true(WIFSIGNALED(status));
	close(h.go);
	/* The file still names the dead child; flock knows better. */
	assert_int_equal(lock_read_owner(f->dir, RELEASE, &o, &err), 0);
	assert_int_equal(lock_acquire(f->dir, RELEASE, "heir", &l, &o, &err), 0);
	assert_int_equal(lock_read_owner(f->dir, RELEASE, &o, &err), 1);
	assert_string_equal(o.command, "heir");
	lock_release(l);
}

static void acquire_wait_takes_the_lock_once_the_holder_lets_go(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct lock *l = NULL;
	struct lock_owner o;
	int status;
	struct holder h = hold_in_child(f->dir, "brief", 300);

	assert_int_equal(lock_acquire_wait(f->dir, RELEASE, "patient", 50, &l, &o, &err), 1);
	assert_string_equal(o.command, "brief");
	assert_int_equal(lock_acquire_wait(f->dir, RELEASE, "patient", 5000, &l, &o, &err), 0);
	lock_release(l);
	close(h.go);
	assert_int_equal(waitpid(h.pid, &status, 0), h.pid);
}

static void acquire_refuses_a_release_name_with_a_slash(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct lock *l = NULL;

	assert_int_equal(lock_acquire(f->dir, "a/b", "x", &l, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "a/b"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(acquire_records_owner_that_readers_can_name),
		T(lock_file_is_private),
		T(read_owner_of_a_never_taken_lock_says_free),
		T(second_acquire_in_another_process_is_refused_with_holder_named),
		T(second_acquire_in_the_same_process_is_refused),
		T(released_lock_can_be_taken_again),
		T(lock_held_by_a_killed_child_is_free_again),
		T(acquire_wait_takes_the_lock_once_the_holder_lets_go),
		T(acquire_refuses_a_release_name_with_a_slash),
	};
	size_t total = sizeof(tests) / sizeof(tests[0]);
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	printf("%zu passed, %d failed\n", total - (size_t)failed, failed);
	return failed;
}
