/* Sharding: durations from earlier reports, test counts, and the split
 * of files over machines. */
#define _GNU_SOURCE 1
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "plan/shard.h"
#include "base/sanitize.h"

/* -- durations ------------------------------------------------------------ */

static int
add_secs(plk_strlist *keys, double **secs, const char *key, double v)
{
    size_t i;
    double *grown;

    if (key == NULL || *key == '\0' || !(v >= 0) || v > 1e9) {
        return 0;
    }
    for (i = 0; i < keys->count; i++) {
        if (strcmp(keys->items[i], key) == 0) {
            (*secs)[i] += v;
            return 0;
        }
    }
    grown = realloc(*secs, (keys->count + 1) * sizeof(double));
    if (grown == NULL) {
        return PLK_ENOMEM;
    }
    *secs = grown;
    if (plk_strlist_push(keys, key) != 0) {
        return PLK_ENOMEM;
    }
    grown[keys->count - 1] = v;
    return 0;
}

static double
parse_secs(const char *s)
{
    char *end;
    double v;

    if (s == NULL) {
        return -1;
    }
    errno = 0;
    v = strtod(s, &end);
    return (end == s || errno != 0) ? -1 : v;
}

/* <testsuite> elements anywhere (nested ones too); their <testcase>
 * children. */
static int
junit_walk(plk_durations *d, xmlNode *node, const char *suite_file,
           const char *suite_name)
{
    xmlNode *n;
    int rc = 0;

    for (n = node; n != NULL && rc == 0; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (xmlStrcmp(n->name, BAD_CAST "testsuite") == 0) {
            xmlChar *file = xmlGetProp(n, BAD_CAST "file");
            xmlChar *name = xmlGetProp(n, BAD_CAST "name");

            rc = junit_walk(d, n->children, (const char *)file,
                            (const char *)name);
            xmlFree(file);
            xmlFree(name);
        }
        else if (xmlStrcmp(n->name, BAD_CAST "testcase") == 0) {
            xmlChar *time = xmlGetProp(n, BAD_CAST "time");
            xmlChar *file = xmlGetProp(n, BAD_CAST "file");
            double v = parse_secs((const char *)time);
            const char *f = file ? (const char *)file : suite_file;

            if (v >= 0) {
                rc = add_secs(&d->files, &d->file_secs, f, v);
                if (rc == 0) {
                    rc = add_secs(&d->modules, &d->module_secs, suite_name, v);
                }
            }
            xmlFree(time);
            xmlFree(file);
        }
        else {
            rc = junit_walk(d, n->children, suite_file, suite_name);
        }
    }
    return rc;
}

static int
read_junit(plk_durations *d, const char *path, plk_error *err)
{
    xmlDoc *doc = xmlReadFile(
        path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    int rc;

    if (doc == NULL) {
        return plk_error_set(err, PLK_EUSAGE,
                             "--durations-from %s: not a readable JUnit XML "
                             "report; pass the --junit-xml or --json file "
                             "of an earlier run",
                             path);
    }
    rc = junit_walk(d, xmlDocGetRootElement(doc), NULL, NULL);
    xmlFreeDoc(doc);
    return rc ? plk_error_set(err, rc, "out of memory") : 0;
}

/* The deepest nesting a JSON report may have (every value counts as a
 * level, the outermost one as 1). jansson refuses more than 2048 on its
 * own; this is the limit the reader has always kept. */
#define JSON_MAX_DEPTH 200

/* Every object in document order, the ones inside it first: one with a
 * string "id" and a number "time" or "duration" (the last of these)
 * counts towards its string "file", else the part of the id before
 * "::". Returns 0, PLK_ENOMEM, or PLK_EUSAGE when nested too deep. */
static int
json_walk(plk_durations *d, json_t *v, int depth)
{
    const char *key;
    const char *id = NULL;
    const char *file = NULL;
    char *own = NULL;
    double time = -1;
    json_t *x;
    size_t i;
    int rc = 0;

    if (depth > JSON_MAX_DEPTH) {
        return PLK_EUSAGE;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            rc = json_walk(d, x, depth + 1);
            if (rc != 0) {
                return rc;
            }
        }
        return 0;
    }
    if (!json_is_object(v)) {
        return 0;
    }
    json_object_foreach(v, key, x)
    {
        rc = json_walk(d, x, depth + 1);
        if (rc != 0) {
            return rc;
        }
        if (strcmp(key, "id") == 0 && json_is_string(x)) {
            id = json_string_value(x);
        }
        else if (strcmp(key, "file") == 0 && json_is_string(x)) {
            file = json_string_value(x);
        }
        else if ((strcmp(key, "time") == 0 || strcmp(key, "duration") == 0) &&
                 json_is_number(x)) {
            time = json_number_value(x);
        }
    }
    if (id == NULL || !(time >= 0)) {
        return 0;
    }
    if (file == NULL) {
        const char *cut = strstr(id, "::");

        own = cut ? plk_strndup(id, (size_t)(cut - id)) : plk_strdup(id);
        if (own == NULL) {
            return PLK_ENOMEM;
        }
        file = own;
    }
    rc = add_secs(&d->files, &d->file_secs, file, time);
    free(own);
    return rc;
}

static int
bad_json(plk_error *err, const char *path, int line, int column, int position,
         const char *what)
{
    return plk_error_set(err, PLK_EUSAGE,
                         "--durations-from %s: not valid JSON at line %d, "
                         "column %d (byte %d): %s; pass the --junit-xml or "
                         "--json file of an earlier run",
                         path, line, column, position, what);
}

/* text[0..len) is the whole file, repaired in place where that keeps
 * its length. */
static int
read_json(plk_durations *d, const char *path, char *text, size_t len,
          plk_error *err)
{
    /* Numbers as doubles, so that no integer is too large to read;
     * \u0000 is allowed and ends the C string of what holds it. */
    const size_t flags = JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL;
    const char *nul = memchr(text, '\0', len);
    json_error_t e;
    json_t *doc;
    int rc;

    /* A NUL byte is JSON nowhere; jansson's message for it would read
     * as if the file ended there. */
    if (nul != NULL) {
        const char *p;
        int line = 1;
        int column = 1;

        for (p = text; p < nul; p++) {
            column = *p == '\n' ? 1 : column + 1;
            line += *p == '\n';
        }
        return bad_json(err, path, line, column, (int)(nul - text) + 1,
                        "a NUL byte");
    }
    /* Python writes lone surrogates (from file names that are not
     * UTF-8) as \u escapes that jansson refuses, and other tools may
     * write such names as raw bytes: both read as U+FFFD. */
    plk_sanitize_json_surrogates(text, len);
    doc = json_loadb(text, len, flags, &e);
    if (doc == NULL && json_error_code(&e) == json_error_invalid_utf8) {
        size_t n;
        char *fixed = plk_sanitize_utf8(text, len, &n);

        if (fixed == NULL) {
            return plk_error_set(err, PLK_ENOMEM, "out of memory");
        }
        doc = json_loadb(fixed, n, flags, &e);
        free(fixed);
    }
    if (doc == NULL) {
        if (json_error_code(&e) == json_error_out_of_memory) {
            return plk_error_set(err, PLK_ENOMEM, "out of memory");
        }
        return bad_json(err, path, e.line, e.column, e.position, e.text);
    }
    rc = json_walk(d, doc, 1);
    json_decref(doc);
    if (rc == PLK_ENOMEM) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    if (rc != 0) {
        return plk_error_set(err, PLK_EUSAGE,
                             "--durations-from %s: not valid JSON: nested "
                             "more than %d levels deep; pass the "
                             "--junit-xml or --json file of an earlier run",
                             path, JSON_MAX_DEPTH);
    }
    return 0;
}

int
plk_durations_read(plk_durations *out, const char *path, plk_error *err)
{
    plk_buf b = {0};
    size_t i = 0;
    int rc, e;

    memset(out, 0, sizeof(*out));
    rc = plk_read_file(path, 0, &b, &e);
    if (rc == PLK_ENOMEM) {
        plk_buf_free(&b);
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    if (rc != 0) {
        plk_buf_free(&b);
        return plk_error_set(err, PLK_EUSAGE,
                             "--durations-from %s: %s; pass the report of "
                             "an earlier run",
                             path, strerror(e));
    }
    while (i < b.len && isspace((unsigned char)b.data[i])) {
        i++;
    }
    if (i < b.len && b.data[i] == '<') {
        rc = read_junit(out, path, err);
    }
    else if (i < b.len && (b.data[i] == '{' || b.data[i] == '[')) {
        rc = read_json(out, path, b.data, b.len, err);
    }
    else {
        rc = plk_error_set(err, PLK_EUSAGE,
                           "--durations-from %s: neither JUnit XML nor "
                           "JSON; pass the --junit-xml or --json file of "
                           "an earlier run",
                           path);
    }
    plk_buf_free(&b);
    if (rc != 0) {
        plk_durations_free(out);
    }
    return rc;
}

void
plk_durations_free(plk_durations *d)
{
    if (d == NULL) {
        return;
    }
    plk_strlist_free(&d->files);
    plk_strlist_free(&d->modules);
    free(d->file_secs);
    free(d->module_secs);
    memset(d, 0, sizeof(*d));
}

double
plk_durations_lookup(const plk_durations *d, const char *relfile,
                     const char *module)
{
    size_t i;

    for (i = 0; relfile != NULL && i < d->files.count; i++) {
        if (strcmp(d->files.items[i], relfile) == 0) {
            return d->file_secs[i];
        }
    }
    for (i = 0; module != NULL && i < d->modules.count; i++) {
        if (strcmp(d->modules.items[i], module) == 0) {
            return d->module_secs[i];
        }
    }
    return -1;
}

/* -- weights and the split ------------------------------------------------ */

double
plk_shard_count_tests(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    double n = 0;

    if (f == NULL) {
        return 1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *p = line;

        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (strncmp(p, "async ", 6) == 0) {
            p += 6;
        }
        if (strncmp(p, "def test", 8) == 0) {
            n++;
        }
        /* A line longer than the buffer continues in the next read:
         * skip the rest so it does not count as a line start. */
        while (strchr(line, '\n') == NULL && !feof(f) &&
               fgets(line, sizeof(line), f) != NULL) {
        }
    }
    fclose(f);
    return n > 0 ? n : 1;
}

typedef struct ranked {
    double w;
    size_t i;
} ranked;

static int
heavier_first(const void *a, const void *b)
{
    const ranked *x = a, *y = b;

    if (x->w != y->w) {
        return x->w > y->w ? -1 : 1;
    }
    return x->i < y->i ? -1 : x->i > y->i;
}

int
plk_shard_assign(unsigned *out, const double *weight, size_t count, unsigned n)
{
    ranked *r = malloc((count ? count : 1) * sizeof(*r));
    double *load = calloc(n ? n : 1, sizeof(*load));
    size_t i;

    if (r == NULL || load == NULL || n == 0) {
        free(r);
        free(load);
        return n == 0 ? PLK_EUSAGE : PLK_ENOMEM;
    }
    for (i = 0; i < count; i++) {
        r[i].w = weight[i] >= 0 ? weight[i] : 0;
        r[i].i = i;
    }
    qsort(r, count, sizeof(*r), heavier_first);
    for (i = 0; i < count; i++) {
        unsigned s, best = 0;

        for (s = 1; s < n; s++) {
            if (load[s] < load[best]) {
                best = s;
            }
        }
        /* A weightless item still counts, so they spread out too. */
        load[best] += r[i].w > 0 ? r[i].w : 1e-9;
        out[r[i].i] = best + 1;
    }
    free(r);
    free(load);
    return 0;
}

static int
env_uint(const char *name, unsigned *out, plk_error *err)
{
    const char *v = getenv(name);
    char *end;
    unsigned long x;

    *out = 0;
    if (v == NULL || *v == '\0') {
        return 0;
    }
    errno = 0;
    x = strtoul(v, &end, 10);
    if (errno != 0 || *end != '\0' || !isdigit((unsigned char)*v) || x == 0 ||
        x > 100000) {
        return plk_error_set(err, PLK_EUSAGE,
                             "%s is '%s'; expected a number from 1 (or "
                             "pass --shard K/N)",
                             name, v);
    }
    *out = (unsigned)x;
    return 0;
}

int
plk_shard_from_env(unsigned *k, unsigned *n, plk_error *err)
{
    int rc;

    *k = *n = 0;
    rc = env_uint("CI_NODE_INDEX", k, err);
    if (rc == 0) {
        rc = env_uint("CI_NODE_TOTAL", n, err);
    }
    if (rc != 0) {
        *k = *n = 0;
        return rc;
    }
    if (*k == 0 && *n == 0) {
        return 0;
    }
    if (*k == 0 || *n == 0 || *k > *n) {
        rc = plk_error_set(err, PLK_EUSAGE,
                           "CI_NODE_INDEX=%u and CI_NODE_TOTAL=%u do not "
                           "make a shard (need 1 <= index <= total); set "
                           "both, or pass --shard K/N",
                           *k, *n);
        *k = *n = 0;
    }
    return rc;
}
