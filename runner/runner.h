/* The pyleak-ci program: one function per command (runner/cmd_*.c),
 * which main.c picks from the parsed command line. */
#ifndef PYLEAK_RUNNER_H
#define PYLEAK_RUNNER_H

#include "pyleak.h"

/* Exit codes, as pytest's. */
enum {
    EXIT_OK = 0,
    EXIT_TESTS_FAILED = 1,
    EXIT_INTERRUPTED = 2,
    EXIT_INTERNAL = 3,
    EXIT_USAGE = 4,
    EXIT_NO_TESTS = 5
};

/* A command: cfg holds the parsed command line (main frees it); argv is
 * main's. Returns the exit code. */
typedef int runner_command(plk_config *cfg, int argc, char **argv);

runner_command cmd_run;     /* cmd_run.c */
runner_command cmd_config;  /* cmd_config.c */
runner_command cmd_help;    /* cmd_help.c */
runner_command cmd_usage;   /* cmd_help.c: no command given */
runner_command cmd_version; /* cmd_version.c */

/* pyproject.toml and the environment under the command line, with
 * warnings and errors on stderr (cmd_config.c). EXIT_OK or EXIT_USAGE. */
int runner_load_config(plk_config *cfg);

#endif
