/*
 * exec: runs one process safely: argv vector via execve (never a shell), an
 * environment built from nothing, stdin /dev/null, no inherited descriptors, its own
 * session and process group, output captured up to a cap while the rest is drained,
 * a deadline after which the whole group is sent SIGTERM, then SIGKILL after a grace
 * period, and the child reaped. Blocking; call from a worker thread. Safe to call
 * from several threads at once: no global state, no SIGCHLD handler, only
 * waitpid/waitid on the child's own pid.
 * Must never run a shell, pass the service's environment or descriptors on, or
 * return while anything of the child's process group is still alive.
 */
#ifndef RUNBOOKD_EXEC_H
#define RUNBOOKD_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The PATH a child receives when opts->envp is NULL. */
#define RBD_EXEC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct rbd_exec_opts {
	const char *const *argv;      /* argv[0] is an absolute path; NULL-terminated */
	const char *const *envp;      /* NULL: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/ */
	int64_t timeout_ms;           /* > 0 */
	int64_t grace_ms;             /* SIGTERM -> SIGKILL; 0 means 2000 */
	size_t output_cap;            /* bytes of stdout+stderr kept */
	/* After the child exits, how long others of its group may keep the output
	 * open before the group is sent SIGKILL; 0 means 1000; never past the deadline. */
	int64_t linger_ms;
	/* Called in the parent right after the child started (may be NULL). */
	void (*on_spawn)(void *ctx, pid_t pid);
	void *ctx;
	/* Asked about every cancel_poll_ms (0 means 250) while the child runs, from this
	 * thread (may be NULL): true ends it like a deadline (SIGTERM to the group, SIGKILL
	 * after the grace) and sets out->cancelled instead of out->timed_out. */
	bool (*should_cancel)(void *cancel_ctx);
	void *cancel_ctx;
	int64_t cancel_poll_ms;
};

struct rbd_exec_result {
	bool exited;                  /* exited normally: exit_code is valid */
	int exit_code;
	int term_signal;              /* signal that ended it, else 0 */
	bool timed_out;               /* the deadline passed and the group was signalled */
	bool cancelled;               /* should_cancel said so and the group was signalled */
	char *output;                 /* stdout+stderr interleaved, NUL-terminated; owned */
	size_t output_len;            /* bytes kept (<= output_cap) */
	uint64_t output_total;        /* bytes the child wrote in all */
	int64_t duration_ms;
};

/*
 * Runs opts->argv to completion (or deadline). Returns 0 when the process was
 * started and reaped (look at *out for how it ended; out->output is then always
 * a heap string the caller frees with rbd_exec_result_clear), RBD_EINVAL for bad
 * options (relative argv[0], timeout_ms <= 0, negative grace or linger),
 * RBD_EIO when it could not be started or was lost (message says why; exec
 * failure of the child shows as exit 127). Before it returns, every process
 * still in the child's process group has been sent SIGKILL.
 */
int rbd_exec_run(struct rbd_exec_result *out, const struct rbd_exec_opts *opts);
void rbd_exec_result_clear(struct rbd_exec_result *r);

/*
 * Resolves prog against path (a PATH-style list; NULL means the process's PATH,
 * or the default child PATH when that is unset): an absolute prog is checked as
 * is; empty and relative PATH entries are skipped. *out is a new absolute path
 * the caller frees. RBD_EINVAL for an empty prog or a relative one containing
 * '/', RBD_ENOTFOUND when no executable regular file is found.
 */
int rbd_exec_resolve(char **out, const char *prog, const char *path);

/* The start time of process pid (clock ticks since boot, /proc/PID/stat), 0 if unknown. */
int64_t rbd_exec_start_time(pid_t pid);
/*
 * After a crash: SIGKILLs process group pgid if its leader still exists and started at
 * `start` (so a reused pid is never signalled). 1 when killed, 0 when there was nothing
 * (or nothing verifiable) to kill, negative on error.
 */
int rbd_exec_kill_orphan(int64_t pgid, int64_t start);

#endif
