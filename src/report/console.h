/* Console reporting: progress while running and the final summary. */
#ifndef PLK_REPORT_CONSOLE_H
#define PLK_REPORT_CONSOLE_H

#include <stdio.h>

#include "base/result.h"

typedef struct plk_console {
    FILE *out;
    int color;
    int verbose;
    int quiet;
    int line_open; /* a progress line is being written */
} plk_console;

void plk_console_init(plk_console *c, FILE *out, int color, int verbose,
                      int quiet);
void plk_console_suite_start(plk_console *c, const plk_suite_result *s);
void plk_console_test_done(plk_console *c, const plk_test_result *t);
void plk_console_suite_done(plk_console *c, const plk_suite_result *s);
/* Details of leaks, failures and errors, then the summary line. */
void plk_console_summary(plk_console *c, const plk_run_result *r);

#endif
