/*
 * exec: runs one action process and supervises it to the end. The child receives an
 * argv vector through execve (never a shell), an environment built from nothing,
 * stdin from /dev/null, stdout and stderr on one pipe, no other descriptor, default
 * signal dispositions and an empty mask, and its own session and process group.
 * The parent keeps the first output_cap bytes, drains and counts the rest, and at
 * the deadline sends SIGTERM to the whole group, then SIGKILL after the grace.
 *
 * Must never: run a shell, pass the service's environment or descriptors on, call
 * anything but async-signal-safe functions between fork and execve, reap anything
 * but its own child (no SIGCHLD handler, no waitpid(-1)), signal a process group
 * after its leader was reaped, or return while the child's group may still be
 * alive. No global mutable state: several threads may run actions at once.
 */
#include "runbookd/exec.h"
#include "runbookd/buf.h"
#include "runbookd/err.h"
#include "runbookd/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXEC_DEFAULT_GRACE_MS  2000
#define EXEC_DEFAULT_LINGER_MS 1000
#define EXEC_DEFAULT_CANCEL_POLL_MS 250
/* After SIGKILL, how long to wait for the pipe to close: only a process that left
 * the group (setsid) can hold it longer, and it is not waited for. */
#define EXEC_KILL_DRAIN_MS     500
#define EXEC_MAX_MS            (INT64_C(30) * 24 * 3600 * 1000)
#define EXEC_CHUNK             (64 * 1024)
/* Reads per wake-up: a writer as fast as we are must not keep us from the clock. */
#define EXEC_READS_PER_WAKE    16
/* Without a pidfd, how often to look whether the child has exited. */
#define EXEC_POLL_FALLBACK_MS  20
#define EXEC_PIPE_SIZE         (1024 * 1024)
#define EXEC_FALLBACK_MAXFD    65536
#define EXEC_PATH_MAX          4096

/* posix_spawn with its closefrom file action (glibc 2.34+); fork otherwise. */
#if defined(__GLIBC__) && defined(POSIX_SPAWN_SETSID) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define EXEC_POSIX_SPAWN 1
#endif

static const char *const default_env[] = {
	"PATH=" RBD_EXEC_DEFAULT_PATH,
	"LANG=C.UTF-8",
	"HOME=/",
	NULL
};

/* Everything the child needs, prepared before fork: the child allocates nothing. */
struct child_plan {
	char *const *argv;
	char *const *envp;
	int devnull;        /* >= 3, close-on-exec */
	int out;            /* write end of the pipe, >= 3, close-on-exec */
	int maxfd;          /* bound for the last-resort close loop */
	sigset_t empty;
};

#ifndef EXEC_POSIX_SPAWN
/* The layout getdents64 returns. */
struct child_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* ---- child side (the fork path): async-signal-safe calls only ---- */

static int child_parse_fd(const char *s)
{
	int fd = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || fd > INT_MAX / 10 - 1)
			return -1;
		fd = fd * 10 + (*s - '0');
	}
	return fd;
}

/* Closes every descriptor >= 3 listed in /proc/self/fd; -1 when /proc is missing. */
static int child_close_via_proc(void)
{
	char buf[4096] __attribute__((aligned(8)));
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -1;
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));

		if (n < 0) {
			close(dfd);
			return -1;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			const struct child_dirent64 *d = (const void *)(buf + off);
			int fd = child_parse_fd(d->d_name);

			if (fd >= 3 && fd != dfd)
				close(fd);
			off += d->d_reclen;
		}
	}
	close(dfd);
	return 0;
}

static void child_close_from3(int maxfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
#endif
	if (child_close_via_proc() == 0)
		return;
	for (int fd = 3; fd <= maxfd; fd++)
		close(fd);
}

/* A fixed message with the errno number: nothing of argv or the environment. */
static void child_report(int err)
{
	static const char prefix[] = "runbookd: execve failed, errno ";
	char msg[sizeof(prefix) + 16];
	char digits[12];
	size_t n = sizeof(prefix) - 1, d = 0;
	unsigned int v = err > 0 ? (unsigned int)err : 0;

	memcpy(msg, prefix, n);
	do {
		digits[d++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && d < sizeof(digits));
	while (d)
		msg[n++] = digits[--d];
	msg[n++] = '\n';
	if (write(2, msg, n) < 0) {
		/* nothing to do: the exit code says it */
	}
}

static void child_exec(const struct child_plan *p) __attribute__((noreturn));
static void child_exec(const struct child_plan *p)
{
	struct sigaction dfl;

	/* Every signal is still blocked (the parent blocked them around fork), so no
	 * handler of the service can run here. Ignored dispositions survive execve:
	 * reset them all (SIGPIPE is ignored in the service). */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	if (setsid() == -1)
		_exit(127);
	if (dup2(p->devnull, 0) == -1 || dup2(p->out, 1) == -1 || dup2(p->out, 2) == -1)
		_exit(127);
	child_close_from3(p->maxfd);
	/* A signal sent before this point (an early deadline) is delivered here, with
	 * its default action. */
	sigprocmask(SIG_SETMASK, &p->empty, NULL);
	execve(p->argv[0], p->argv, p->envp);
	child_report(errno);
	_exit(127);
}
#endif

/* ---- parent side ---- */

/* Keeps the child's dup2 targets (0, 1, 2) free of our own descriptors, in case
 * the service runs with one of them closed. Returns the new fd, or -1. */
static int fd_above_stdio(int fd)
{
	int nfd;

	if (fd < 0 || fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Signals the child's process group. Only called while the child is unreaped
 * (running or a zombie), so neither its pid nor its group id can have been
 * reused. Until the child has called setsid() the group does not exist yet: then
 * the child itself is signalled (blocked there until just before execve, so the
 * signal still arrives).
 */
static void kill_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) == -1 && errno == ESRCH)
		kill(pid, sig);
}

/* 1 when the child has exited (left unreaped), 0 when not yet, -1 when lost. */
static int child_exited(pid_t pid)
{
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
			return si.si_pid == pid ? 1 : 0;
		if (errno != EINTR)
			return -1;
	}
}

struct capture {
	struct rbd_buf buf;
	size_t cap;
	uint64_t total;
	char *chunk;
};

/* Reads up to max_reads chunks. Returns 1 at end of file (or a read error), 0
 * when the pipe is empty for now. */
static int capture_read(struct capture *c, int fd, int max_reads)
{
	for (int i = 0; i < max_reads; i++) {
		ssize_t n = read(fd, c->chunk, EXEC_CHUNK);

		if (n > 0) {
			size_t room = c->cap - c->buf.len;
			size_t keep = (size_t)n < room ? (size_t)n : room;

			c->total += (uint64_t)n;
			if (keep)
				rbd_buf_append(&c->buf, c->chunk, keep);
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return 1;
	}
	return 0;
}

enum phase {
	PHASE_RUNNING,   /* until the deadline */
	PHASE_LINGER,    /* the child exited; others of its group may still write */
	PHASE_TERM,      /* SIGTERM sent at the deadline; until the grace ends */
	PHASE_KILLED     /* SIGKILL sent; waiting for the child and the pipe */
};

struct supervise {
	pid_t pid;
	int pidfd;          /* -1 without pidfd support */
	int rfd;
	int64_t deadline;
	int64_t grace_ms;
	int64_t linger_ms;
	bool timed_out;
	bool cancelled;
	bool lost;          /* someone else reaped the child: do not touch its pid */
	bool (*should_cancel)(void *ctx);   /* NULL: never asked */
	void *cancel_ctx;
	int64_t cancel_poll_ms;
};

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/*
 * Waits for the child to exit and its output to end, enforcing the deadline.
 * Returns 0 with the child exited but unreaped and the pipe read as far as it
 * will be; RBD_EIO when the child was lost (s->lost) or poll failed (the child
 * is then still ours to kill and reap).
 */
static int supervise_child(struct supervise *s, struct capture *cap)
{
	enum phase phase = PHASE_RUNNING;
	int64_t phase_end = s->deadline;
	int64_t next_ask = s->should_cancel ? rbd_mono_ms() : INT64_MAX;
	bool exited = false, pipe_open = true;

	for (;;) {
		int64_t now = rbd_mono_ms();
		struct pollfd pf[2];
		nfds_t n = 0;
		int64_t wait;
		int r;

		if (!exited) {
			r = child_exited(s->pid);
			if (r < 0) {
				s->lost = true;
				return rbd_err_set(RBD_EIO, "exec: lost track of child %ld: %s",
					(long)s->pid, strerror(errno));
			}
			if (r > 0) {
				exited = true;
				if (phase == PHASE_RUNNING) {
					phase = PHASE_LINGER;
					phase_end = min64(now + s->linger_ms, s->deadline);
				}
			}
		}
		if (exited && !pipe_open)
			return 0;
		/* Cancelled (its alert resolved): ended the way a deadline ends it. */
		if (phase == PHASE_RUNNING && now >= next_ask) {
			next_ask = now + s->cancel_poll_ms;
			if (s->should_cancel(s->cancel_ctx)) {
				kill_group(s->pid, SIGTERM);
				s->cancelled = true;
				phase = PHASE_TERM;
				phase_end = now + s->grace_ms;
				continue;
			}
		}
		if (now >= phase_end) {
			switch (phase) {
			case PHASE_RUNNING:
				kill_group(s->pid, SIGTERM);
				s->timed_out = true;
				phase = PHASE_TERM;
				phase_end = now + s->grace_ms;
				break;
			case PHASE_LINGER:
			case PHASE_TERM:
				kill_group(s->pid, SIGKILL);
				phase = PHASE_KILLED;
				phase_end = now + EXEC_KILL_DRAIN_MS;
				break;
			case PHASE_KILLED:
				/* The pipe is held by something that left the group. */
				if (exited)
					return 0;
				/* SIGKILL is pending on a child stuck in the kernel:
				 * it must still be reaped, keep waiting. */
				phase_end = now + EXEC_KILL_DRAIN_MS;
				break;
			}
			continue;
		}

		if (pipe_open) {
			pf[n].fd = s->rfd;
			pf[n].events = POLLIN;
			pf[n].revents = 0;
			n++;
		}
		if (!exited && s->pidfd >= 0) {
			pf[n].fd = s->pidfd;
			pf[n].events = POLLIN;
			pf[n].revents = 0;
			n++;
		}
		wait = phase_end - now;
		if (phase == PHASE_RUNNING && next_ask - now < wait)
			wait = next_ask - now;
		if (!exited && s->pidfd < 0 && wait > EXEC_POLL_FALLBACK_MS)
			wait = EXEC_POLL_FALLBACK_MS;
		if (wait > INT_MAX)
			wait = INT_MAX;
		r = poll(pf, n, (int)wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return rbd_err_set(RBD_EIO, "exec: poll: %s", strerror(errno));
		}
		if (pipe_open && pf[0].revents && capture_read(cap, s->rfd, EXEC_READS_PER_WAKE))
			pipe_open = false;
	}
}

static int check_opts(const struct rbd_exec_opts *o)
{
	if (!o || !o->argv || !o->argv[0])
		return rbd_err_set(RBD_EINVAL, "exec: empty argv");
	if (o->argv[0][0] != '/')
		return rbd_err_set(RBD_EINVAL, "exec: program path is not absolute");
	if (o->timeout_ms <= 0)
		return rbd_err_set(RBD_EINVAL, "exec: timeout must be positive");
	if (o->grace_ms < 0 || o->linger_ms < 0 || o->cancel_poll_ms < 0)
		return rbd_err_set(RBD_EINVAL, "exec: negative grace, linger or cancel poll");
	return 0;
}

/* The line the fork path's child writes when execve fails, as the whole result. */
static void exec_failed_result(struct rbd_exec_result *out, int err, size_t cap, int64_t ms)
{
	struct rbd_buf b = RBD_BUF_INIT(64);

	rbd_buf_printf(&b, "runbookd: execve failed, errno %d\n", err);
	out->exited = true;
	out->exit_code = 127;
	out->duration_ms = ms;
	out->output_total = b.len;
	if (b.len > cap)
		b.len = cap;
	out->output_len = b.len;
	out->output = rbd_buf_steal(&b);
}

/*
 * Starts the child of plan: 0 and *pid; a positive errno when execve failed (no child
 * is left); a negative RBD_E* code when no child could be made.
 *
 * glibc's posix_spawn clones with CLONE_VM|CLONE_VFORK onto a small stack of its own:
 * nothing of the parent's memory is copied, so the cost does not grow with the
 * service's threads and heap the way fork()'s page-table copy does (~5 ms from a
 * 40-thread process). The guarantees of the fork path are kept through the attributes:
 * its own session and process group (SETSID), every signal at its default action
 * (SETSIGDEF: SIGPIPE is ignored in the service) and an empty mask (SETSIGMASK;
 * glibc blocks every signal around the clone, so no handler of ours runs in the
 * child), stdin /dev/null and stdout/stderr on the pipe (dup2), nothing else open
 * (closefrom 3), and the scrubbed environment (posix_spawn, not spawnp: no PATH
 * search). It returns after execve, so the group exists when it returns.
 */
static int spawn_child(pid_t *pid, const struct child_plan *plan)
{
#ifdef EXEC_POSIX_SPAWN
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dfl;
	int err;

	sigfillset(&dfl);
	if (posix_spawn_file_actions_init(&fa) != 0)
		return rbd_err_set(RBD_EIO, "exec: posix_spawn_file_actions_init failed");
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rbd_err_set(RBD_EIO, "exec: posix_spawnattr_init failed");
	}
	err = posix_spawn_file_actions_adddup2(&fa, plan->devnull, 0);
	err = err ? err : posix_spawn_file_actions_adddup2(&fa, plan->out, 1);
	err = err ? err : posix_spawn_file_actions_adddup2(&fa, plan->out, 2);
	err = err ? err : posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	err = err ? err : posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF |
						   POSIX_SPAWN_SETSIGMASK);
	err = err ? err : posix_spawnattr_setsigdefault(&attr, &dfl);
	err = err ? err : posix_spawnattr_setsigmask(&attr, &plan->empty);
	if (err) {
		posix_spawnattr_destroy(&attr);
		posix_spawn_file_actions_destroy(&fa);
		return rbd_err_set(RBD_EIO, "exec: posix_spawn setup: %s", strerror(err));
	}
	err = posix_spawn(pid, plan->argv[0], &fa, &attr, plan->argv, plan->envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (err == 0)
		return 0;
	/* clone's own failures; anything else came from the child's execve */
	if (err == EAGAIN || err == ENOMEM || err == ENOSYS)
		return rbd_err_set(RBD_EIO, "exec: posix_spawn: %s", strerror(err));
	return err;
#else
	sigset_t all, old;
	int err;

	/* Blocked in this thread only; the child starts with this mask, so no
	 * handler of ours can run in it before the dispositions are reset. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	*pid = fork();
	if (*pid == 0)
		child_exec(plan);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (*pid < 0)
		return rbd_err_set(RBD_EIO, "exec: fork: %s", strerror(err));
	return 0;
#endif
}

int rbd_exec_run(struct rbd_exec_result *out, const struct rbd_exec_opts *opts)
{
	struct capture cap;
	struct supervise sv;
	struct child_plan plan;
	struct rlimit rl;
	int pfd[2] = { -1, -1 };
	int devnull = -1, pidfd = -1, status = 0, rc;
	int64_t start;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	memset(&cap, 0, sizeof(cap));
	rc = check_opts(opts);
	if (rc)
		return rc;

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		rc = rbd_err_set(RBD_EIO, "exec: pipe2: %s", strerror(errno));
		goto done;
	}
	pfd[0] = fd_above_stdio(pfd[0]);
	pfd[1] = fd_above_stdio(pfd[1]);
	devnull = fd_above_stdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (pfd[0] < 0 || pfd[1] < 0 || devnull < 0) {
		rc = rbd_err_set(RBD_EIO, "exec: descriptors: %s", strerror(errno));
		goto done;
	}
	if (fcntl(pfd[0], F_SETFL, O_NONBLOCK) == -1) {
		rc = rbd_err_set(RBD_EIO, "exec: fcntl: %s", strerror(errno));
		goto done;
	}
	/* Fewer wake-ups for chatty children; the default size works too. */
	(void)fcntl(pfd[0], F_SETPIPE_SZ, EXEC_PIPE_SIZE);

	memset(&plan, 0, sizeof(plan));
	plan.argv = (char *const *)opts->argv;
	plan.envp = (char *const *)(opts->envp ? opts->envp : default_env);
	plan.devnull = devnull;
	plan.out = pfd[1];
	plan.maxfd = EXEC_FALLBACK_MAXFD;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)INT_MAX)
		plan.maxfd = (int)rl.rlim_cur;
	sigemptyset(&plan.empty);
	cap.cap = opts->output_cap;
	rbd_buf_init(&cap.buf, opts->output_cap);
	cap.chunk = rbd_calloc(1, EXEC_CHUNK);

	start = rbd_mono_ms();
	rc = spawn_child(&pid, &plan);
	if (rc > 0) {
		/* execve failed in the child: the same result the fork path gives (its
		 * child writes this line and exits 127). */
		exec_failed_result(out, rc, opts->output_cap, rbd_mono_ms() - start);
		rc = 0;
		goto done;
	}
	if (rc < 0)
		goto done;
	close_fd(&pfd[1]);
	close_fd(&devnull);
	if (opts->on_spawn)
		opts->on_spawn(opts->ctx, pid);
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif

	memset(&sv, 0, sizeof(sv));
	sv.pid = pid;
	sv.pidfd = pidfd;
	sv.rfd = pfd[0];
	sv.deadline = start + min64(opts->timeout_ms, EXEC_MAX_MS);
	sv.grace_ms = opts->grace_ms ? min64(opts->grace_ms, EXEC_MAX_MS) : EXEC_DEFAULT_GRACE_MS;
	sv.linger_ms = opts->linger_ms ? min64(opts->linger_ms, EXEC_MAX_MS)
		: EXEC_DEFAULT_LINGER_MS;
	sv.should_cancel = opts->should_cancel;
	sv.cancel_ctx = opts->cancel_ctx;
	sv.cancel_poll_ms = opts->cancel_poll_ms > 0 ? min64(opts->cancel_poll_ms, EXEC_MAX_MS)
		: EXEC_DEFAULT_CANCEL_POLL_MS;
	rc = supervise_child(&sv, &cap);
	if (sv.lost)
		goto done;

	/* The child is unreaped, so its group id is still ours. Nothing of the
	 * group outlives the action, also what closed its output and stayed. */
	kill_group(pid, SIGKILL);
	capture_read(&cap, pfd[0], EXEC_PIPE_SIZE / EXEC_CHUNK);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			rc = rbd_err_set(RBD_EIO, "exec: waitpid: %s", strerror(errno));
			goto done;
		}
	}
	if (rc)
		goto done;
	out->duration_ms = rbd_mono_ms() - start;
	out->timed_out = sv.timed_out;
	out->cancelled = sv.cancelled;
	if (WIFEXITED(status)) {
		out->exited = true;
		out->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		out->term_signal = WTERMSIG(status);
	}
	out->output_len = cap.buf.len;
	out->output_total = cap.total;
	out->output = rbd_buf_steal(&cap.buf);

done:
	close_fd(&pidfd);
	close_fd(&pfd[0]);
	close_fd(&pfd[1]);
	close_fd(&devnull);
	free(cap.chunk);
	rbd_buf_free(&cap.buf);
	return rc;
}

void rbd_exec_result_clear(struct rbd_exec_result *r)
{
	if (!r)
		return;
	free(r->output);
	memset(r, 0, sizeof(*r));
}

/* ---- resolution at config load ---- */

static bool is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0;
}

int rbd_exec_resolve(char **out, const char *prog, const char *path)
{
	struct rbd_buf cand = RBD_BUF_INIT(EXEC_PATH_MAX);
	const char *p, *end;
	int rc;

	*out = NULL;
	if (!prog || !*prog)
		return rbd_err_set(RBD_EINVAL, "empty program name");
	if (prog[0] == '/') {
		if (strlen(prog) >= EXEC_PATH_MAX || !is_exec_file(prog))
			return rbd_err_set(RBD_ENOTFOUND, "%s is not an executable regular file", prog);
		*out = rbd_strdup(prog);
		return 0;
	}
	if (strchr(prog, '/'))
		return rbd_err_set(RBD_EINVAL, "relative program path %s refused: use an "
			"absolute path or a bare name", prog);
	if (!path || !*path)
		path = getenv("PATH");
	if (!path || !*path)
		path = RBD_EXEC_DEFAULT_PATH;

	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		/* An empty or relative entry would make the result depend on the
		 * working directory. */
		if (end == p || *p != '/')
			continue;
		rbd_buf_reset(&cand);
		if (rbd_buf_append(&cand, p, (size_t)(end - p)) ||
		    (end[-1] != '/' && rbd_buf_putc(&cand, '/')) ||
		    rbd_buf_puts(&cand, prog))
			continue;
		if (is_exec_file(rbd_buf_cstr(&cand))) {
			*out = rbd_buf_steal(&cand);
			rc = 0;
			goto done;
		}
	}
	rc = rbd_err_set(RBD_ENOTFOUND, "%s: no executable regular file of that name in PATH",
		prog);
done:
	rbd_buf_free(&cand);
	return rc;
}

/* /proc/PID/stat field 22: the start time in clock ticks since boot; 0 when unknown.
 * The command name (field 2) may hold spaces and parentheses: fields are counted
 * from its closing parenthesis, the last one on the line. */
int64_t rbd_exec_start_time(pid_t pid)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* p is at the ')' that ends field 2; each step moves to the space before the
	 * next field: 20 steps reach the one before field 22 */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return 0;
	errno = 0;
	{
		long long v = strtoll(p + 1, &end, 10);

		return (errno || end == p + 1 || v <= 0) ? 0 : (int64_t)v;
	}
}

int rbd_exec_kill_orphan(int64_t pgid, int64_t start)
{
	int64_t now;

	if (pgid <= 1 || pgid > INT_MAX || start <= 0)
		return 0;
	now = rbd_exec_start_time((pid_t)pgid);
	if (now != start)
		return 0;       /* gone, or the pid was reused by another process */
	if (kill(-(pid_t)pgid, SIGKILL) == -1)
		return errno == ESRCH ? 0 : rbd_err_set(RBD_EIO, "kill process group %lld: %s",
							 (long long)pgid, strerror(errno));
	return 1;
}

