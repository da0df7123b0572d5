/*
 * exec: runs one process safely: argv vector via execve (never a shell), an
 * environment built from nothing, stdin /dev/null, no inherited descriptors, its own
 * session and process group, output captured up to a cap while the rest is drained,
 * a deadline after which the whole group gets SIGTERM, then SIGKILL after a grace
 * period, and the child reaped. Blocking; call from a worker thread.
 */
#ifndef RUNBOOKD_EXEC_H
#define RUNBOOKD_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rbd_exec_opts {
	const char *const *argv;      /* argv[0] is an absolute path; NULL-terminated */
	const char *const *envp;      /* NULL: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/ */
	int64_t timeout_ms;           /* > 0 */
	int64_t grace_ms;             /* SIGTERM -> SIGKILL; 0 means 2000 */
	size_t output_cap;            /* bytes of stdout+stderr kept */
	/* Called in the parent right after the fork succeeded (may be NULL). */
	void (*on_spawn)(void *ctx, pid_t pid);
	void *ctx;
};

struct rbd_exec_result {
	bool exited;                  /* exited normally: exit_code is valid */
	int exit_code;
	int term_signal;              /* signal that ended it, else 0 */
	bool timed_out;               /* the deadline passed and the group was signalled */
	char *output;                 /* stdout+stderr interleaved, NUL-terminated; owned */
	size_t output_len;            /* bytes kept (<= output_cap) */
	uint64_t output_total;        /* bytes the child wrote in all */
	int64_t duration_ms;
};

/*
 * Runs opts->argv to completion (or deadline). Returns 0 when the process was
 * started and reaped (look at *out for how it ended), RBD_EIO when it could not
 * be started (message says why; exec failure of the child shows as exit 127).
 */
int rbd_exec_run(struct rbd_exec_result *out, const struct rbd_exec_opts *opts);
void rbd_exec_result_clear(struct rbd_exec_result *r);

/*
 * Resolves prog against path (a PATH-style list; NULL means the process's PATH):
 * an absolute prog is checked as is. *out is a new string. RBD_ENOTFOUND when no
 * executable regular file is found.
 */
int rbd_exec_resolve(char **out, const char *prog, const char *path);

#endif
