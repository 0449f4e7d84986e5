/* The scheduler: turn the command line's targets into test files, pick
 * this shard's part of them, and run each in a worker process (or, with
 * PYLEAK_CI_NO_FORK=1, one after another in this process). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "engine/engine.h"
#include "pool/schedule.h"
#include "plan/shard.h"
#include "base/util.h"
#include "pool/worker.h"
#include "pool/child.h"

static void
on_suite_start(void *ctx, const plk_suite_result *s)
{
    plk_console_suite_start(ctx, s);
}

static void
on_test_done(void *ctx, const plk_suite_result *s, size_t index)
{
    plk_console_test_done(ctx, &s->tests[index]);
}

static void
on_suite_done(void *ctx, const plk_suite_result *s)
{
    plk_console_suite_done(ctx, s);
}

/* A growable array of owned targets: one per test file or callable. */
typedef struct units {
    plk_target *items;
    size_t count, cap;
} units;

static int
units_push(units *u, plk_target_kind kind, const char *path,
           const char *selector, const char *module, const char *attr)
{
    plk_target *t;

    if (u->count == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 16;
        plk_target *grown = realloc(u->items, cap * sizeof(*grown));

        if (grown == NULL) {
            return PLK_ENOMEM;
        }
        u->items = grown;
        u->cap = cap;
    }
    t = &u->items[u->count++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->path = plk_strdup(path);
    t->selector = plk_strdup(selector);
    t->module = plk_strdup(module);
    t->attr = plk_strdup(attr);
    return 0;
}

static void
units_free(units *u)
{
    size_t i;

    for (i = 0; i < u->count; i++) {
        plk_target_free(&u->items[i]);
    }
    free(u->items);
    memset(u, 0, sizeof(*u));
}

/* Directories become their test files, in sorted order. */
static int
expand(units *out, const plk_target *targets, size_t n,
       const plk_strlist *ignore, plk_error *err)
{
    size_t i, j;
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        const plk_target *tg = &targets[i];

        if (tg->kind == PLK_TARGET_DIR) {
            plk_strlist files = {0};

            rc = plk_discover_dir_ignore(&files, tg->path, ignore, err);
            for (j = 0; rc == 0 && j < files.count; j++) {
                rc = units_push(out, PLK_TARGET_FILE, files.items[j], NULL,
                                NULL, NULL);
            }
            plk_strlist_free(&files);
        }
        else {
            rc = units_push(out, tg->kind, tg->path, tg->selector, tg->module,
                            tg->attr);
        }
    }
    if (rc == PLK_ENOMEM) {
        plk_error_set(err, rc, "out of memory");
    }
    return rc;
}

/* Weights for the split: seconds from an earlier report when it knows
 * the file (the mean of the known ones when not), else test counts. */
static int
weigh(double *w, const units *u, const char *durations_from, plk_error *err)
{
    plk_durations d = {0};
    char *cwd = getcwd(NULL, 0);
    double known = 0;
    size_t i, nknown = 0;
    int rc = 0;

    if (durations_from != NULL) {
        rc = plk_durations_read(&d, durations_from, err);
    }
    for (i = 0; rc == 0 && i < u->count; i++) {
        const plk_target *t = &u->items[i];
        char *rel = NULL, *module = NULL, *root = NULL;

        w[i] = -1;
        if (durations_from != NULL) {
            if (t->kind == PLK_TARGET_MODULE) {
                module = plk_strdup(t->module);
            }
            else {
                rel = cwd ? plk_discover_relpath(t->path, cwd) : NULL;
                plk_discover_module_name(&module, &root, t->path, NULL);
            }
            w[i] = plk_durations_lookup(&d, rel, module);
        }
        if (w[i] >= 0) {
            known += w[i];
            nknown++;
        }
        free(rel);
        free(module);
        free(root);
    }
    for (i = 0; rc == 0 && i < u->count; i++) {
        if (nknown > 0 && w[i] < 0) {
            w[i] = known / (double)nknown;
        }
        else if (nknown == 0) {
            w[i] = u->items[i].kind == PLK_TARGET_MODULE
                       ? 1
                       : plk_shard_count_tests(u->items[i].path);
        }
    }
    plk_durations_free(&d);
    free(cwd);
    return rc;
}

/* Keep only shard k of n. */
static int
select_shard(units *u, unsigned k, unsigned n, const char *durations_from,
             plk_error *err)
{
    double *w = calloc(u->count ? u->count : 1, sizeof(*w));
    unsigned *shard = calloc(u->count ? u->count : 1, sizeof(*shard));
    size_t i, kept = 0;
    int rc;

    if (w == NULL || shard == NULL) {
        free(w);
        free(shard);
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    rc = weigh(w, u, durations_from, err);
    if (rc == 0) {
        rc = plk_shard_assign(shard, w, u->count, n);
    }
    for (i = 0; rc == 0 && i < u->count; i++) {
        if (shard[i] == k) {
            u->items[kept++] = u->items[i];
        }
        else {
            plk_target_free(&u->items[i]);
        }
    }
    if (rc == 0) {
        u->count = kept;
    }
    free(w);
    free(shard);
    return rc;
}

/* Everything in this process, one target after another: no isolation
 * from crashes and no --timeout. For debugging pyleak-ci itself (and to
 * measure what the workers cost). */
/* The run's folder of the tests' temporary folders, in the TMPDIR
 * pyleak-ci was given (or /tmp): a new string, or NULL (with a warning)
 * when it cannot be made, and the tests then use that TMPDIR directly. */
static char *
make_tmp_root(void)
{
    const char *base = getenv("TMPDIR");
    char *root;

    if (base == NULL || *base == '\0') {
        base = "/tmp";
    }
    root = plk_asprintf("%s/pyleak-ci.XXXXXX", base);
    if (root != NULL && mkdtemp(root) != NULL) {
        return root;
    }
    fprintf(stderr,
            "pyleak-ci: cannot make a temporary folder in %s (%s); tmpfiles "
            "and tmpbytes are not measured\n",
            base, root != NULL ? strerror(errno) : "out of memory");
    free(root);
    return NULL;
}

static void
remove_tmp_root(char *root)
{
    if (root != NULL && plk_remove_tree(root) != 0) {
        fprintf(stderr,
                "pyleak-ci: could not remove all of %s (%s): the tests "
                "left files there that cannot be removed\n",
                root, strerror(errno));
    }
    free(root);
}

static int
run_in_process(plk_run_result *out, const plk_config *cfg, plk_console *con,
               const units *u, const char *tmp_root, plk_error *err)
{
    plk_engine *E = NULL;
    plk_engine_events ev = {0};
    size_t i;
    int rc;

    ev.ctx = con;
    ev.suite_start = on_suite_start;
    ev.test_done = on_test_done;
    ev.suite_done = on_suite_done;
    rc = plk_engine_new(&E, cfg, &ev, err);
    if (rc == 0) {
        rc = plk_engine_set_tmp_root(E, tmp_root);
    }
    for (i = 0; rc == 0 && i < u->count && !plk_engine_interrupted(E); i++) {
        rc = plk_engine_run_target(E, out, &u->items[i], err);
    }
    if (E != NULL && plk_engine_interrupted(E)) {
        out->interrupted = 1;
        rc = plk_error_set(err, PLK_EINTR, "interrupted");
    }
    plk_engine_free(E);
    return rc;
}

static int
no_fork(void)
{
    const char *v = getenv("PYLEAK_CI_NO_FORK");

    return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

int
plk_run(plk_run_result *out, const plk_config *cfg, plk_console *con,
        plk_run_info *info, plk_error *err)
{
    plk_engine *E = NULL;
    plk_engine_events ev;
    plk_target *targets = NULL;
    units u = {0};
    size_t ntargets = cfg->targets.count ? cfg->targets.count : 1;
    size_t i;
    unsigned k = cfg->shard_index, n = cfg->shard_total, jobs;
    char *tmp_root = NULL;
    double t0 = plk_now();
    int rc;

    memset(info, 0, sizeof(*info));
    /* Processes whose worker died come to this process, which ends them
     * with the run (plk_end_children). */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    out->timestamp = plk_timestamp_now();
    targets = calloc(ntargets, sizeof(*targets));
    if (targets == NULL) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    /* Check every target before running anything: a typo in the last
     * one should not cost the time of the first. */
    for (i = 0; i < ntargets; i++) {
        const char *spec = cfg->targets.count ? cfg->targets.items[i] : ".";

        rc = plk_target_parse(&targets[i], spec, err);
        if (rc != 0) {
            goto done;
        }
    }
    if (n == 0) {
        rc = plk_shard_from_env(&k, &n, err);
        if (rc != 0) {
            goto done;
        }
    }
    rc = expand(&u, targets, ntargets, &cfg->ignore, err);
    if (rc != 0) {
        goto done;
    }
    info->files = u.count;
    if (n > 0) {
        rc = select_shard(&u, k, n, cfg->durations_from, err);
        if (rc != 0) {
            goto done;
        }
        info->shard_index = k;
        info->shard_total = n;
    }
    info->selected = u.count;
    tmp_root = make_tmp_root();
    if (no_fork()) {
        rc = run_in_process(out, cfg, con, &u, tmp_root, err);
        goto done;
    }
    plk_worker_events(&ev);
    rc = plk_engine_new(&E, cfg, &ev, err);
    if (rc == 0) {
        rc = plk_engine_set_tmp_root(E, tmp_root);
    }
    if (rc != 0) {
        goto done;
    }
    jobs = cfg->jobs ? cfg->jobs : plk_worker_cpus();
    rc = plk_worker_run(out, E, u.items, u.count, jobs, cfg, con,
                        &info->anomaly, err);
done:
    plk_engine_free(E);
    plk_end_children();
    remove_tmp_root(tmp_root);
    units_free(&u);
    for (i = 0; i < ntargets; i++) {
        plk_target_free(&targets[i]);
    }
    free(targets);
    out->time = plk_now() - t0;
    return rc;
}
