/* Fuzz target: [tool.pyleak-ci] of a pyproject.toml (config/pyproject.c
 * over the settings table), the input being the file's text.
 *
 * The file goes to a scratch folder that holds a tests/ folder, so path
 * settings resolve both ways. Each input is applied twice: to a fresh
 * configuration, and below a command line that sets some of the same
 * settings (which must then win). A success must leave a configuration
 * that `pyleak-ci config` can print, its file lines inside the file,
 * and max-rounds at least rounds once finished; a failure must say
 * where. */
#define _GNU_SOURCE 1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#include "fuzz.h"

/* Stronger settings for the second pass: flags that also have keys. */
static char *cli_argv[] = {
    "pyleak-ci",   "config", "--rounds", "5",        "--ignore", "cli-glob",
    "--threshold", "heap=1", "--json",   "cli.json", "tests",    NULL,
};

static void
check_sources(const plk_config *c, int lines)
{
    size_t i;

    for (i = 0; i < PLK_SET__COUNT; i++) {
        const plk_source *s = &c->source[i];

        FUZZ_CHECK(s->origin != PLK_FROM_FILE ||
                       (s->line >= 1 && s->line <= lines),
                   "setting %zu from line %d of %d", i, s->line, lines);
    }
    for (i = 0; i < PLK_METRIC__COUNT; i++) {
        const plk_source *s = &c->threshold_source[i];
        const plk_source *f = &c->floor_source[i];

        FUZZ_CHECK(s->origin != PLK_FROM_FILE ||
                       (s->line >= 1 && s->line <= lines),
                   "threshold %zu from line %d of %d", i, s->line, lines);
        FUZZ_CHECK(f->origin != PLK_FROM_FILE ||
                       (f->line >= 1 && f->line <= lines),
                   "floor %zu from line %d of %d", i, f->line, lines);
    }
}

static void
apply(const char *path, int lines, int with_cli)
{
    plk_config c;
    plk_error err = {0};
    char *warnings = NULL, *printed = NULL;
    size_t wlen = 0, plen = 0;
    FILE *warn = open_memstream(&warnings, &wlen);
    FILE *out = open_memstream(&printed, &plen);
    int rc;

    FUZZ_CHECK(warn != NULL && out != NULL, "open_memstream failed");
    plk_config_init(&c);
    if (with_cli) {
        rc = plk_cli_parse(&c, (int)(sizeof(cli_argv) / sizeof(*cli_argv)) - 1,
                           cli_argv, &err);
        FUZZ_CHECK(rc == 0, "the fixed command line fails: %s", err.message);
    }
    rc = plk_pyproject_apply(&c, path, warn, &err);
    if (rc == 0) {
        rc = plk_config_finish(&c, &err);
    }
    if (rc == 0) {
        FUZZ_CHECK(c.max_rounds >= c.min_rounds,
                   "max-rounds %u below rounds %u", c.max_rounds,
                   c.min_rounds);
        check_sources(&c, lines);
        if (with_cli) {
            FUZZ_CHECK(c.min_rounds == 5 &&
                           c.source[PLK_SET_ROUNDS].origin == PLK_FROM_CLI,
                       "the file overrode --rounds");
            FUZZ_CHECK(c.json != NULL && strcmp(c.json, "cli.json") == 0,
                       "the file overrode --json");
            FUZZ_CHECK(c.ignore.count >= 1 &&
                           strcmp(c.ignore.items[c.ignore.count - 1],
                                  "cli-glob") == 0,
                       "the flag's glob is not last");
        }
        plk_config_print(out, &c);
    }
    else {
        FUZZ_CHECK(err.message != NULL, "failure %d without a message", rc);
        FUZZ_CHECK(rc == PLK_EUSAGE || rc == PLK_ENOMEM || rc == PLK_EIO,
                   "rc %d: %s", rc, err.message);
    }
    fclose(warn);
    fclose(out);
    free(warnings);
    free(printed);
    plk_error_clear(&err);
    plk_config_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *path;
    int lines = 1;
    size_t i;

    if (path == NULL) {
        fuzz_make_dir("tests");
        path = strdup(fuzz_write_file("pyproject.toml", data, size));
        FUZZ_CHECK(path != NULL, "out of memory");
    }
    else {
        fuzz_write_file("pyproject.toml", data, size);
    }
    for (i = 0; i < size; i++) {
        lines += data[i] == '\n';
    }
    apply(path, lines, 0);
    apply(path, lines, 1);
    return 0;
}
