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

    if (venv != NULL && *venv != '\0' &&
        c->source[PLK_SET_PYTHON].origin < PLK_FROM_ENV) {
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
    if (no_color != NULL && *no_color != '\0' &&
        c->source[PLK_SET_COLOR].origin < PLK_FROM_ENV) {
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

    if (cwd != NULL && n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/') {
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
        file =
            display_path(c->config_file ? c->config_file : "pyproject.toml");
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
put_line(FILE *out, const plk_config *c, const char *text, const plk_source *s,
         const char *note)
{
    char *where = plk_config_source_text(c, s);

    fprintf(out, "%-36s # %s%s\n", text, where ? where : "?",
            note ? note : "");
    free(where);
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

/* A GLOBS list: the file's items first, then those of the flag. */
static void
put_globs(FILE *out, const plk_config *c, const plk_setting_def *s,
          const plk_value *v)
{
    const char *name = plk_setting_name(s);
    char *items;
    char *text;

    if (v->from_file > 0) {
        plk_source in_file = {PLK_FROM_FILE, v->file_line, NULL};

        items = toml_array(v->list, 0, v->from_file);
        text = plk_asprintf("%s = %s", name, items ? items : "?");
        put_line(out, c, text ? text : name, &in_file, NULL);
        free(text);
        free(items);
    }
    if (v->list->count > v->from_file) {
        plk_source cli = {PLK_FROM_CLI, 0, s->flags[0].name};

        items = toml_array(v->list, v->from_file, v->list->count);
        text = plk_asprintf("%s %s %s", name, v->from_file > 0 ? "+=" : "=",
                            items ? items : "?");
        put_line(out, c, text ? text : name, &cli, NULL);
        free(text);
        free(items);
    }
    if (v->list->count == 0) {
        text = plk_asprintf("%s = []", name);
        put_line(out, c, text ? text : name, &c->source[s->id], NULL);
        free(text);
    }
}

static void
put_metrics(FILE *out, const plk_config *c, const plk_setting_def *s,
            const plk_value *v)
{
    const char *name = plk_setting_name(s);
    int m;

    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        char *text = plk_asprintf(
            "%s.%s = %g", name, plk_metric_name((plk_metric)m), v->metrics[m]);

        put_line(out, c, text ? text : name, &v->metric_source[m], NULL);
        free(text);
    }
}

/* One setting as TOML, "# NAME: not set" when it has no value. */
static void
put_setting(FILE *out, const plk_config *c, const plk_setting_def *s)
{
    const char *name = plk_setting_name(s);
    plk_value v;
    char *text = NULL;
    char *q = NULL;

    plk_setting_get(&v, s, c);
    switch (v.kind) {
    case PLK_KIND_UINT:
        text = plk_asprintf("%s = %g", name, (double)v.u);
        break;
    case PLK_KIND_NUMBER:
        text = plk_asprintf("%s = %g", name, v.d);
        break;
    case PLK_KIND_BOOL:
        text = plk_asprintf("%s = %s", name, v.b ? "true" : "false");
        break;
    case PLK_KIND_STRING:
    case PLK_KIND_PATH:
    case PLK_KIND_CHOICE:
        if (v.s == NULL) {
            text = plk_asprintf("# %s: not set", name);
            break;
        }
        q = plk_toml_quote(v.s);
        text = plk_asprintf("%s = %s", name, q ? q : "?");
        break;
    case PLK_KIND_TARGETS:
        if (v.list->count > 0) {
            q = toml_array(v.list, 0, v.list->count);
        }
        else {
            /* No targets: what the run takes instead ("."). */
            char *instead = (char *)s->def.s;
            plk_strlist none = {&instead, 1, 1};

            q = toml_array(&none, 0, 1);
        }
        text = plk_asprintf("%s = %s", name, q ? q : "[]");
        break;
    case PLK_KIND_GLOBS:
        put_globs(out, c, s, &v);
        return;
    case PLK_KIND_METRICS:
        put_metrics(out, c, s, &v);
        return;
    case PLK_KIND_SHARD:
        text = v.u2 > 0 ? plk_asprintf("%s = \"%u/%u\"", name, v.u, v.u2)
                        : plk_asprintf("# %s: not set", name);
        break;
    }
    put_line(out, c, text ? text : name, &c->source[s->id],
             s->note != NULL ? s->note(c) : NULL);
    free(text);
    free(q);
}

void
plk_config_print(FILE *out, const plk_config *c)
{
    char *file = c->config_file ? display_path(c->config_file) : NULL;
    size_t i;

    if (file != NULL) {
        fprintf(out,
                "# pyleak-ci configuration, [tool.pyleak-ci] read "
                "from %s\n",
                file);
    }
    else {
        fputs("# pyleak-ci configuration (no pyproject.toml with "
              "[tool.pyleak-ci] found)\n",
              out);
    }
    free(file);
    for (i = 0; i < plk_settings_count(); i++) {
        put_setting(out, c, plk_setting_at(i));
    }
}
