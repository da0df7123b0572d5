/*
 * cli: the command line of SPEC.md: serve, check, simulate, migrate, export, version.
 * Exit codes: 0 ok, 1 invalid input or config, 2 usage, 3 runtime failure.
 */
#ifndef RUNBOOKD_CLI_H
#define RUNBOOKD_CLI_H

enum { RBD_EXIT_OK = 0, RBD_EXIT_INVALID = 1, RBD_EXIT_USAGE = 2, RBD_EXIT_RUNTIME = 3 };

int rbd_cli_main(int argc, char **argv);

#endif
