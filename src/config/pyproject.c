/* [tool.pyleak-ci] in pyproject.toml: finding the file, checking its keys
 * and applying them below the environment and the command line. */
#define _GNU_SOURCE 1

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/toml.h"

#define SECTION "tool.pyleak-ci"

typedef enum {
    K_UINT,    /* integer, range checked as the flag's */
    K_NUMBER,  /* integer or float */
    K_BOOL,
    K_STRING,
    K_PATH,    /* string, relative to the file's directory */
    K_PATHS,   /* array of paths: the default targets */
    K_GLOBS,   /* array of strings */
    K_METRICS  /* table METRIC = AMOUNT */
} key_kind;

typedef struct key_spec {
    const char *key;
    plk_setting id;
    key_kind kind;
    const char *option; /* the flag that checks and sets the value */
} key_spec;

/* Keys are the long option names, so what works on the command line
 * works in the file. */
static const key_spec keys[] = {
    {"paths", PLK_SET_PATHS, K_PATHS, NULL},
    {"python", PLK_SET_PYTHON, K_PATH, "--python"},
    {"warmup", PLK_SET_WARMUP, K_UINT, "--warmup"},
    {"rounds", PLK_SET_ROUNDS, K_UINT, "--rounds"},
    {"max-rounds", PLK_SET_MAX_ROUNDS, K_UINT, "--max-rounds"},
    {"max-calls", PLK_SET_MAX_CALLS, K_UINT, "--max-calls"},
    {"round-ms", PLK_SET_ROUND_MS, K_NUMBER, "--round-ms"},
    {"alpha", PLK_SET_ALPHA, K_NUMBER, "--alpha"},
    {"thorough", PLK_SET_THOROUGH, K_BOOL, NULL},
    {"reseed", PLK_SET_RESEED, K_BOOL, NULL},
    {"fail-not-repeatable", PLK_SET_FAIL_NOT_REPEATABLE, K_BOOL, NULL},
    {"threshold", PLK_SET_THRESHOLD, K_METRICS, "--threshold"},
    {"floor", PLK_SET_FLOOR, K_METRICS, "--floor"},
    {"timeout", PLK_SET_TIMEOUT, K_NUMBER, "--timeout"},
    {"jobs", PLK_SET_JOBS, K_UINT, "--jobs"},
    {"durations-from", PLK_SET_DURATIONS_FROM, K_PATH, "--durations-from"},
    {"keyword", PLK_SET_KEYWORD, K_STRING, "--keyword"},
    {"ignore", PLK_SET_IGNORE, K_GLOBS, NULL},
    {"junit-xml", PLK_SET_JUNIT_XML, K_PATH, "--junit-xml"},
    {"junit-strict", PLK_SET_JUNIT_STRICT, K_BOOL, NULL},
    {"json", PLK_SET_JSON, K_PATH, "--json"},
    {"html", PLK_SET_HTML, K_PATH, "--html"},
    {"baseline", PLK_SET_BASELINE, K_PATH, "--baseline"},
    {"diagnose", PLK_SET_DIAGNOSE, K_BOOL, NULL},
    {"traceback-depth", PLK_SET_TRACEBACK_DEPTH, K_UINT,
     "--traceback-depth"},
    {"color", PLK_SET_COLOR, K_STRING, "--color"},
    {"verbose", PLK_SET_VERBOSE, K_BOOL, NULL},
    {"quiet", PLK_SET_QUIET, K_BOOL, NULL},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* Flags that are not settings of a project, with why. */
static const struct {
    const char *key;
    const char *why;
} flag_only[] = {
    {"shard", "each CI machine passes its own --shard K/N"},
    {"update-baseline", "it is an action: pass --update-baseline when "
                        "you mean to rewrite the baseline"},
    {"no-diagnose", "use diagnose = false"},
    {"no-reseed", "use reseed = false"},
};

typedef struct reader {
    plk_config *c;
    const char *path;    /* as shown in messages */
    char *dir;           /* the file's directory, absolute */
    FILE *warn;
    plk_error *err;
} reader;

static const key_spec *
find_key(const char *key)
{
    size_t i;

    for (i = 0; i < N_KEYS; i++) {
        if (strcmp(keys[i].key, key) == 0) {
            return &keys[i];
        }
    }
    return NULL;
}

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

static void
warn_unknown(reader *R, const char *key, int line)
{
    const char *best = NULL;
    size_t best_d = 3;
    size_t i;

    if (R->warn == NULL) {
        return;
    }
    for (i = 0; i < sizeof(flag_only) / sizeof(flag_only[0]); i++) {
        if (strcmp(flag_only[i].key, key) == 0) {
            fprintf(R->warn,
                    "pyleak-ci: warning: %s:%d: '%s' is not read from "
                    "[" SECTION "]: %s\n",
                    R->path, line, key, flag_only[i].why);
            return;
        }
    }
    for (i = 0; i < N_KEYS; i++) {
        size_t d = distance(key, keys[i].key);

        if (d < best_d) {
            best_d = d;
            best = keys[i].key;
        }
    }
    fprintf(R->warn,
            "pyleak-ci: warning: %s:%d: unknown key '%s' in [" SECTION "]%s"
            "%s%s (ignored)\n",
            R->path, line, key, best ? "; did you mean '" : "",
            best ? best : "", best ? "'?" : "");
}

static const char *
expected(key_kind k)
{
    switch (k) {
    case K_UINT:
        return "an integer";
    case K_NUMBER:
        return "a number";
    case K_BOOL:
        return "true or false";
    case K_STRING:
    case K_PATH:
        return "a string";
    case K_PATHS:
        return "an array of strings (paths = [\"tests\"])";
    case K_GLOBS:
        return "an array of strings (ignore = [\"legacy\", \"*_slow.py\"])";
    case K_METRICS:
        return "a table of METRIC = AMOUNT (threshold = { heap = 64 })";
    }
    return "?";
}

static int
wrong_type(reader *R, const char *key, int line, key_kind k,
           const plk_toml_value *v)
{
    return plk_error_set(R->err, PLK_EUSAGE,
                         "%s:%d: %s: expected %s, got %s %s", R->path, line,
                         key, expected(k),
                         v->type == PLK_TOML_INTEGER ? "an" : "a",
                         plk_toml_type_name(v->type));
}

/* Does v fit kind k? Arrays are checked item by item. */
static int
check_type(reader *R, const char *key, int line, key_kind k,
           const plk_toml_value *v)
{
    size_t i;

    switch (k) {
    case K_UINT:
        if (v->type == PLK_TOML_INTEGER) {
            return 0;
        }
        break;
    case K_NUMBER:
        if (v->type == PLK_TOML_INTEGER || v->type == PLK_TOML_FLOAT) {
            return 0;
        }
        break;
    case K_BOOL:
        if (v->type == PLK_TOML_BOOL) {
            return 0;
        }
        break;
    case K_STRING:
    case K_PATH:
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
    case K_PATHS:
    case K_GLOBS:
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
            if (check_type(R, key, item->line, K_STRING, item) != 0) {
                return PLK_EUSAGE;
            }
        }
        return 0;
    case K_METRICS:
        if (v->type == PLK_TOML_TABLE) {
            return 0;
        }
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
apply_metrics(reader *R, const key_spec *k, const plk_toml_value *t)
{
    plk_source *sources = k->id == PLK_SET_THRESHOLD
                              ? R->c->threshold_source
                              : R->c->floor_source;
    size_t i;

    for (i = 0; i < t->u.tab.n; i++) {
        const plk_toml_entry *e = &t->u.tab.items[i];
        const plk_toml_value *v = e->value;
        char label[64];
        char *text;
        int m = plk_metric_from_name(e->key);
        int rc;

        snprintf(label, sizeof(label), "%s.%s", k->key, e->key);
        if (m < 0) {
            /* Let the flag's parser say which metrics there are. */
            text = plk_asprintf("%s=0", e->key);
        }
        else if (v->type != PLK_TOML_INTEGER && v->type != PLK_TOML_FLOAT) {
            return wrong_type(R, label, e->line, K_NUMBER, v);
        }
        else if (sources[m].origin > PLK_FROM_FILE) {
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
        rc = plk_cli_set(R->c, k->option, k->key, text, R->err);
        free(text);
        if (rc != 0) {
            return locate(R, e->line, rc);
        }
        sources[m].origin = PLK_FROM_FILE;
        sources[m].line = e->line;
        sources[m].name = NULL;
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
    path = sel ? plk_strndup(target, (size_t)(sel - target))
               : plk_strdup(target);
    found = path == NULL || stat(path, &st) == 0;
    free(path);
    return found;
}

static int
apply_list(reader *R, const key_spec *k, const plk_toml_value *v, int line)
{
    plk_strlist list = {0};
    plk_strlist *dst = k->id == PLK_SET_PATHS ? &R->c->targets
                                              : &R->c->ignore;
    size_t i;
    int rc = 0;

    for (i = 0; i < v->u.arr.n; i++) {
        const char *s = v->u.arr.items[i]->u.str.s;
        char *item = k->id == PLK_SET_PATHS ? resolve_target(R, s)
                                            : plk_strdup(s);

        if (item == NULL || plk_strlist_push_owned(&list, item) != 0) {
            free(item);
            rc = plk_error_set(R->err, PLK_ENOMEM, "out of memory");
            goto done;
        }
        if (k->id == PLK_SET_PATHS && !path_exists(item)) {
            /* Said here, where the file and line are known. */
            rc = plk_error_set(R->err, PLK_EUSAGE,
                               "%s:%d: paths: no such file or directory: "
                               "'%s' (paths are relative to the folder of "
                               "%s)",
                               R->path, v->u.arr.items[i]->line, s,
                               R->path);
            goto done;
        }
    }
    if (k->id == PLK_SET_IGNORE) {
        /* The file's globs and those of --ignore all apply; the file's
         * come first. */
        R->c->ignore_from_file = list.count;
        R->c->ignore_file_line = line;
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

static int *
bool_field(plk_config *c, plk_setting id)
{
    switch (id) {
    case PLK_SET_JUNIT_STRICT:
        return &c->junit_strict;
    case PLK_SET_DIAGNOSE:
        return &c->diagnose;
    case PLK_SET_THOROUGH:
        return &c->thorough;
    case PLK_SET_RESEED:
        return &c->reseed;
    case PLK_SET_FAIL_NOT_REPEATABLE:
        return &c->fail_not_repeatable;
    case PLK_SET_VERBOSE:
        return &c->verbose;
    case PLK_SET_QUIET:
        return &c->quiet;
    default:
        return NULL;
    }
}

static int
apply_entry(reader *R, const plk_toml_entry *e)
{
    const key_spec *k = find_key(e->key);
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
    if (k->kind == K_METRICS) {
        return apply_metrics(R, k, v);
    }
    src = &R->c->source[k->id];
    if (k->kind == K_GLOBS) {
        rc = apply_list(R, k, v, e->line);
        if (rc == 0 && src->origin < PLK_FROM_FILE) {
            src->origin = PLK_FROM_FILE;
            src->line = e->line;
        }
        return rc;
    }
    if (src->origin > PLK_FROM_FILE) {
        return 0;  /* the command line or the environment said */
    }
    switch (k->kind) {
    case K_UINT:
        text = plk_asprintf("%lld", v->u.i);
        break;
    case K_NUMBER:
        text = v->type == PLK_TOML_INTEGER ? plk_asprintf("%lld", v->u.i)
                                           : plk_asprintf("%.17g", v->u.f);
        break;
    case K_STRING:
        text = plk_strdup(v->u.str.s);
        break;
    case K_PATH:
        text = resolve(R, v->u.str.s);
        break;
    case K_PATHS:
        if (v->u.arr.n == 0) {
            return 0;
        }
        rc = apply_list(R, k, v, e->line);
        goto recorded;
    case K_BOOL:
        *bool_field(R->c, k->id) = v->u.b;
        rc = 0;
        goto recorded;
    default:
        return plk_error_set(R->err, PLK_EINTERNAL, "unhandled key kind");
    }
    if (text == NULL) {
        return plk_error_set(R->err, PLK_ENOMEM, "out of memory");
    }
    rc = plk_cli_set(R->c, k->option, k->key, text, R->err);
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

        if (strncmp(e->key, "pyleak", 6) == 0
            && strcmp(e->key, "pyleak-ci") != 0) {
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

    if (c->targets.count > 0 && c->source[PLK_SET_PATHS].origin ==
                                    PLK_FROM_CLI) {
        const char *spec = c->targets.items[0];
        const char *sel = strstr(spec, "::");

        path = sel ? plk_strndup(spec, (size_t)(sel - spec))
                   : plk_strdup(spec);
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
        return 0;  /* no working directory: nothing to walk up from */
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
