/* The pyleak-ci command line: argv into a plk_config, by the flags of the
 * settings table. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "config/settings.h"

/* A flag of the settings table, with its row. */
typedef struct cli_option {
    const plk_setting_def *row;
    const plk_flag *flag;
} cli_option;

/* Find the flag of the settings table that arg names: the options of
 * `run`. -h/--help are handled before parsing, so they work anywhere
 * and win over any mistake elsewhere on the line. A long option may
 * carry its value after '='; *value_out then points into arg, else it
 * is NULL. Returns 0 when arg names no flag. */
static int
find_option(cli_option *out, const char *arg, const char **value_out)
{
    const char *eq = NULL;
    size_t len;
    size_t i, j;

    *value_out = NULL;
    if (strncmp(arg, "--", 2) == 0) {
        eq = strchr(arg, '=');
    }
    len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *row = plk_setting_listed(i);

        for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
            const plk_flag *f = &row->flags[j];

            if (f->name == NULL) {
                continue;
            }
            if ((strlen(f->name) == len && strncmp(f->name, arg, len) == 0) ||
                (eq == NULL && f->short_name != NULL &&
                 strcmp(f->short_name, arg) == 0)) {
                out->row = row;
                out->flag = f;
                *value_out = eq != NULL ? eq + 1 : NULL;
                return 1;
            }
        }
    }
    return 0;
}

/* Can next be the separate value of an option? A following flag is
 * not ("--junit-xml --quiet" is a missing path, not a file named
 * "--quiet"), but "-5" and "-" are, so bad numbers get the message
 * that names the accepted range. */
static int
is_value(const char *next)
{
    if (next == NULL) {
        return 0;
    }
    if (next[0] != '-' || next[1] == '\0') {
        return 1;
    }
    return (next[1] >= '0' && next[1] <= '9') || next[1] == '.';
}

static int
is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* -h/--help anywhere before "--" asks for help, except as the value of
 * an option given in the separate form. */
static int
wants_help(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        cli_option o;
        const char *value;

        if (strcmp(argv[i], "--") == 0) {
            return 0;
        }
        if (is_help(argv[i])) {
            return 1;
        }
        if (find_option(&o, argv[i], &value) && o.flag->metavar != NULL &&
            value == NULL && i + 1 < argc && is_value(argv[i + 1])) {
            i++;
        }
    }
    return 0;
}

/* Length of the name part of an option as typed: "--x=1" -> "--x". */
static size_t
option_name_len(const char *arg)
{
    return strncmp(arg, "--", 2) == 0 ? strcspn(arg, "=") : strlen(arg);
}

static int
is_version(const char *arg)
{
    return option_name_len(arg) == 9 && strncmp(arg, "--version", 9) == 0;
}

static int
unknown_option(const char *arg, const char *hint, plk_error *err)
{
    return plk_error_set(err, PLK_EUSAGE, "unknown option '%.*s'%s",
                         (int)option_name_len(arg), arg, hint);
}

/* The arguments after "run", from index i on. */
static int
parse_run(plk_config *c, int argc, char **argv, int i, plk_error *err)
{
    const plk_setting_def *paths = plk_setting_at(PLK_SET_PATHS);
    int options_done = 0;
    int rc;

    for (; i < argc; i++) {
        const char *arg = argv[i];
        cli_option o;
        const char *value;
        plk_source src;

        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            /* A lone "-" is a target name, as most tools read it. */
            rc = plk_setting_set(c, paths, "TARGET", arg, NULL, err);
            if (rc != 0) {
                return rc;
            }
            c->source[PLK_SET_PATHS].origin = PLK_FROM_CLI;
            c->source[PLK_SET_PATHS].name = "TARGET";
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (!find_option(&o, arg, &value)) {
            if (is_version(arg)) {
                return unknown_option(arg, "; use 'pyleak-ci --version'", err);
            }
            return unknown_option(arg, "; try 'pyleak-ci run --help'", err);
        }
        if (o.flag->metavar == NULL) {
            if (value != NULL) {
                return plk_error_set(err, PLK_EUSAGE,
                                     "%s does not take a value", o.flag->name);
            }
            value = o.flag->sets;
        }
        else if (value == NULL) {
            if (i + 1 >= argc || !is_value(argv[i + 1])) {
                return plk_error_set(err, PLK_EUSAGE, "%s needs a value",
                                     o.flag->name);
            }
            value = argv[++i];
        }
        src.origin = PLK_FROM_CLI;
        src.line = 0;
        src.name = o.flag->name;
        rc = plk_setting_set(c, o.row, o.flag->name, value, &src, err);
        if (rc != 0) {
            return rc;
        }
        c->source[o.row->id] = src;
    }
    return plk_config_finish(c, err);
}

int
plk_cli_parse(plk_config *c, int argc, char **argv, plk_error *err)
{
    int i;

    if (wants_help(argc, argv)) {
        c->command = PLK_CMD_HELP;
        return 0;
    }
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value;

        if (strcmp(arg, "--version") == 0) {
            c->command = PLK_CMD_VERSION;
            return 0;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            cli_option o;

            if (is_version(arg)) {
                return plk_error_set(err, PLK_EUSAGE,
                                     "--version does not take a value");
            }
            if (find_option(&o, arg, &value)) {
                return unknown_option(arg,
                                      "; options of run go after "
                                      "'run'",
                                      err);
            }
            return unknown_option(arg, "; try 'pyleak-ci --help'", err);
        }
        if (strcmp(arg, "run") == 0) {
            c->command = PLK_CMD_RUN;
            return parse_run(c, argc, argv, i + 1, err);
        }
        if (strcmp(arg, "config") == 0) {
            /* Takes what run takes, so a command line can be checked by
             * putting `config` in place of `run`. */
            c->command = PLK_CMD_CONFIG;
            return parse_run(c, argc, argv, i + 1, err);
        }
        if (strcmp(arg, "help") == 0) {
            c->command = PLK_CMD_HELP;
            return 0;
        }
        return plk_error_set(err, PLK_EUSAGE,
                             "unknown command '%s'; try "
                             "'pyleak-ci run --help'",
                             arg);
    }
    c->command = PLK_CMD_NONE;
    return 0;
}
