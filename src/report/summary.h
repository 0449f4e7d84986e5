/* A test's leak in words, shared by the console, the reports and the
 * engine. */
#ifndef PLK_REPORT_SUMMARY_H
#define PLK_REPORT_SUMMARY_H

#include <stddef.h>

#include "base/result.h"

/* "12.3 KiB" style size; buf of at least 32 bytes. */
const char *plk_format_amount(char *buf, size_t size, double value,
                              const char *unit);
/* The leak summary of a test: "leaks 1.0 blocks/call (+72 B/call)". */
char *plk_leak_summary(const plk_test_result *t);
/* The full fit report: per metric slope, trend, deltas. */
char *plk_leak_details(const plk_test_result *t);

#endif
