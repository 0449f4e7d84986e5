/* pyleak-ci run: find and run the tests, write the reports, pick the
 * exit code. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runner.h"

/* glibc's per-thread cache keeps freed chunks counted as in use by
 * mallinfo2(), and it fills up one size class at a time: a slow climb of
 * the heap metric that no test caused. Its size can only be set before
 * the process starts, so pyleak-ci starts itself once more with the
 * cache off, then puts the user's GLIBC_TUNABLES back for the tests. */
#define PLK_TCACHE_OFF "glibc.malloc.tcache_count=0"
#define PLK_REEXEC_MARK "PYLEAK_CI_TUNABLES"

static void
restart_without_tcache(char **argv)
{
    const char *mark = getenv(PLK_REEXEC_MARK);
    const char *cur = getenv("GLIBC_TUNABLES");
    char *value;

    if (mark != NULL) {
        /* Second start: the marker holds the user's value ("-" when
         * there was none). */
        if (strcmp(mark, "-") == 0) {
            unsetenv("GLIBC_TUNABLES");
        }
        else {
            setenv("GLIBC_TUNABLES", mark + 1, 1);
        }
        unsetenv(PLK_REEXEC_MARK);
        return;
    }
    if (getenv("PYLEAK_CI_KEEP_TCACHE") != NULL ||
        (cur != NULL && strstr(cur, "glibc.malloc.tcache_count") != NULL)) {
        return;
    }
    /* The marker carries the user's value ("=value", or "-" for none)
     * across the restart. */
    value = cur ? plk_asprintf("=%s", cur) : plk_strdup("-");
    if (value == NULL) {
        return;
    }
    setenv(PLK_REEXEC_MARK, value, 1);
    free(value);
    value = cur ? plk_asprintf("%s:%s", cur, PLK_TCACHE_OFF)
                : plk_strdup(PLK_TCACHE_OFF);
    if (value == NULL) {
        unsetenv(PLK_REEXEC_MARK);
        return;
    }
    setenv("GLIBC_TUNABLES", value, 1);
    free(value);
    execv("/proc/self/exe", argv);
    /* Could not restart: carry on with the cache on, and undo. */
    unsetenv(PLK_REEXEC_MARK);
    if (cur == NULL) {
        unsetenv("GLIBC_TUNABLES");
    }
}

/* A test that leaks a descriptor per call opens a thousand of them in a
 * run; at the usual soft limit of 1024 it would fail with EMFILE, and so
 * would writing the report. The hard limit is there to be used. */
static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int
use_color(plk_color c)
{
    const char *no = getenv("NO_COLOR");

    if (c == PLK_COLOR_ALWAYS) {
        return 1;
    }
    if (c == PLK_COLOR_NEVER || (no != NULL && *no != '\0')) {
        return 0;
    }
    return isatty(STDOUT_FILENO);
}

static int
exit_for(int rc)
{
    switch (rc) {
    case PLK_EUSAGE:
    case PLK_ENOTFOUND:
    case PLK_EVERSION:
        return EXIT_USAGE;
    case PLK_EINTR:
        return EXIT_INTERRUPTED;
    default:
        return EXIT_INTERNAL;
    }
}

/* Every report asked for, also after an interrupted run (with what
 * finished). One report failing does not keep the others from being
 * written. gh_token is the pause of workflow commands to end before the
 * annotations (then emptied). Returns 0, or -1 when a report file could
 * not be written. */
static int
write_reports(const plk_config *cfg, const plk_run_result *result,
              char *gh_token)
{
    plk_error err = {0};
    int failed = 0;
    int html_written = 0;

    if (cfg->junit_xml != NULL &&
        plk_junit_write(result, cfg->junit_xml, cfg->junit_strict, &err) !=
            0) {
        fprintf(stderr, "pyleak-ci: %s\n", err.message);
        plk_error_clear(&err);
        failed = 1;
    }
    if (cfg->json != NULL) {
        plk_json_meta meta = {PLK_VERSION, plk_embed_version(),
                              plk_embed_is_debug(), cfg};

        if (plk_json_write(result, &meta, cfg->json, &err) != 0) {
            fprintf(stderr, "pyleak-ci: %s\n", err.message);
            plk_error_clear(&err);
            failed = 1;
        }
    }
    if (cfg->html != NULL) {
        plk_html_meta meta = {PLK_VERSION, plk_embed_version(),
                              plk_embed_is_debug(), cfg};

        if (plk_html_write(result, &meta, cfg->html, &err) != 0) {
            fprintf(stderr, "pyleak-ci: %s\n", err.message);
            plk_error_clear(&err);
            failed = 1;
        }
        else {
            html_written = 1;
        }
    }
    if (plk_github_active()) {
        const char *summary = getenv("GITHUB_STEP_SUMMARY");
        size_t omitted;
        char *run_url = html_written ? plk_github_run_url() : NULL;
        const char *slash = cfg->html ? strrchr(cfg->html, '/') : NULL;
        /* Leaks link to their sections of the HTML report: where
         * PYLEAK_HTML_URL says it is served, else the run's artifacts
         * (the workflow uploads it with actions/upload-artifact). */
        plk_github_html html = {slash ? slash + 1 : cfg->html,
                                getenv("PYLEAK_HTML_URL"), run_url};

        fflush(stdout);
        plk_github_resume_commands(stdout, gh_token);
        gh_token[0] = '\0';
        omitted =
            plk_github_annotate(stdout, result, PLK_GITHUB_MAX_ANNOTATIONS);
        /* The summary is a courtesy: a runner without one (or a full
         * disk there) must not fail a run whose verdict is known. */
        if (summary != NULL && summary[0] != '\0' &&
            plk_github_summary_append(summary, result, omitted,
                                      html_written ? &html : NULL,
                                      &err) != 0) {
            fprintf(stderr, "pyleak-ci: warning: %s\n", err.message);
            plk_error_clear(&err);
        }
        free(run_url);
    }
    return failed ? -1 : 0;
}

/* Judge the run's leaks against the baseline; with --update-baseline
 * first rewrite it from this run (not from an interrupted one), so the
 * leaks just recorded pass and the tests that stopped leaking show as
 * fixed. Returns 0, or -1 when the file cannot be written. */
static int
apply_baseline(const plk_config *cfg, const plk_baseline *base,
               plk_run_result *result, plk_baseline_stats *st)
{
    plk_baseline updated = {0};
    plk_error err = {0};
    int rc = 0;

    if (!cfg->update_baseline || result->interrupted) {
        plk_baseline_apply(base, NULL, result, st);
        return 0;
    }
    if (plk_baseline_update(&updated, base, result, st, &err) != 0 ||
        plk_baseline_write(&updated, cfg->baseline, &err) != 0) {
        fprintf(stderr, "pyleak-ci: %s\n", err.message);
        rc = -1;
    }
    else {
        plk_baseline_apply(&updated, base, result, st);
    }
    plk_baseline_free(&updated);
    plk_error_clear(&err);
    return rc;
}

static void
report_baseline(const plk_config *cfg, const plk_baseline_stats *st,
                int interrupted)
{
    if (cfg->baseline == NULL) {
        return;
    }
    if (cfg->update_baseline && interrupted) {
        printf("baseline: not updated: the run was interrupted\n");
    }
    else if (cfg->update_baseline) {
        printf("baseline: wrote %s: %zu added, %zu updated, %zu removed, "
               "%zu kept for tests without a verdict in this run\n",
               cfg->baseline, st->added, st->updated, st->removed, st->kept);
    }
    else if (st->unmatched > 0) {
        printf("baseline: %zu entr%s of %s name%s tests without a verdict "
               "in this run (not run, failed or skipped)\n",
               st->unmatched, st->unmatched == 1 ? "y" : "ies", cfg->baseline,
               st->unmatched == 1 ? "s" : "");
    }
    if (!cfg->update_baseline && st->fixed > 0) {
        printf("baseline: %zu test%s no longer leak%s; run with "
               "--update-baseline to drop %s from %s\n",
               st->fixed, st->fixed == 1 ? "" : "s", st->fixed == 1 ? "s" : "",
               st->fixed == 1 ? "it" : "them", cfg->baseline);
    }
}

/* The python of the virtual environment this program was installed
 * into (`pip install .` puts it in the environment's bin/, beside that
 * python), or NULL: so `venv/bin/pyleak-ci` runs the tests in that
 * environment also when it is not activated. */
static char *
installed_python(void)
{
    char exe[4096];
    char *slash, *python = NULL, *cfg = NULL;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (n <= 0) {
        return NULL;
    }
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (slash == NULL || slash == exe) {
        return NULL;
    }
    *slash = '\0';
    python = plk_asprintf("%s/python", exe);
    cfg = plk_asprintf("%s/../pyvenv.cfg", exe);
    if (python == NULL || cfg == NULL || access(python, X_OK) != 0 ||
        access(cfg, R_OK) != 0) {
        free(python);
        python = NULL;
    }
    free(cfg);
    return python;
}

static int
run(plk_config *cfg, const char *argv0)
{
    plk_error err = {0};
    plk_run_result result = {0};
    plk_console con;
    plk_embed_options eo = {0};
    plk_totals tot;
    char gh_token[PLK_GITHUB_TOKEN_SIZE] = "";
    plk_baseline base = {0};
    plk_baseline_stats bst = {0};
    plk_run_info info;
    int rc, code, reserve;

    if (cfg->junit_strict && cfg->junit_xml == NULL) {
        fprintf(stderr, "pyleak-ci: --junit-strict shapes the JUnit report, "
                        "but no report was asked for; add --junit-xml "
                        "PATH (or junit-xml in [tool.pyleak-ci])\n");
        return EXIT_USAGE;
    }
    /* Report paths are checked before any test runs: finding out after
     * an hour of leak hunting that the report cannot be written wastes
     * the hour. */
    if ((cfg->junit_xml != NULL &&
         plk_junit_check_path(cfg->junit_xml, &err) != 0) ||
        (cfg->json != NULL && plk_json_check_path(cfg->json, &err) != 0) ||
        (cfg->html != NULL && plk_html_check_path(cfg->html, &err) != 0)) {
        fprintf(stderr, "pyleak-ci: %s\n", err.message);
        plk_error_clear(&err);
        return EXIT_USAGE;
    }
    /* A missing or malformed baseline is found before any test runs. */
    if (cfg->baseline != NULL &&
        plk_baseline_load(&base, cfg->baseline, cfg->update_baseline, &err) !=
            0) {
        fprintf(stderr, "pyleak-ci: %s\n", err.message);
        plk_error_clear(&err);
        return EXIT_USAGE;
    }
    eo.argv0 = argv0;
    /* --python, [tool.pyleak-ci] python, $VIRTUAL_ENV's python, or the
     * python of the environment pyleak-ci is installed in. */
    if (cfg->python == NULL) {
        cfg->python = installed_python();
    }
    eo.python = cfg->python;
    rc = plk_embed_init(&eo, &err);
    if (rc != 0) {
        fprintf(stderr, "pyleak-ci: %s\n", err.message);
        plk_error_clear(&err);
        plk_baseline_free(&base);
        return rc == PLK_EPYTHON ? EXIT_INTERNAL : EXIT_USAGE;
    }
    if (plk_embed_lacks() != NULL) {
        /* A version newer than this build knows: say what is missing
         * rather than leave a silent gap in the reports. */
        fprintf(stderr,
                "pyleak-ci: note: not available with Python %s: "
                "%s\n",
                plk_embed_version(), plk_embed_lacks());
    }
    plk_console_init(&con, stdout, use_color(cfg->color), cfg->verbose,
                     cfg->quiet);
    if (plk_github_active()) {
        plk_github_stop_commands(stdout, gh_token);
    }
    /* A descriptor held back from the tests: if one leaks descriptors up
     * to the limit, closing this one still lets the report be written. */
    reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
    rc = plk_run(&result, cfg, &con, &info, &err);
    if (reserve >= 0) {
        close(reserve);
    }
    if (rc != 0 && rc != PLK_EINTR) {
        fprintf(stderr, "pyleak-ci: %s\n",
                err.message ? err.message : plk_strerror(rc));
        code = exit_for(rc);
        goto done;
    }
    result.interrupted = rc == PLK_EINTR;
    if (cfg->baseline != NULL &&
        apply_baseline(cfg, &base, &result, &bst) != 0) {
        code = EXIT_INTERNAL;
        goto done;
    }
    plk_console_summary(&con, &result);
    report_baseline(cfg, &bst, rc == PLK_EINTR);
    if (write_reports(cfg, &result, gh_token) != 0) {
        code = EXIT_INTERNAL;
        goto done;
    }
    plk_run_result_totals(&result, &tot);
    if (rc == PLK_EINTR) {
        code = EXIT_INTERRUPTED;
    }
    else if (tot.leaked || tot.failed || tot.errors) {
        code = EXIT_TESTS_FAILED;
    }
    else if (tot.tests == 0 && info.shard_total > 0 && info.files > 0 &&
             info.selected == 0) {
        /* More shards than files: this one has nothing to do, which is
         * not a failure of the job. */
        fprintf(stderr,
                "pyleak-ci: shard %u/%u has no test files (%zu "
                "in all)\n",
                info.shard_index, info.shard_total, info.files);
        code = EXIT_OK;
    }
    else if (tot.tests == 0) {
        fprintf(stderr, "pyleak-ci: no tests collected; test files are "
                        "named test_*.py or *_test.py and hold test_* "
                        "functions or unittest.TestCase classes\n");
        code = EXIT_NO_TESTS;
    }
    else {
        code = EXIT_OK;
    }
    if (info.anomaly && code != EXIT_INTERRUPTED) {
        /* A worker that reported everything and then exited non-zero:
         * something outside the tests (a memory checker, say) objected. */
        code = EXIT_INTERNAL;
    }
done:
    /* A run that ended early still gives the runner its commands back. */
    plk_github_resume_commands(stdout, gh_token);
    plk_baseline_free(&base);
    plk_run_result_free(&result);
    plk_error_clear(&err);
    plk_embed_finalize();
    return code;
}

int
cmd_run(plk_config *cfg, int argc, char **argv)
{
    int code;

    (void)argc;
    restart_without_tcache(argv);
    raise_fd_limit();
    /* After the restart, so warnings about the file show once. */
    code = runner_load_config(cfg);
    if (code == EXIT_OK) {
        code = run(cfg, argv[0]);
    }
    return code;
}
