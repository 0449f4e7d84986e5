/* GitHub Actions: error annotations at each leak's location and a
 * Markdown job summary. */
#ifndef PYLEAK_GITHUB_H
#define PYLEAK_GITHUB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/result.h"
#include "base/util.h"

/* GitHub shows at most this many error annotations per step. */
#define PLK_GITHUB_MAX_ANNOTATIONS 10
/* The job summary is capped at 1 MiB per step; ours stays far below. */
#define PLK_GITHUB_SUMMARY_LIMIT (256 * 1024)

/* 1 when GITHUB_ACTIONS is "true". */
int plk_github_active(void);

/* Tell the runner to act on no workflow command in what follows: the
 * tests' own output and the console report (tracebacks, messages) may
 * hold lines starting with "::". Writes "::stop-commands::TOKEN" with a
 * fresh random token, kept in token (at least PLK_GITHUB_TOKEN_SIZE
 * bytes) for plk_github_resume_commands. */
#define PLK_GITHUB_TOKEN_SIZE 48
void plk_github_stop_commands(FILE *out, char *token);
/* Writes "::TOKEN::", after which commands count again. */
void plk_github_resume_commands(FILE *out, const char *token);

/* Append s to b escaped by the workflow-command rules: as the message
 * (data: '%', CR, LF), or, with property non-zero, as a property value
 * (also ':' and ','). s is sanitised first (ANSI escapes removed, control
 * characters and invalid UTF-8 made visible); a property is also made one
 * line. Returns 0 or PLK_ENOMEM. */
int plk_github_escape(plk_buf *b, const char *s, int property);

/* The path GitHub needs for an annotation: file relative to the
 * repository root (workspace), given the working directory cwd that file
 * is relative to. Both directories should be canonical (realpath).
 * Returns a new string, or NULL when file lies outside the workspace (or
 * workspace is NULL and file is absolute). */
char *plk_github_repo_path(const char *workspace, const char *cwd,
                           const char *file);

/* Write one "::error ..." line per leak (at the leak's location, else the
 * test's), then per failing or erroring test, at most max in all. File
 * paths are made relative to $GITHUB_WORKSPACE. Returns the number of
 * problems that were not annotated because of max. */
size_t plk_github_annotate(FILE *out, const plk_run_result *r, size_t max);

/* Where the HTML report of the run (--html) can be read, so each leak of
 * the summary links to its section there. */
typedef struct plk_github_html {
    const char *file;     /* its file name, as the workflow uploads it */
    const char *base_url; /* where it is served ($PYLEAK_HTML_URL): rows
                            * link to base_url#section; NULL: none */
    const char *run_url;  /* the workflow run's page, whose artifacts
                            * hold the report: the link when there is no
                            * base_url; NULL: none */
} plk_github_html;

/* The run's page from GITHUB_SERVER_URL, GITHUB_REPOSITORY and
 * GITHUB_RUN_ID, or NULL when they are not all set (or without
 * memory). A new string. */
char *plk_github_run_url(void);

/* Render the Markdown job summary into *out (the caller frees it):
 * totals, a table of leaks (test, growth per call, a sparkline of the
 * growth over rounds, top site and, with html, a link to the leak's
 * section of the HTML report), then failing tests; omitted is what
 * plk_github_annotate could not annotate. The text stays below limit
 * bytes, listing fewer rows and saying so when needed. html may be NULL.
 * Returns 0 or PLK_ENOMEM. */
int plk_github_summary(char **out, const plk_run_result *r, size_t omitted,
                       size_t limit, const plk_github_html *html);

/* Append the summary to path ($GITHUB_STEP_SUMMARY). */
int plk_github_summary_append(const char *path, const plk_run_result *r,
                              size_t omitted, const plk_github_html *html,
                              plk_error *err);

/* "▁▃█" for the growth between consecutive samples of series: eight bar
 * heights from the smallest growth (or 0) to the largest, at most max
 * bars (the latest rounds). Returns a new string, or NULL without
 * memory. */
char *plk_github_sparkline(const int64_t *series, size_t n, size_t max);

#endif
