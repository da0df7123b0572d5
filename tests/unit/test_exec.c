/*
 * test_exec: the process execution module against real children: exit codes and
 * signals, the scrubbed environment, no inherited descriptors, stdin /dev/null,
 * default signal dispositions, the deadline with SIGTERM then SIGKILL to the whole
 * group, leftover group members, a 1 GiB flood, concurrent runs, and resolution.
 * Helper children live in tests/scripts (run directly by execve, never via a shell
 * command line).
 */
#include "harness.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_BYTES (UINT64_C(1) << 30)

/* Absolute path of a helper under tests/scripts. */
static const char *script(const char *name)
{
	static char dir[PATH_MAX];
	static char path[PATH_MAX + 64];
	const char *tests = getenv("RBD_TESTS");

	if (!dir[0] && !realpath(tests ? tests : "tests", dir)) {
		fprintf(stderr, "  cannot find the tests directory\n");
		abort();
	}
	snprintf(path, sizeof(path), "%s/scripts/%s", dir, name);
	return path;
}

static struct rbd_exec_opts opts_for(const char *const *argv)
{
	struct rbd_exec_opts o;

	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.timeout_ms = 10000;
	o.grace_ms = 500;
	o.output_cap = 64 * 1024;
	return o;
}

static void record_pid(void *ctx, pid_t pid)
{
	*(pid_t *)ctx = pid;
}

static long maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Makes orphans of the test's children come back to us, so that the test can
 * see how they ended and reap them (pid 1 here may not reap at all). */
static void become_subreaper(int on)
{
	prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)on, 0UL, 0UL, 0UL);
	/* Reap what was handed to us (the script's own foreground sleep): nothing
	 * else of ours runs now, so waitpid(-1) takes no one else's child. */
	if (!on)
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
}

/* Waits up to 3 s for an orphan handed to us and reaps it; returns its wait
 * status, or -1 when it is still running (or not ours). */
static int reap_orphan(pid_t pid)
{
	int status;

	for (int i = 0; i < 300; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

static pid_t read_pidfile(const char *path)
{
	char *s = rbd_test_slurp(path, NULL);
	long v = 0;

	if (!s)
		return -1;
	v = strtol(s, NULL, 10);
	free(s);
	return (pid_t)v;
}

static int gone(pid_t pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH;
}

static void test_exec__flood_capped_memory_flat(void)
{
	const char *argv[] = { "/usr/bin/head", "-c", "1073741824", "/dev/zero", NULL };
	struct rbd_exec_opts o = opts_for(argv);
	struct rbd_exec_result r;
	long before, after;
	size_t zeros = 0;

	o.timeout_ms = 60000;
	before = maxrss_kb();
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	after = maxrss_kb();
	CHECK(r.exited);
	CHECK_INT(r.exit_code, 0);
	CHECK(!r.timed_out);
	CHECK_INT(r.output_len, o.output_cap);
	CHECK(r.output_total == FLOOD_BYTES);
	for (size_t i = 0; i < r.output_len; i++)
		zeros += r.output[i] == '\0';
	CHECK_INT(zeros, o.output_cap);
	CHECK(after - before < 4096);
	fprintf(stderr, "  flood: 1 GiB in %lld ms, max RSS %ld -> %ld KiB\n",
		(long long)r.duration_ms, before, after);
	rbd_exec_result_clear(&r);
}

static void test_exec__exit_codes(void)
{
	const char *argv0[] = { script("echo-exit.sh"), "hello", "0", NULL };
	struct rbd_exec_opts o = opts_for(argv0);
	struct rbd_exec_result r;
	pid_t pid = 0;

	o.on_spawn = record_pid;
	o.ctx = &pid;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(pid > 0);
	CHECK(r.exited);
	CHECK_INT(r.exit_code, 0);
	CHECK_INT(r.term_signal, 0);
	CHECK(!r.timed_out);
	CHECK_STR(r.output, "hello");
	CHECK_INT(r.output_len, 5);
	CHECK(r.output_total == 5);
	CHECK(r.duration_ms >= 0 && r.duration_ms < 5000);
	rbd_exec_result_clear(&r);
	CHECK(r.output == NULL);

	const char *argv3[] = { script("echo-exit.sh"), "three", "3", NULL };
	o.argv = argv3;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(r.exited);
	CHECK_INT(r.exit_code, 3);
	CHECK_STR(r.output, "three");
	rbd_exec_result_clear(&r);
}

static void test_exec__signal_recorded(void)
{
	const char *argv[] = { script("kill-self.sh"), NULL };
	struct rbd_exec_opts o = opts_for(argv);
	struct rbd_exec_result r;

	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(!r.exited);
	CHECK_INT(r.term_signal, SIGKILL);
	CHECK(!r.timed_out);
	rbd_exec_result_clear(&r);
}

static void test_exec__env_built_from_nothing(void)
{
	const char *argv[] = { "/usr/bin/env", NULL };
	const char *custom[] = { "ONLY=this", NULL };
	struct rbd_exec_opts o = opts_for(argv);
	struct rbd_exec_result r;

	setenv("RBD_CANARY", "canary-3f9a1c", 1);
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK_INT(r.exit_code, 0);
	/* env prints its environ exactly: nothing else may be there. */
	CHECK_STR(r.output, "PATH=" RBD_EXEC_DEFAULT_PATH "\nLANG=C.UTF-8\nHOME=/\n");
	CHECK(!strstr(r.output, "canary-3f9a1c"));
	CHECK(!strstr(r.output, "RBD_CANARY"));
	rbd_exec_result_clear(&r);

	o.envp = custom;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK_STR(r.output, "ONLY=this\n");
	rbd_exec_result_clear(&r);
	unsetenv("RBD_CANARY");
}

/* Parses `ls -l` output: fills target[fd] for every "N -> target" line. */
static int parse_fd_listing(char *out, char targets[][256], int max)
{
	int count = 0;

	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char *arrow = strstr(line, " -> ");
		char *name;
		long fd;

		if (!arrow)
			continue;
		*arrow = '\0';
		name = strrchr(line, ' ');
		fd = name ? strtol(name + 1, NULL, 10) : -1;
		if (fd < 0 || fd >= max)
			return -1;
		snprintf(targets[fd], 256, "%s", arrow + 4);
		count++;
	}
	return count;
}

static void test_exec__only_stdio_descriptors(void)
{
	const char *argv[] = { "/bin/ls", "-l", "/proc/self/fd", NULL };
	struct rbd_exec_opts o = opts_for(argv);
	struct rbd_exec_result r;
	char targets[512][256];
	char lsdir[64];
	int leak[6], p[2], n;
	pid_t pid = 0;

	/* Descriptors the way a careless library would leave them: no CLOEXEC,
	 * low and high numbers, files, a socket, a pipe. */
	leak[0] = open("/dev/null", O_RDONLY);
	leak[1] = open("/etc/passwd", O_RDONLY);
	leak[2] = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(pipe(p) == 0);
	leak[3] = p[0];
	leak[4] = p[1];
	leak[5] = dup2(leak[0], 300);
	for (int i = 0; i < 6; i++)
		REQUIRE(leak[i] >= 3);

	o.on_spawn = record_pid;
	o.ctx = &pid;
	memset(targets, 0, sizeof(targets));
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK_INT(r.exit_code, 0);
	n = parse_fd_listing(r.output, targets, 512);
	/* 0, 1, 2, and 3: the directory ls itself is reading. */
	CHECK_INT(n, 4);
	CHECK_STR(targets[0], "/dev/null");
	CHECK(strncmp(targets[1], "pipe:[", 6) == 0);
	CHECK_STR(targets[1], targets[2]);
	snprintf(lsdir, sizeof(lsdir), "/proc/%ld/fd", (long)pid);
	CHECK_STR(targets[3], lsdir);
	/* Fd 3 is accounted for above (ls's own directory). */
	for (int i = 0; i < 6; i++)
		CHECK(leak[i] == 3 || targets[leak[i]][0] == '\0');
	rbd_exec_result_clear(&r);
	for (int i = 0; i < 6; i++)
		close(leak[i]);
}

static void test_exec__stdin_is_dev_null(void)
{
	const char *argv[] = { "/bin/cat", NULL };
	struct rbd_exec_opts o = opts_for(argv);
	struct rbd_exec_result r;
	int saved = dup(0), p[2];

	/* Our own stdin becomes a pipe nobody writes to: a child that inherited it
	 * would block until the deadline. */
	REQUIRE(saved >= 0 && pipe(p) == 0);
	REQUIRE(dup2(p[0], 0) == 0);
	o.timeout_ms = 3000;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(r.exited);
	CHECK_INT(r.exit_code, 0);
	CHECK(!r.timed_out);
	CHECK_INT(r.output_len, 0);
	CHECK_STR(r.output, "");
	CHECK(r.duration_ms < 2000);
	rbd_exec_result_clear(&r);
	dup2(saved, 0);
	close(saved);
	close(p[0]);
	close(p[1]);
}

#define GLIBC_INTERNAL ((1ULL << 31) | (1ULL << 32))

static unsigned long long status_mask(const char *status, const char *field)
{
	const char *s = strstr(status, field);

	return s ? strtoull(s + strlen(field), NULL, 16) : ~0ULL;
}

static void test_exec__default_signals_in_child(void)
{
	const char *cat[] = { "/bin/cat", "/proc/self/status", NULL };
	const char *pipecheck[] = { script("sigpipe-check.sh"), NULL };
	struct rbd_exec_opts o = opts_for(cat);
	struct rbd_exec_result r;
	sigset_t usr1, old;
	void (*prev)(int);

	/* The service ignores SIGPIPE; a thread may block signals. */
	prev = signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);

	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK_INT(r.exit_code, 0);
	/* Signals 32 and 33 are glibc's own (thread cancel, setxid): its sigaction()
	 * refuses to touch them, so when the test itself inherits them ignored (make
	 * does that) they stay so; every program that uses them resets them itself. */
	CHECK((status_mask(r.output, "\nSigIgn:") & ~GLIBC_INTERNAL) == 0);
	CHECK(status_mask(r.output, "\nSigBlk:") == 0);
	CHECK((status_mask(r.output, "\nSigIgn:") & (1ULL << (SIGPIPE - 1))) == 0);
	rbd_exec_result_clear(&r);

	/* And behaviourally: a writer whose reader quit dies of SIGPIPE. */
	o.argv = pipecheck;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK_INT(r.exit_code, 0);
	CHECK_STR(r.output, "141\n");
	rbd_exec_result_clear(&r);

	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, prev);
}

static void test_exec__timeout_kills_group(void)
{
	char pidfile[] = "/tmp/rbd-exec-gcXXXXXX";
	const char *argv[] = { script("ignore-term-grandchild.sh"), pidfile, NULL };
	struct rbd_exec_opts o = opts_for(argv);
	struct rbd_exec_result r;
	pid_t pid = 0, gpid;
	int fd, status;

	fd = mkstemp(pidfile);
	REQUIRE(fd >= 0);
	close(fd);
	unlink(pidfile);
	become_subreaper(1);
	o.timeout_ms = 400;
	o.grace_ms = 400;
	o.on_spawn = record_pid;
	o.ctx = &pid;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(r.timed_out);
	CHECK(!r.exited);
	/* The script dies of SIGTERM at the deadline; the grandchild ignores it
	 * and holds the pipe until SIGKILL after the grace. */
	CHECK_INT(r.term_signal, SIGTERM);
	CHECK(r.duration_ms >= 800);
	CHECK(r.duration_ms < 3000);
	CHECK(gone(pid));
	gpid = read_pidfile(pidfile);
	REQUIRE(gpid > 0);
	status = reap_orphan(gpid);
	CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(gone(gpid));
	if (status == -1) {
		kill(gpid, SIGKILL);
		reap_orphan(gpid);
	}
	become_subreaper(0);
	rbd_exec_result_clear(&r);
	unlink(pidfile);
}

static void test_exec__timeout_term_then_kill(void)
{
	char pidfile[] = "/tmp/rbd-exec-tiXXXXXX";
	const char *sleeper[] = { "/bin/sleep", "60", NULL };
	const char *ignorer[] = { script("term-ignorer.sh"), pidfile, NULL };
	struct rbd_exec_opts o = opts_for(sleeper);
	struct rbd_exec_result r;
	int fd;

	/* A child that honours SIGTERM ends at the deadline, not after the grace. */
	o.timeout_ms = 300;
	o.grace_ms = 2000;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(r.timed_out);
	CHECK_INT(r.term_signal, SIGTERM);
	CHECK(r.duration_ms >= 300 && r.duration_ms < 1500);
	rbd_exec_result_clear(&r);

	/* One that ignores it is killed with SIGKILL once the grace is over. */
	fd = mkstemp(pidfile);
	REQUIRE(fd >= 0);
	close(fd);
	unlink(pidfile);
	o.argv = ignorer;
	o.timeout_ms = 300;
	o.grace_ms = 300;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(r.timed_out);
	CHECK_INT(r.term_signal, SIGKILL);
	CHECK(r.duration_ms >= 600 && r.duration_ms < 2500);
	rbd_exec_result_clear(&r);
	unlink(pidfile);
}

/* A child that exits 0 but leaves a sleeper in its group. */
static void run_leftover(const char *mode, int64_t max_ms)
{
	char pidfile[] = "/tmp/rbd-exec-bgXXXXXX";
	const char *argv[] = { script("bg-and-exit.sh"), pidfile, mode, NULL };
	struct rbd_exec_opts o = opts_for(argv);
	struct rbd_exec_result r;
	char expect[64];
	pid_t gpid;
	int fd, status;

	fd = mkstemp(pidfile);
	REQUIRE(fd >= 0);
	close(fd);
	unlink(pidfile);
	become_subreaper(1);
	o.timeout_ms = 20000;
	o.linger_ms = 300;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(r.exited);
	CHECK_INT(r.exit_code, 0);
	CHECK(!r.timed_out);
	CHECK(r.duration_ms < max_ms);
	snprintf(expect, sizeof(expect), "left %s behind\n", mode);
	CHECK_STR(r.output, expect);
	gpid = read_pidfile(pidfile);
	REQUIRE(gpid > 0);
	status = reap_orphan(gpid);
	CHECK(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(gone(gpid));
	if (status == -1) {
		kill(gpid, SIGKILL);
		reap_orphan(gpid);
	}
	become_subreaper(0);
	rbd_exec_result_clear(&r);
	unlink(pidfile);
}

static void test_exec__leftover_holding_output_is_killed(void)
{
	/* The sleeper holds the pipe: bounded by the linger, not its 60 s. */
	run_leftover("hold", 2500);
}

static void test_exec__leftover_detached_is_killed(void)
{
	run_leftover("detach", 2000);
}

static void test_exec__output_capped_exactly(void)
{
	const char *argv[] = { "/usr/bin/seq", "1", "100000", NULL };
	struct rbd_exec_opts o = opts_for(argv);
	struct rbd_exec_result r;
	struct rbd_buf want = RBD_BUF_INIT(0);

	for (int i = 1; i <= 100000; i++)
		rbd_buf_printf(&want, "%d\n", i);
	o.output_cap = 100;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK_INT(r.exit_code, 0);
	CHECK_INT(r.output_len, 100);
	CHECK_INT(strlen(r.output), 100);
	CHECK(memcmp(r.output, want.data, 100) == 0);
	CHECK(r.output_total == want.len);
	rbd_exec_result_clear(&r);

	o.output_cap = 0;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK_STR(r.output, "");
	CHECK(r.output_total == want.len);
	rbd_exec_result_clear(&r);
	rbd_buf_free(&want);
}

static void test_exec__missing_program(void)
{
	const char *missing[] = { "/nonexistent/runbookd-no-such-program", "secret-arg", NULL };
	char plain[] = "/tmp/rbd-exec-nxXXXXXX";
	const char *noexec[] = { plain, NULL };
	const char *relative[] = { "bin/true", NULL };
	struct rbd_exec_opts o = opts_for(missing);
	struct rbd_exec_result r;
	int fd;

	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(r.exited);
	CHECK_INT(r.exit_code, 127);
	/* A fixed line: neither the path nor the arguments. */
	CHECK_STR(r.output, "runbookd: execve failed, errno 2\n");
	rbd_exec_result_clear(&r);

	/* A file without any execute bit: EACCES, also for root. */
	fd = mkstemp(plain);
	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(chmod(plain, 0644) == 0);
	o.argv = noexec;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK_INT(r.exit_code, 127);
	CHECK_STR(r.output, "runbookd: execve failed, errno 13\n");
	rbd_exec_result_clear(&r);
	unlink(plain);

	o.argv = relative;
	CHECK_INT(rbd_exec_run(&r, &o), RBD_EINVAL);
	CHECK(r.output == NULL);
	o.argv = missing;
	o.timeout_ms = 0;
	CHECK_INT(rbd_exec_run(&r, &o), RBD_EINVAL);
}

static void test_exec__sigchld_ignored_is_an_error(void)
{
	const char *argv[] = { script("echo-exit.sh"), "x", "0", NULL };
	struct rbd_exec_opts o = opts_for(argv);
	struct rbd_exec_result r;

	/* The kernel then reaps the child itself: report it, do not hang. */
	signal(SIGCHLD, SIG_IGN);
	CHECK_INT(rbd_exec_run(&r, &o), RBD_EIO);
	CHECK(strstr(rbd_err_msg(), "lost track of child") != NULL);
	CHECK(r.output == NULL);
	signal(SIGCHLD, SIG_DFL);
}

struct worker {
	const char *prog;
	int id;
	int runs;
	int failures;
	bool slow;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->runs; i++) {
		char text[32], code[8];
		const char *fast[] = { w->prog, text, code, NULL };
		const char *slow[] = { "/bin/sleep", "30", NULL };
		struct rbd_exec_opts o;
		struct rbd_exec_result r;

		snprintf(text, sizeof(text), "worker-%d-run-%d", w->id, i);
		snprintf(code, sizeof(code), "%d", (w->id * 10 + i) % 100);
		memset(&o, 0, sizeof(o));
		o.argv = w->slow ? slow : fast;
		o.timeout_ms = w->slow ? 300 : 10000;
		o.grace_ms = 200;
		o.output_cap = 1024;
		if (rbd_exec_run(&r, &o) != 0) {
			w->failures++;
			continue;
		}
		if (w->slow) {
			if (!r.timed_out || r.term_signal != SIGTERM)
				w->failures++;
		} else if (!r.exited || r.exit_code != (w->id * 10 + i) % 100 ||
			   strcmp(r.output, text) != 0) {
			w->failures++;
		}
		rbd_exec_result_clear(&r);
	}
	return NULL;
}

static void test_exec__concurrent_runs(void)
{
	static char prog[PATH_MAX + 64];
	struct worker w[3] = {
		{ prog, 1, 15, 0, false },
		{ prog, 2, 15, 0, false },
		{ prog, 3, 3, 0, true },
	};
	pthread_t t[3];

	/* script() uses a static buffer: the workers get their own copy. */
	snprintf(prog, sizeof(prog), "%s", script("echo-exit.sh"));
	for (int i = 0; i < 3; i++)
		REQUIRE(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 3; i++)
		CHECK_INT(w[i].failures, 0);
}

static void write_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd >= 0) {
		if (write(fd, "#!/bin/sh\n", 10) != 10)
			fprintf(stderr, "  short write to %s\n", path);
		close(fd);
	}
	chmod(path, mode);
}

/* should_cancel: asked while the child runs; true ends it like a deadline, but
 * reported as cancelled (not timed_out); never asked when NULL. */
static bool cancel_after(void *ctx)
{
	int *calls = ctx;

	return ++*calls >= 3;
}

static bool never_cancel(void *ctx)
{
	int *calls = ctx;

	++*calls;
	return false;
}

static void test_exec__should_cancel(void)
{
	const char *sleeper[] = { "/bin/sleep", "60", NULL };
	/* Long enough to be asked at least once: a child that is already gone
	 * when supervision starts is never asked, and that is right. */
	const char *quick[] = { "/bin/sh", "-c", "sleep 0.2; echo out; exit 3", NULL };
	struct rbd_exec_opts o = opts_for(sleeper);
	struct rbd_exec_result r;
	int calls = 0;

	o.timeout_ms = 30000;
	o.grace_ms = 500;
	o.should_cancel = cancel_after;
	o.cancel_ctx = &calls;
	o.cancel_poll_ms = 50;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(r.cancelled);
	CHECK(!r.timed_out);
	CHECK(!r.exited);
	CHECK_INT(r.term_signal, SIGTERM);
	CHECK_INT(calls, 3);
	CHECK(r.duration_ms >= 100);
	CHECK(r.duration_ms < 3000);
	rbd_exec_result_clear(&r);

	/* asked, never true: runs to its own end */
	o = opts_for(quick);
	calls = 0;
	o.should_cancel = never_cancel;
	o.cancel_ctx = &calls;
	o.cancel_poll_ms = 50;
	REQUIRE(rbd_exec_run(&r, &o) == 0);
	CHECK(!r.cancelled);
	CHECK(r.exited);
	CHECK_INT(r.exit_code, 3);
	CHECK(calls >= 1);
	CHECK_STR(r.output, "out\n");
	rbd_exec_result_clear(&r);

	o.cancel_poll_ms = -1;
	CHECK_INT(rbd_exec_run(&r, &o), RBD_EINVAL);
}

static void test_exec__resolve(void)
{
	char a[] = "/tmp/rbd-exec-paXXXXXX", b[] = "/tmp/rbd-exec-pbXXXXXX";
	char f[PATH_MAX], want[PATH_MAX], path[2 * PATH_MAX + 64];
	char *out = NULL, *saved_path;
	int cwd;

	REQUIRE(mkdtemp(a) && mkdtemp(b));
	/* a/tool is not executable, a/tooldir is a directory; b/tool is the one. */
	snprintf(f, sizeof(f), "%s/tool", a);
	write_file(f, 0644);
	snprintf(f, sizeof(f), "%s/tooldir", a);
	mkdir(f, 0755);
	snprintf(f, sizeof(f), "%s/tool", b);
	write_file(f, 0755);
	snprintf(want, sizeof(want), "%s/tool", b);

	snprintf(path, sizeof(path), "/nonexistent:%s:%s", a, b);
	CHECK_INT(rbd_exec_resolve(&out, "tool", path), 0);
	CHECK_STR(out, want);
	free(out);
	snprintf(path, sizeof(path), "%s/", b);
	CHECK_INT(rbd_exec_resolve(&out, "tool", path), 0);
	CHECK_STR(out, want);
	free(out);
	snprintf(path, sizeof(path), "%s", a);
	CHECK_INT(rbd_exec_resolve(&out, "tool", path), RBD_ENOTFOUND);
	CHECK(out == NULL);
	CHECK_INT(rbd_exec_resolve(&out, "tooldir", path), RBD_ENOTFOUND);

	/* Empty and relative entries are never searched, even when they hold it. */
	cwd = open(".", O_RDONLY | O_DIRECTORY);
	REQUIRE(cwd >= 0 && chdir(b) == 0);
	CHECK_INT(rbd_exec_resolve(&out, "tool", ":.:./"), RBD_ENOTFOUND);
	CHECK(fchdir(cwd) == 0);
	close(cwd);

	/* NULL means the process's PATH. */
	saved_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	setenv("PATH", b, 1);
	CHECK_INT(rbd_exec_resolve(&out, "tool", NULL), 0);
	CHECK_STR(out, want);
	free(out);
	if (saved_path)
		setenv("PATH", saved_path, 1);
	free(saved_path);

	CHECK_INT(rbd_exec_resolve(&out, "sh", "/usr/bin:/bin"), 0);
	CHECK(out && out[0] == '/' && access(out, X_OK) == 0);
	free(out);
	CHECK_INT(rbd_exec_resolve(&out, "/bin/sh", NULL), 0);
	CHECK_STR(out, "/bin/sh");
	free(out);
	CHECK_INT(rbd_exec_resolve(&out, "/nonexistent/tool", NULL), RBD_ENOTFOUND);
	CHECK_INT(rbd_exec_resolve(&out, "/tmp", NULL), RBD_ENOTFOUND);
	CHECK_INT(rbd_exec_resolve(&out, f, NULL), 0);
	free(out);
	CHECK_INT(rbd_exec_resolve(&out, "sub/tool", "/usr/bin"), RBD_EINVAL);
	CHECK_INT(rbd_exec_resolve(&out, "./tool", "/usr/bin"), RBD_EINVAL);
	CHECK_INT(rbd_exec_resolve(&out, "", "/usr/bin"), RBD_EINVAL);
	CHECK(out == NULL);

	snprintf(f, sizeof(f), "%s/tool", a);
	unlink(f);
	snprintf(f, sizeof(f), "%s/tooldir", a);
	rmdir(f);
	snprintf(f, sizeof(f), "%s/tool", b);
	unlink(f);
	rmdir(a);
	rmdir(b);
}

/* Field 22 of /proc/PID/stat, split by hand here: the start time the crash recovery
 * compares; a process named with spaces and parentheses does not confuse it. */
static long long stat_field22(pid_t pid)
{
	char path[64];
	char *text, *p, *tok, *save = NULL;
	long long v = -1;
	int field = 2;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	text = rbd_test_slurp(path, NULL);
	if (!text)
		return -1;
	p = strrchr(text, ')');
	for (tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (++field == 22) {
			v = strtoll(tok, NULL, 10);
			break;
		}
	free(text);
	return v;
}

static void test_exec__start_time_and_orphan_kill(void)
{
	pid_t child;
	int status;

	CHECK(rbd_exec_start_time(getpid()) > 0);
	CHECK_INT(rbd_exec_start_time(getpid()), stat_field22(getpid()));
	child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, "a) b (c", 0, 0, 0);
		setsid();
		pause();
		_exit(0);
	}
	REQUIRE(child > 0);
	for (int i = 0; i < 200; i++) {   /* until the child has renamed itself */
		char path[64], *comm;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)child);
		comm = rbd_test_slurp(path, NULL);
		if (comm && strncmp(comm, "a) b (c", 7) == 0) {
			free(comm);
			break;
		}
		free(comm);
		usleep(5000);
	}
	CHECK_INT(rbd_exec_start_time(child), stat_field22(child));
	CHECK_INT(rbd_exec_kill_orphan(child, rbd_exec_start_time(child) + 1), 0);   /* not it */
	CHECK_INT(kill(child, 0), 0);
	CHECK_INT(rbd_exec_kill_orphan(child, rbd_exec_start_time(child)), 1);
	CHECK_INT(waitpid(child, &status, 0), child);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_INT(rbd_exec_kill_orphan(child, 12345), 0);   /* gone */
	CHECK_INT(rbd_exec_kill_orphan(1, 1), 0);           /* never init */
}

static const struct rbd_test_case cases[] = {
	/* First, while the process's peak RSS is still small. */
	RBD_TEST(test_exec__flood_capped_memory_flat),
	RBD_TEST(test_exec__exit_codes),
	RBD_TEST(test_exec__signal_recorded),
	RBD_TEST(test_exec__env_built_from_nothing),
	RBD_TEST(test_exec__only_stdio_descriptors),
	RBD_TEST(test_exec__stdin_is_dev_null),
	RBD_TEST(test_exec__default_signals_in_child),
	RBD_TEST(test_exec__timeout_kills_group),
	RBD_TEST(test_exec__timeout_term_then_kill),
	RBD_TEST(test_exec__leftover_holding_output_is_killed),
	RBD_TEST(test_exec__leftover_detached_is_killed),
	RBD_TEST(test_exec__output_capped_exactly),
	RBD_TEST(test_exec__missing_program),
	RBD_TEST(test_exec__sigchld_ignored_is_an_error),
	RBD_TEST(test_exec__concurrent_runs),
	RBD_TEST(test_exec__should_cancel),
	RBD_TEST(test_exec__resolve),
	RBD_TEST(test_exec__start_time_and_orphan_kill),
};

RBD_TEST_MAIN(cases)
