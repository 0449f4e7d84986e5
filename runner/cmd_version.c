/* pyleak-ci --version: this build and the Python it embeds. */
#include <stdio.h>

#include "runner.h"

int
cmd_version(plk_config *cfg, int argc, char **argv)
{
    (void)cfg;
    (void)argc;
    (void)argv;
    printf("pyleak-ci %s (Python %s%s)\n", PLK_VERSION, plk_embed_version(),
           plk_embed_is_debug() ? ", debug" : "");
    if (plk_embed_lacks() != NULL) {
        printf("not available with this Python: %s\n", plk_embed_lacks());
    }
    return EXIT_OK;
}
