/* pyleak-ci: parse the command line and hand it to its command. */
#include <stdio.h>

#include "runner.h"

static runner_command *const commands[] = {
    [PLK_CMD_NONE] = cmd_usage,      [PLK_CMD_RUN] = cmd_run,
    [PLK_CMD_CONFIG] = cmd_config,   [PLK_CMD_HELP] = cmd_help,
    [PLK_CMD_VERSION] = cmd_version,
};

int
main(int argc, char **argv)
{
    plk_config cfg;
    plk_error err = {0};
    int code;

    plk_config_init(&cfg);
    if (plk_cli_parse(&cfg, argc, argv, &err) != 0) {
        fprintf(stderr, "pyleak-ci: %s\n(see 'pyleak-ci run --help')\n",
                err.message ? err.message : "usage error");
        plk_error_clear(&err);
        code = EXIT_USAGE;
    }
    else if ((size_t)cfg.command < sizeof(commands) / sizeof(commands[0]) &&
             commands[cfg.command] != NULL) {
        code = commands[cfg.command](&cfg, argc, argv);
    }
    else {
        code = cmd_usage(&cfg, argc, argv);
    }
    plk_config_free(&cfg);
    return code;
}
