/* pyleak-ci help (and --help, -h), and the usage shown when no command
 * is given. */
#include <stdio.h>

#include "runner.h"

int
cmd_help(plk_config *cfg, int argc, char **argv)
{
    (void)cfg;
    (void)argc;
    (void)argv;
    plk_cli_usage(stdout);
    return EXIT_OK;
}

int
cmd_usage(plk_config *cfg, int argc, char **argv)
{
    (void)cfg;
    (void)argc;
    (void)argv;
    plk_cli_usage(stderr);
    return EXIT_USAGE;
}
