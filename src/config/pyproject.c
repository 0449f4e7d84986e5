/* [tool.pyleak-ci] in pyproject.toml: finding the file, checking its keys
 * and applying them below the environment and the command line. */
#define _GNU_SOURCE 1

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/settings.h"
#include "config/toml.h"

#define SECTION "tool.pyleak-ci"

typedef struct reader {
    plk_config *c;
    const char *path; /* as shown in messages */
    char *dir;        /* the file's directory, absolute */
    FILE *warn;
    plk_error *err;
} reader;

/* Edit distance, for "did you mean"; keys are short. */
static size_t
distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t row[64];
    size_t i, j;

    if (n >= 63 || m >= 63) {
        return 99;
    }
    for (j = 0; j <= m; j++) {
        row[j] = j;
    }
    for (i = 1; i <= n; i++) {
        size_t diag = row[0];

        row[0] = i;
        for (j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

/* A flag typed as a key: one that is only a flag ("shard"; its row
 * says why), or a switch whose key has another name ("no-reseed" for
 * reseed = false). Its row, and the flag in *flag_out; NULL for any
 * other key. */
static const plk_setting_def *
flag_as_key(const char *key, const plk_flag **flag_out)
{
    size_t i, j;

    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_at(i);

        for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
            const plk_flag *f = &s->flags[j];

            if (f->name == NULL || strcmp(f->name + 2, key) != 0) {
                continue;
            }
            if (s->key == NULL ||
                (s->kind == PLK_KIND_BOOL && strcmp(s->key, key) != 0)) {
                *flag_out = f;
                return s;
            }
        }
    }
    return NULL;
}

static void
warn_unknown(reader *R, const char *key, int line)
{
    const plk_setting_def *s;
    const plk_flag *f = NULL;
    const char *best = NULL;
    size_t best_d = 3;
    size_t i;

    if (R->warn == NULL) {
        return;
    }
    s = flag_as_key(key, &f);
    if (s != NULL && s->key == NULL) {
        fprintf(R->warn,
                "pyleak-ci: warning: %s:%d: '%s' is not read from "
                "[" SECTION "]: %s\n",
                R->path, line, key, s->not_key);
        return;
    }
    if (s != NULL) {
        fprintf(R->warn,
                "pyleak-ci: warning: %s:%d: '%s' is not read from "
                "[" SECTION "]: use %s = %s\n",
                R->path, line, key, s->key, f->sets);
        return;
    }
    for (i = 0; i < plk_settings_count(); i++) {
        const char *k = plk_setting_at(i)->key;
        size_t d = k != NULL ? distance(key, k) : 99;

        if (d < best_d) {
            best_d = d;
            best = k;
        }
    }
    fprintf(R->warn,
            "pyleak-ci: warning: %s:%d: unknown key '%s' in [" SECTION "]%s"
            "%s%s (ignored)\n",
            R->path, line, key, best ? "; did you mean '" : "",
            best ? best : "", best ? "'?" : "");
}

static const char *
expected(plk_kind k)
{
    switch (k) {
    case PLK_KIND_UINT:
        return "an integer";
    case PLK_KIND_NUMBER:
        return "a number";
    case PLK_KIND_BOOL:
        return "true or false";
    case PLK_KIND_STRING:
    case PLK_KIND_PATH:
    case PLK_KIND_CHOICE:
        return "a string";
    case PLK_KIND_TARGETS:
        return "an array of strings (paths = [\"tests\"])";
    case PLK_KIND_GLOBS:
        return "an array of strings (ignore = [\"legacy\", \"*_slow.py\"])";
    case PLK_KIND_METRICS:
        return "a table of METRIC = AMOUNT (threshold = { heap = 64 })";
    case PLK_KIND_SHARD:
        break; /* not a key */
    }
    return "?";
}

static int
wrong_type(reader *R, const char *key, int line, plk_kind k,
           const plk_toml_value *v)
{
    return plk_error_set(
        R->err, PLK_EUSAGE, "%s:%d: %s: expected %s, got %s %s", R->path, line,
        key, expected(k), v->type == PLK_TOML_INTEGER ? "an" : "a",
        plk_toml_type_name(v->type));
}

/* Does v fit kind k? Arrays are checked item by item. */
static int
check_type(reader *R, const char *key, int line, plk_kind k,
           const plk_toml_value *v)
{
    size_t i;

    switch (k) {
    case PLK_KIND_UINT:
        if (v->type == PLK_TOML_INTEGER) {
            return 0;
        }
        break;
    case PLK_KIND_NUMBER:
        if (v->type == PLK_TOML_INTEGER || v->type == PLK_TOML_FLOAT) {
            return 0;
        }
        break;
    case PLK_KIND_BOOL:
        if (v->type == PLK_TOML_BOOL) {
            return 0;
        }
        break;
    case PLK_KIND_STRING:
    case PLK_KIND_PATH:
    case PLK_KIND_CHOICE:
        if (v->type != PLK_TOML_STRING) {
            break;
        }
        if (v->u.str.len == 0 || strlen(v->u.str.s) != v->u.str.len) {
            return plk_error_set(R->err, PLK_EUSAGE,
                                 "%s:%d: %s: expected a non-empty string "
                                 "without NUL characters",
                                 R->path, line, key);
        }
        return 0;
    case PLK_KIND_TARGETS:
    case PLK_KIND_GLOBS:
        if (v->type != PLK_TOML_ARRAY) {
            break;
        }
        for (i = 0; i < v->u.arr.n; i++) {
            const plk_toml_value *item = v->u.arr.items[i];

            if (item->type != PLK_TOML_STRING) {
                return plk_error_set(R->err, PLK_EUSAGE,
                                     "%s:%d: %s: item %zu: expected a "
                                     "string, got %s %s",
                                     R->path, item->line, key, i + 1,
                                     item->type == PLK_TOML_INTEGER ? "an"
                                                                    : "a",
                                     plk_toml_type_name(item->type));
            }
            if (check_type(R, key, item->line, PLK_KIND_STRING, item) != 0) {
                return PLK_EUSAGE;
            }
        }
        return 0;
    case PLK_KIND_METRICS:
        if (v->type == PLK_TOML_TABLE) {
            return 0;
        }
        break;
    case PLK_KIND_SHARD:
        break;
    }
    return wrong_type(R, key, line, k, v);
}

/* Take err's message and put "FILE:LINE: " in front. */
static int
locate(reader *R, int line, int rc)
{
    char *msg = plk_strdup(R->err && R->err->message ? R->err->message
                                                     : plk_strerror(rc));

    plk_error_set(R->err, rc, "%s:%d: %s", R->path, line, msg ? msg : "?");
    free(msg);
    return rc;
}

/* value relative to the file's directory, then to the working directory
 * when it is below it (so reports show short paths). */
static char *
resolve(const reader *R, const char *value)
{
    char *cwd;
    char *joined;
    char *out;
    size_t n;

    if (value[0] == '/') {
        return plk_strdup(value);
    }
    while (strncmp(value, "./", 2) == 0) {
        value += 2;
    }
    joined = strcmp(value, ".") == 0 || value[0] == '\0'
                 ? plk_strdup(R->dir)
                 : plk_asprintf("%s%s%s", R->dir,
                                strcmp(R->dir, "/") == 0 ? "" : "/", value);
    cwd = getcwd(NULL, 0);
    if (joined == NULL || cwd == NULL) {
        free(cwd);
        return joined;
    }
    n = strlen(cwd);
    if (strcmp(joined, cwd) == 0) {
        out = plk_strdup(".");
    }
    else if (n > 1 && strncmp(joined, cwd, n) == 0 && joined[n] == '/') {
        out = plk_strdup(joined + n + 1);
    }
    else {
        out = joined;
        joined = NULL;
    }
    free(joined);
    free(cwd);
    return out;
}

/* A target from paths: a path (maybe with ::selector) is relative to the
 * file; package.module:callable is left as it is. */
static char *
resolve_target(const reader *R, const char *value)
{
    const char *sel = strstr(value, "::");
    const char *colon = strchr(value, ':');
    char *path, *full, *out;

    if (colon != NULL && colon != sel) {
        return plk_strdup(value);
    }
    if (sel == NULL) {
        return resolve(R, value);
    }
    path = plk_strndup(value, (size_t)(sel - value));
    full = path ? resolve(R, path) : NULL;
    out = full ? plk_asprintf("%s%s", full, sel) : NULL;
    free(path);
    free(full);
    return out;
}

static int
apply_metrics(reader *R, const plk_setting_def *k, const plk_toml_value *t)
{
    plk_value have;
    size_t i;

    for (i = 0; i < t->u.tab.n; i++) {
        const plk_toml_entry *e = &t->u.tab.items[i];
        const plk_toml_value *v = e->value;
        const plk_source in_file = {PLK_FROM_FILE, e->line, NULL};
        char label[64];
        char *text;
        int m = plk_metric_from_name(e->key);
        int rc;

        plk_setting_get(&have, k, R->c);
        snprintf(label, sizeof(label), "%s.%s", k->key, e->key);
        if (m < 0) {
            /* Let the flag's parser say which metrics there are. */
            text = plk_asprintf("%s=0", e->key);
        }
        else if (v->type != PLK_TOML_INTEGER && v->type != PLK_TOML_FLOAT) {
            return wrong_type(R, label, e->line, PLK_KIND_NUMBER, v);
        }
        else if (have.metric_source[m].origin > PLK_FROM_FILE) {
            continue;
        }
        else if (v->type == PLK_TOML_INTEGER) {
            text = plk_asprintf("%s=%lld", e->key, v->u.i);
        }
        else {
            text = plk_asprintf("%s=%.17g", e->key, v->u.f);
        }
        if (text == NULL) {
            return plk_error_set(R->err, PLK_ENOMEM, "out of memory");
        }
        /* Set as the flag would, so the checks and messages are its. */
        rc = plk_setting_set(R->c, k, k->key, text, &in_file, R->err);
        free(text);
        if (rc != 0) {
            return locate(R, e->line, rc);
        }
    }
    return 0;
}

/* A target that names a path: does the path (before any ::) exist?
 * package.module:callable targets are not paths and pass. */
static int
path_exists(const char *target)
{
    const char *sel = strstr(target, "::");
    const char *colon = strchr(target, ':');
    struct stat st;
    char *path;
    int found;

    if (colon != NULL && colon != sel) {
        return 1;
    }
    path =
        sel ? plk_strndup(target, (size_t)(sel - target)) : plk_strdup(target);
    found = path == NULL || stat(path, &st) == 0;
    free(path);
    return found;
}

static int
apply_list(reader *R, const plk_setting_def *k, const plk_toml_value *v,
           int line)
{
    int targets = k->kind == PLK_KIND_TARGETS;
    plk_strlist list = {0};
    plk_strlist *dst = plk_setting_list(R->c, k);
    size_t i;
    int rc = 0;

    for (i = 0; i < v->u.arr.n; i++) {
        const char *s = v->u.arr.items[i]->u.str.s;
        char *item = targets ? resolve_target(R, s) : plk_strdup(s);

        if (item == NULL || plk_strlist_push_owned(&list, item) != 0) {
            free(item);
            rc = plk_error_set(R->err, PLK_ENOMEM, "out of memory");
            goto done;
        }
        if (targets && !path_exists(item)) {
            /* Said here, where the file and line are known. */
            rc = plk_error_set(R->err, PLK_EUSAGE,
                               "%s:%d: %s: no such file or directory: "
                               "'%s' (%s are relative to the folder of "
                               "%s)",
                               R->path, v->u.arr.items[i]->line, k->key, s,
                               k->key, R->path);
            goto done;
        }
    }
    if (!targets) {
        /* The file's globs and those of the flag all apply; the file's
         * come first. */
        plk_setting_from_file(R->c, k, list.count, line);
    }
    for (i = 0; i < dst->count; i++) {
        if (plk_strlist_push_owned(&list, dst->items[i]) != 0) {
            rc = plk_error_set(R->err, PLK_ENOMEM, "out of memory");
            goto done;
        }
        dst->items[i] = NULL;
    }
    plk_strlist_free(dst);
    *dst = list;
    list.items = NULL;
    list.count = list.cap = 0;

done:
    plk_strlist_free(&list);
    return rc;
}

static int
apply_entry(reader *R, const plk_toml_entry *e)
{
    const plk_setting_def *k = plk_setting_by_key(e->key);
    const plk_toml_value *v = e->value;
    plk_source *src;
    char *text = NULL;
    int rc;

    if (k == NULL) {
        warn_unknown(R, e->key, e->line);
        return 0;
    }
    if (check_type(R, e->key, e->line, k->kind, v) != 0) {
        return PLK_EUSAGE;
    }
    if (k->kind == PLK_KIND_METRICS) {
        return apply_metrics(R, k, v);
    }
    src = &R->c->source[k->id];
    if (k->kind == PLK_KIND_GLOBS) {
        rc = apply_list(R, k, v, e->line);
        if (rc == 0 && src->origin < PLK_FROM_FILE) {
            src->origin = PLK_FROM_FILE;
            src->line = e->line;
        }
        return rc;
    }
    if (src->origin > PLK_FROM_FILE) {
        return 0; /* the command line or the environment said */
    }
    /* Values go in as the flag's text, so the flag's checks apply. */
    switch (k->kind) {
    case PLK_KIND_UINT:
        text = plk_asprintf("%lld", v->u.i);
        break;
    case PLK_KIND_NUMBER:
        text = v->type == PLK_TOML_INTEGER ? plk_asprintf("%lld", v->u.i)
                                           : plk_asprintf("%.17g", v->u.f);
        break;
    case PLK_KIND_BOOL:
        text = plk_strdup(v->u.b ? "true" : "false");
        break;
    case PLK_KIND_STRING:
    case PLK_KIND_CHOICE:
        text = plk_strdup(v->u.str.s);
        break;
    case PLK_KIND_PATH:
        text = resolve(R, v->u.str.s);
        break;
    case PLK_KIND_TARGETS:
        if (v->u.arr.n == 0) {
            return 0;
        }
        rc = apply_list(R, k, v, e->line);
        goto recorded;
    default:
        return plk_error_set(R->err, PLK_EINTERNAL, "unhandled key kind");
    }
    if (text == NULL) {
        return plk_error_set(R->err, PLK_ENOMEM, "out of memory");
    }
    rc = plk_setting_set(R->c, k, k->key, text, NULL, R->err);
    free(text);
    if (rc != 0) {
        return locate(R, e->line, rc);
    }
recorded:
    if (rc == 0) {
        src->origin = PLK_FROM_FILE;
        src->line = e->line;
        src->name = NULL;
    }
    return rc;
}

/* [tool.pyleak-ci] of a parsed file: its entry, or NULL. */
static const plk_toml_entry *
section(const plk_toml_value *root)
{
    return plk_toml_find(plk_toml_get(root, "tool"), "pyleak-ci");
}

/* A pyproject.toml with [tool.pyleak_ci] or similar is most likely
 * meant for us. */
static void
warn_near_miss(const plk_toml_value *root, const char *path, FILE *warn)
{
    const plk_toml_value *tool = plk_toml_get(root, "tool");
    size_t i;

    if (warn == NULL || tool == NULL || tool->type != PLK_TOML_TABLE) {
        return;
    }
    for (i = 0; i < tool->u.tab.n; i++) {
        const plk_toml_entry *e = &tool->u.tab.items[i];

        if (strncmp(e->key, "pyleak", 6) == 0 &&
            strcmp(e->key, "pyleak-ci") != 0) {
            fprintf(warn,
                    "pyleak-ci: warning: %s:%d: [tool.%s] is not read; "
                    "pyleak-ci reads [" SECTION "]\n",
                    path, e->line, e->key);
        }
    }
}

/* path as the user would type it: relative to the working directory
 * when below it. */
static char *
shown_path(const char *path)
{
    char *cwd = getcwd(NULL, 0);
    size_t n = cwd ? strlen(cwd) : 0;
    char *out;

    out = cwd && n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/'
              ? plk_strdup(path + n + 1)
              : plk_strdup(path);
    free(cwd);
    return out;
}

static char *
start_dir(const plk_config *c)
{
    struct stat st;
    char *path = NULL;
    char *out = NULL;

    if (c->targets.count > 0 &&
        c->source[PLK_SET_PATHS].origin == PLK_FROM_CLI) {
        const char *spec = c->targets.items[0];
        const char *sel = strstr(spec, "::");

        path =
            sel ? plk_strndup(spec, (size_t)(sel - spec)) : plk_strdup(spec);
        if (path != NULL && stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                char *slash = strrchr(path, '/');

                if (slash == NULL) {
                    strcpy(path, ".");
                }
                else if (slash == path) {
                    path[1] = '\0';
                }
                else {
                    *slash = '\0';
                }
            }
            out = realpath(path, NULL);
        }
    }
    free(path);
    return out != NULL ? out : getcwd(NULL, 0);
}

static int
find_file(char **out, const plk_config *c, FILE *warn, plk_error *err)
{
    char *dir = start_dir(c);
    int rc = 0;

    *out = NULL;
    if (dir == NULL) {
        return 0; /* no working directory: nothing to walk up from */
    }
    for (;;) {
        char *full = plk_asprintf("%s%spyproject.toml", dir,
                                  strcmp(dir, "/") == 0 ? "" : "/");
        char *cand = full ? shown_path(full) : NULL;
        struct stat st;
        char *slash;

        free(full);
        if (cand == NULL) {
            rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
            break;
        }
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
            plk_toml_value *root = NULL;

            rc = plk_toml_parse_file(&root, cand, err);
            if (rc != 0) {
                free(cand);
                break;
            }
            if (section(root) != NULL) {
                plk_toml_free(root);
                *out = cand;
                break;
            }
            warn_near_miss(root, cand, warn);
            plk_toml_free(root);
        }
        free(cand);
        if (strcmp(dir, "/") == 0) {
            break;
        }
        slash = strrchr(dir, '/');
        if (slash == dir) {
            dir[1] = '\0';
        }
        else if (slash != NULL) {
            *slash = '\0';
        }
        else {
            break;
        }
    }
    free(dir);
    return rc;
}

int
plk_pyproject_find(char **out, const plk_config *c, plk_error *err)
{
    return find_file(out, c, NULL, err);
}

int
plk_pyproject_apply(plk_config *c, const char *path, FILE *warn,
                    plk_error *err)
{
    plk_toml_value *root = NULL;
    const plk_toml_entry *sec;
    reader R = {0};
    char *abs = NULL;
    char *slash;
    size_t i;
    int rc;

    rc = plk_toml_parse_file(&root, path, err);
    if (rc != 0) {
        goto done;
    }
    sec = section(root);
    if (sec == NULL) {
        goto done;
    }
    abs = realpath(path, NULL);
    if (abs == NULL) {
        rc = plk_error_set(err, PLK_EIO, "%s: cannot resolve path", path);
        goto done;
    }
    free(c->config_file);
    c->config_file = plk_strdup(abs);
    R.c = c;
    R.path = path;
    R.warn = warn;
    R.err = err;
    R.dir = abs;
    slash = strrchr(abs, '/');
    if (slash == abs) {
        abs[1] = '\0';
    }
    else if (slash != NULL) {
        *slash = '\0';
    }
    if (sec->value->type != PLK_TOML_TABLE) {
        rc = plk_error_set(err, PLK_EUSAGE,
                           "%s:%d: tool.pyleak-ci: expected a table "
                           "([" SECTION "]), got %s %s",
                           path, sec->line,
                           sec->value->type == PLK_TOML_INTEGER ? "an" : "a",
                           plk_toml_type_name(sec->value->type));
        goto done;
    }
    for (i = 0; i < sec->value->u.tab.n; i++) {
        rc = apply_entry(&R, &sec->value->u.tab.items[i]);
        if (rc != 0) {
            goto done;
        }
    }

done:
    free(abs);
    plk_toml_free(root);
    return rc;
}

int
plk_config_load(plk_config *c, FILE *warn, plk_error *err)
{
    char *path = NULL;
    int rc;

    rc = find_file(&path, c, warn, err);
    if (rc == 0 && path != NULL) {
        rc = plk_pyproject_apply(c, path, warn, err);
    }
    if (rc == 0) {
        rc = plk_config_apply_env(c, err);
    }
    if (rc == 0) {
        rc = plk_config_finish(c, err);
    }
    if (rc == 0 && c->update_baseline && c->baseline == NULL) {
        rc = plk_error_set(err, PLK_EUSAGE,
                           "--update-baseline needs a baseline file: pass "
                           "--baseline FILE or set baseline in "
                           "[" SECTION "]");
    }
    free(path);
    return rc;
}
