/*
 * cli_remote: the operator's commands against a running runbookd, amtool-style:
 * approve, reject, note, pause, resume, incidents, actions. They talk to the HTTP API
 * at $RUNBOOKD_URL (default http://127.0.0.1:9095; --url overrides) with the token of
 * $RUNBOOKD_TOKEN or the file $RUNBOOKD_TOKEN_FILE, print a table (or -o json: the
 * API's JSON), and exit 0 ok, 1 refused (4xx: the API's message, e.g. a 409 "action
 * 42 is rejected, not pending_approval"), 2 usage, 3 unreachable or 5xx.
 */
#ifndef RUNBOOKD_CLI_REMOTE_H
#define RUNBOOKD_CLI_REMOTE_H

/* argv[0] is the command name ("approve", ...). Returns the exit code. */
int rbd_cli_remote_main(int argc, char **argv);

#endif
