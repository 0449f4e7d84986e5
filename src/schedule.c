/* The scheduler: turn the command line's targets into files and run each
 * through the engine, reporting to the console as results arrive. */
#define _GNU_SOURCE
#include <stdlib.h>

#include "pyleak/engine.h"
#include "pyleak/run.h"
#include "pyleak/util.h"

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

int
plk_run(plk_run_result *out, const plk_config *cfg, plk_console *con,
        plk_error *err)
{
    plk_engine *E = NULL;
    plk_engine_events ev = {0};
    plk_target *targets = NULL;
    size_t ntargets = cfg->targets.count ? cfg->targets.count : 1;
    size_t i, j;
    double t0 = plk_now();
    int rc;

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
    ev.ctx = con;
    ev.suite_start = on_suite_start;
    ev.test_done = on_test_done;
    ev.suite_done = on_suite_done;
    rc = plk_engine_new(&E, cfg, &ev, err);
    if (rc != 0) {
        goto done;
    }
    for (i = 0; i < ntargets && rc == 0 && !plk_engine_interrupted(E); i++) {
        plk_target *tg = &targets[i];

        if (tg->kind == PLK_TARGET_DIR) {
            plk_strlist files = {0};

            rc = plk_discover_dir_ignore(&files, tg->path, &cfg->ignore,
                                         err);
            for (j = 0; rc == 0 && j < files.count &&
                        !plk_engine_interrupted(E); j++) {
                plk_target ft = {0};

                ft.kind = PLK_TARGET_FILE;
                ft.path = files.items[j];
                rc = plk_engine_run_target(E, out, &ft, err);
            }
            plk_strlist_free(&files);
        }
        else {
            rc = plk_engine_run_target(E, out, tg, err);
        }
    }
    if (plk_engine_interrupted(E)) {
        out->interrupted = 1;
        rc = plk_error_set(err, PLK_EINTR, "interrupted");
    }
done:
    plk_engine_free(E);
    for (i = 0; i < ntargets; i++) {
        plk_target_free(&targets[i]);
    }
    free(targets);
    out->time = plk_now() - t0;
    return rc;
}
