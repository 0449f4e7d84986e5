/* pyleak-ci config: the effective configuration, with where each value
 * came from; and the loading of it that run shares. */
#include <stdio.h>

#include "runner.h"

int
runner_load_config(plk_config *cfg)
{
    plk_error err = {0};

    if (plk_config_load(cfg, stderr, &err) != 0) {
        fprintf(stderr, "pyleak-ci: %s\n",
                err.message ? err.message : "cannot read the configuration");
        plk_error_clear(&err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int
cmd_config(plk_config *cfg, int argc, char **argv)
{
    int code;

    (void)argc;
    (void)argv;
    code = runner_load_config(cfg);
    if (code == EXIT_OK) {
        plk_config_print(stdout, cfg);
    }
    return code;
}
