/* Run configuration: defaults, the environment, checks across settings,
 * and printing the effective configuration with its sources. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/settings.h"
#include "config/toml.h"

void
plk_config_init(plk_config *c)
{
    memset(c, 0, sizeof(*c));
    c->command = PLK_CMD_NONE;
    plk_settings_defaults(c);
}

void
plk_config_free(plk_config *c)
{
    if (c == NULL) {
        return;
    }
    plk_settings_free(c);
    free(c->config_file);
    c->config_file = NULL;
}

int
plk_config_apply_env(plk_config *c, plk_error *err)
{
    /* The variables are spelled in their rows of the settings table. */
    const char *venv_name = plk_setting_at(PLK_SET_PYTHON)->env;
    const char *no_color_name = plk_setting_at(PLK_SET_COLOR)->env;
    const char *venv = getenv(venv_name);
    const char *no_color = getenv(no_color_name);

    if (venv != NULL && *venv != '\0'
        && c->source[PLK_SET_PYTHON].origin < PLK_FROM_ENV) {
        char *python = plk_asprintf("%s/bin/python", venv);

        if (python == NULL) {
            return plk_error_set(err, PLK_ENOMEM, "out of memory");
        }
        if (access(python, X_OK) != 0) {
            plk_error_set(err, PLK_EUSAGE,
                          "%s is %s but %s is not there; "
                          "activate a working virtual environment, unset "
                          "%s, or pass --python",
                          venv_name, venv, python, venv_name);
            free(python);
            return PLK_EUSAGE;
        }
        free(c->python);
        c->python = python;
        c->source[PLK_SET_PYTHON].origin = PLK_FROM_ENV;
        c->source[PLK_SET_PYTHON].name = venv_name;
    }
    /* NO_COLOR beats a colour choice in the file, not an explicit
     * --color always. */
    if (no_color != NULL && *no_color != '\0'
        && c->source[PLK_SET_COLOR].origin < PLK_FROM_ENV) {
        c->color = PLK_COLOR_NEVER;
        c->source[PLK_SET_COLOR].origin = PLK_FROM_ENV;
        c->source[PLK_SET_COLOR].name = no_color_name;
    }
    return 0;
}

/* "--rounds (8)" or "rounds (8, pyproject.toml:3)". */
static char *
describe_uint(const plk_config *c, plk_setting id, const char *key,
              unsigned value)
{
    const plk_source *s = &c->source[id];
    char *where;
    char *out;

    if (s->origin != PLK_FROM_FILE) {
        return plk_asprintf("--%s (%u)", key, value);
    }
    where = plk_config_source_text(c, s);
    out = plk_asprintf("%s (%u, %s)", key, value, where ? where : "?");
    free(where);
    return out;
}

int
plk_config_finish(plk_config *c, plk_error *err)
{
    const plk_source *lo = &c->source[PLK_SET_ROUNDS];
    const plk_source *hi = &c->source[PLK_SET_MAX_ROUNDS];
    char *a, *b;

    if (c->max_rounds >= c->min_rounds) {
        return 0;
    }
    if (hi->origin < lo->origin) {
        /* More rounds than a weaker source's cap means "at least this
         * many", not a contradiction to report. */
        c->max_rounds = c->min_rounds;
        return 0;
    }
    a = describe_uint(c, PLK_SET_MAX_ROUNDS, "max-rounds", c->max_rounds);
    b = describe_uint(c, PLK_SET_ROUNDS, "rounds", c->min_rounds);
    plk_error_set(err, PLK_EUSAGE, "%s must be at least %s",
                  a ? a : "max-rounds", b ? b : "rounds");
    free(a);
    free(b);
    return PLK_EUSAGE;
}

/* path relative to the working directory when it is below it. */
static char *
display_path(const char *path)
{
    char *cwd = getcwd(NULL, 0);
    size_t n = cwd != NULL ? strlen(cwd) : 0;
    char *out;

    if (cwd != NULL && n > 1 && strncmp(path, cwd, n) == 0
        && path[n] == '/') {
        out = plk_strdup(path + n + 1);
    }
    else {
        out = plk_strdup(path);
    }
    free(cwd);
    return out;
}

char *
plk_config_source_text(const plk_config *c, const plk_source *s)
{
    char *file;
    char *out;

    switch (s->origin) {
    case PLK_FROM_FILE:
        file = display_path(c->config_file ? c->config_file
                                           : "pyproject.toml");
        out = plk_asprintf("%s:%d", file ? file : "pyproject.toml", s->line);
        free(file);
        return out;
    case PLK_FROM_ENV:
        return plk_asprintf("environment (%s)", s->name ? s->name : "?");
    case PLK_FROM_CLI:
        return plk_asprintf("command line (%s)", s->name ? s->name : "?");
    default:
        return plk_strdup("default");
    }
}

static void
put_line(FILE *out, const plk_config *c, const char *text,
         const plk_source *s, const char *note)
{
    char *where = plk_config_source_text(c, s);

    fprintf(out, "%-36s # %s%s\n", text, where ? where : "?",
            note ? note : "");
    free(where);
}

static void
put_string(FILE *out, const plk_config *c, plk_setting id, const char *key,
           const char *value)
{
    char *q;
    char *text;

    if (value == NULL) {
        text = plk_asprintf("# %s: not set", key);
    }
    else {
        q = plk_toml_quote(value);
        text = plk_asprintf("%s = %s", key, q ? q : "?");
        free(q);
    }
    put_line(out, c, text ? text : key, &c->source[id], NULL);
    free(text);
}

static void
put_number(FILE *out, const plk_config *c, plk_setting id, const char *key,
           double value, const char *note)
{
    char *text = plk_asprintf("%s = %g", key, value);

    put_line(out, c, text ? text : key, &c->source[id], note);
    free(text);
}

static void
put_bool(FILE *out, const plk_config *c, plk_setting id, const char *key,
         int value)
{
    char *text = plk_asprintf("%s = %s", key, value ? "true" : "false");

    put_line(out, c, text ? text : key, &c->source[id], NULL);
    free(text);
}

/* A list as a TOML array; items [from, to) of list. */
static char *
toml_array(const plk_strlist *list, size_t from, size_t to)
{
    plk_buf b = {0};
    size_t i;

    plk_buf_puts(&b, "[");
    for (i = from; i < to; i++) {
        char *q = plk_toml_quote(list->items[i]);

        plk_buf_printf(&b, "%s%s", i > from ? ", " : "", q ? q : "?");
        free(q);
    }
    plk_buf_puts(&b, "]");
    return plk_buf_detach(&b);
}

void
plk_config_print(FILE *out, const plk_config *c)
{
    static const char *const colors[] = {"auto", "always", "never"};
    char *file = c->config_file ? display_path(c->config_file) : NULL;
    char *text;
    int m;

    if (file != NULL) {
        fprintf(out, "# pyleak-ci configuration, [tool.pyleak-ci] read "
                "from %s\n", file);
    }
    else {
        fputs("# pyleak-ci configuration (no pyproject.toml with "
              "[tool.pyleak-ci] found)\n", out);
    }
    free(file);
    if (c->targets.count > 0) {
        text = toml_array(&c->targets, 0, c->targets.count);
        text = text ? text : plk_strdup("[]");
        file = plk_asprintf("paths = %s", text ? text : "?");
        put_line(out, c, file ? file : "paths", &c->source[PLK_SET_PATHS],
                 NULL);
        free(file);
        free(text);
    }
    else {
        put_line(out, c, "paths = [\".\"]", &c->source[PLK_SET_PATHS],
                 NULL);
    }
    put_string(out, c, PLK_SET_PYTHON, "python", c->python);
    put_number(out, c, PLK_SET_WARMUP, "warmup", c->warmup, NULL);
    put_number(out, c, PLK_SET_ROUNDS, "rounds", c->min_rounds, NULL);
    put_number(out, c, PLK_SET_MAX_ROUNDS, "max-rounds", c->max_rounds,
               c->max_rounds == c->min_rounds
                       && c->source[PLK_SET_MAX_ROUNDS].origin
                              < c->source[PLK_SET_ROUNDS].origin
                   ? ", raised to rounds"
                   : NULL);
    put_number(out, c, PLK_SET_MAX_CALLS, "max-calls", c->max_calls, NULL);
    put_number(out, c, PLK_SET_ROUND_MS, "round-ms", c->round_ms, NULL);
    put_number(out, c, PLK_SET_ALPHA, "alpha", c->alpha, NULL);
    put_bool(out, c, PLK_SET_THOROUGH, "thorough", c->thorough);
    put_bool(out, c, PLK_SET_RESEED, "reseed", c->reseed);
    put_bool(out, c, PLK_SET_FAIL_NOT_REPEATABLE, "fail-not-repeatable",
             c->fail_not_repeatable);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        text = plk_asprintf("threshold.%s = %g",
                            plk_metric_name((plk_metric)m), c->threshold[m]);
        put_line(out, c, text ? text : "threshold", &c->threshold_source[m],
                 NULL);
        free(text);
    }
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        text = plk_asprintf("floor.%s = %g", plk_metric_name((plk_metric)m),
                            c->floor[m]);
        put_line(out, c, text ? text : "floor", &c->floor_source[m], NULL);
        free(text);
    }
    put_number(out, c, PLK_SET_TIMEOUT, "timeout", c->timeout, NULL);
    put_number(out, c, PLK_SET_JOBS, "jobs", c->jobs,
               c->jobs == 0 ? " (0: one per CPU)" : NULL);
    if (c->shard_total > 0) {
        text = plk_asprintf("shard = \"%u/%u\"", c->shard_index,
                            c->shard_total);
        put_line(out, c, text ? text : "shard", &c->source[PLK_SET_SHARD],
                 NULL);
        free(text);
    }
    else {
        put_line(out, c, "# shard: not set", &c->source[PLK_SET_SHARD],
                 NULL);
    }
    put_string(out, c, PLK_SET_DURATIONS_FROM, "durations-from",
               c->durations_from);
    put_string(out, c, PLK_SET_KEYWORD, "keyword", c->keyword);
    /* Globs from the file come first, then those of --ignore. */
    if (c->ignore_from_file > 0) {
        plk_source in_file = {PLK_FROM_FILE, c->ignore_file_line, NULL};

        text = toml_array(&c->ignore, 0, c->ignore_from_file);
        file = plk_asprintf("ignore = %s", text ? text : "?");
        put_line(out, c, file ? file : "ignore", &in_file, NULL);
        free(file);
        free(text);
    }
    if (c->ignore.count > c->ignore_from_file) {
        plk_source cli = {PLK_FROM_CLI, 0, "--ignore"};

        text = toml_array(&c->ignore, c->ignore_from_file, c->ignore.count);
        file = plk_asprintf("ignore %s %s",
                            c->ignore_from_file > 0 ? "+=" : "=",
                            text ? text : "?");
        put_line(out, c, file ? file : "ignore", &cli, NULL);
        free(file);
        free(text);
    }
    if (c->ignore.count == 0) {
        put_line(out, c, "ignore = []", &c->source[PLK_SET_IGNORE], NULL);
    }
    put_string(out, c, PLK_SET_JUNIT_XML, "junit-xml", c->junit_xml);
    put_bool(out, c, PLK_SET_JUNIT_STRICT, "junit-strict", c->junit_strict);
    put_string(out, c, PLK_SET_JSON, "json", c->json);
    put_string(out, c, PLK_SET_HTML, "html", c->html);
    put_string(out, c, PLK_SET_BASELINE, "baseline", c->baseline);
    put_bool(out, c, PLK_SET_UPDATE_BASELINE, "update-baseline",
             c->update_baseline);
    put_bool(out, c, PLK_SET_DIAGNOSE, "diagnose", c->diagnose);
    put_number(out, c, PLK_SET_TRACEBACK_DEPTH, "traceback-depth",
               c->traceback_depth, NULL);
    text = plk_asprintf("color = \"%s\"", colors[c->color]);
    put_line(out, c, text ? text : "color", &c->source[PLK_SET_COLOR],
             NULL);
    free(text);
    put_bool(out, c, PLK_SET_VERBOSE, "verbose", c->verbose);
    put_bool(out, c, PLK_SET_QUIET, "quiet", c->quiet);
}
