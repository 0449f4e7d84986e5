/* Console reporting: progress while running and the final summary. */
#ifndef PYLEAK_REPORT_H
#define PYLEAK_REPORT_H

#include <stdio.h>

#include "pyleak/result.h"

typedef struct plk_console {
    FILE *out;
    int color;
    int verbose;
    int quiet;
    int line_open;   /* a progress line is being written */
} plk_console;

void plk_console_init(plk_console *c, FILE *out, int color, int verbose,
                      int quiet);
void plk_console_suite_start(plk_console *c, const plk_suite_result *s);
void plk_console_test_done(plk_console *c, const plk_test_result *t);
void plk_console_suite_done(plk_console *c, const plk_suite_result *s);
/* Details of leaks, failures and errors, then the summary line. */
void plk_console_summary(plk_console *c, const plk_run_result *r);

/* "12.3 KiB" style size; buf of at least 32 bytes. */
const char *plk_format_amount(char *buf, size_t size, double value,
                              const char *unit);
/* The leak summary of a test: "leaks 1.0 blocks/call (+72 B/call)". */
char *plk_leak_summary(const plk_test_result *t);
/* The full fit report: per metric slope, trend, deltas. */
char *plk_leak_details(const plk_test_result *t);

#endif
