/* Sharding: durations from earlier reports, test counts, and the split
 * of files over machines. */
#define _GNU_SOURCE 1
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "plan/shard.h"

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
                    rc = add_secs(&d->modules, &d->module_secs, suite_name,
                                  v);
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
    xmlDoc *doc = xmlReadFile(path, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR |
                                  XML_PARSE_NOWARNING);
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

/* A small JSON reader that keeps only what sharding needs. */
typedef struct json {
    const char *p, *end;
    plk_durations *d;
    int depth;
} json;

static void
ws(json *j)
{
    while (j->p < j->end && isspace((unsigned char)*j->p)) {
        j->p++;
    }
}

static void
put_utf8(plk_buf *b, unsigned long c)
{
    char u[4];
    size_t n;

    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    }
    else if (c < 0x800) {
        u[0] = (char)(0xc0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    }
    else if (c < 0x10000) {
        u[0] = (char)(0xe0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        u[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    }
    else {
        u[0] = (char)(0xf0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        u[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    plk_buf_append(b, u, n);
}

static int
hex4(json *j, unsigned long *out)
{
    int i;

    *out = 0;
    if (j->end - j->p < 4) {
        return -1;
    }
    for (i = 0; i < 4; i++) {
        int c = (unsigned char)*j->p++;

        *out <<= 4;
        if (c >= '0' && c <= '9') {
            *out |= (unsigned long)(c - '0');
        }
        else if (c >= 'a' && c <= 'f') {
            *out |= (unsigned long)(c - 'a' + 10);
        }
        else if (c >= 'A' && c <= 'F') {
            *out |= (unsigned long)(c - 'A' + 10);
        }
        else {
            return -1;
        }
    }
    return 0;
}

/* A string at j->p (after the quote was seen); *out gets a copy. */
static int
json_string(json *j, char **out)
{
    plk_buf b = {0};

    j->p++;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\') {
            unsigned long c;

            if (++j->p >= j->end) {
                break;
            }
            switch (*j->p++) {
            case 'n':
                plk_buf_append(&b, "\n", 1);
                break;
            case 't':
                plk_buf_append(&b, "\t", 1);
                break;
            case 'r':
                plk_buf_append(&b, "\r", 1);
                break;
            case 'b':
                plk_buf_append(&b, "\b", 1);
                break;
            case 'f':
                plk_buf_append(&b, "\f", 1);
                break;
            case 'u':
                if (hex4(j, &c) != 0) {
                    plk_buf_free(&b);
                    return -1;
                }
                if (c >= 0xd800 && c < 0xdc00 && j->end - j->p >= 6 &&
                    j->p[0] == '\\' && j->p[1] == 'u') {
                    unsigned long lo;

                    j->p += 2;
                    if (hex4(j, &lo) != 0) {
                        plk_buf_free(&b);
                        return -1;
                    }
                    c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                }
                put_utf8(&b, c);
                break;
            default:
                plk_buf_append(&b, j->p - 1, 1);
                break;
            }
            continue;
        }
        plk_buf_append(&b, j->p, 1);
        j->p++;
    }
    if (j->p >= j->end) {
        plk_buf_free(&b);
        return -1;
    }
    j->p++;
    *out = plk_buf_detach(&b);
    return *out ? 0 : -1;
}

static int json_value(json *j, char **str, double *num, int *is_num);

static int
json_object(json *j)
{
    char *id = NULL, *file = NULL;
    double time = -1;
    int rc = 0;

    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return 0;
    }
    while (rc == 0) {
        char *key = NULL, *str = NULL;
        double num = 0;
        int is_num = 0;

        ws(j);
        if (j->p >= j->end || *j->p != '"' || json_string(j, &key) != 0) {
            rc = -1;
            break;
        }
        ws(j);
        if (j->p >= j->end || *j->p != ':') {
            free(key);
            rc = -1;
            break;
        }
        j->p++;
        rc = json_value(j, &str, &num, &is_num);
        if (rc == 0) {
            if (strcmp(key, "id") == 0 && str != NULL) {
                free(id);
                id = str;
                str = NULL;
            }
            else if (strcmp(key, "file") == 0 && str != NULL) {
                free(file);
                file = str;
                str = NULL;
            }
            else if ((strcmp(key, "time") == 0 ||
                      strcmp(key, "duration") == 0) &&
                     is_num) {
                time = num;
            }
        }
        free(key);
        free(str);
        ws(j);
        if (rc == 0 && j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (rc == 0 && j->p < j->end && *j->p == '}') {
            j->p++;
            break;
        }
        rc = -1;
    }
    if (rc == 0 && id != NULL && time >= 0) {
        const char *cut = strstr(id, "::");

        if (file == NULL) {
            file = cut ? plk_strndup(id, (size_t)(cut - id))
                       : plk_strdup(id);
        }
        rc = add_secs(&j->d->files, &j->d->file_secs, file, time) ? -2 : 0;
    }
    free(id);
    free(file);
    return rc;
}

static int
json_value(json *j, char **str, double *num, int *is_num)
{
    int rc = 0;

    ws(j);
    if (j->p >= j->end || ++j->depth > 200) {
        return -1;
    }
    if (*j->p == '{') {
        rc = json_object(j);
    }
    else if (*j->p == '[') {
        j->p++;
        ws(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++;
        }
        else {
            for (;;) {
                char *s = NULL;
                double n;
                int isn;

                rc = json_value(j, &s, &n, &isn);
                free(s);
                ws(j);
                if (rc != 0 || j->p >= j->end) {
                    rc = rc ? rc : -1;
                    break;
                }
                if (*j->p == ',') {
                    j->p++;
                    continue;
                }
                if (*j->p == ']') {
                    j->p++;
                    break;
                }
                rc = -1;
                break;
            }
        }
    }
    else if (*j->p == '"') {
        char *tmp = NULL;

        rc = json_string(j, str ? str : &tmp);
        free(tmp);
    }
    else if (*j->p == '-' || isdigit((unsigned char)*j->p)) {
        char tmp[64];
        size_t n = 0;
        char *end;

        while (j->p + n < j->end && n < sizeof(tmp) - 1 &&
               strchr("+-0123456789.eE", j->p[n]) != NULL) {
            n++;
        }
        memcpy(tmp, j->p, n);
        tmp[n] = '\0';
        *num = strtod(tmp, &end);
        *is_num = end != tmp;
        j->p += n;
        rc = *is_num ? 0 : -1;
    }
    else {
        static const char *const words[] = {"true", "false", "null"};
        size_t i;

        rc = -1;
        for (i = 0; i < 3; i++) {
            size_t n = strlen(words[i]);

            if ((size_t)(j->end - j->p) >= n &&
                memcmp(j->p, words[i], n) == 0) {
                j->p += n;
                rc = 0;
                break;
            }
        }
    }
    j->depth--;
    return rc;
}

static int
read_json(plk_durations *d, const char *path, const char *text, size_t len,
          plk_error *err)
{
    json j = {text, text + len, d, 0};
    int rc = json_value(&j, NULL, &(double){0}, &(int){0});

    ws(&j);
    if (rc == -2) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    if (rc != 0 || j.p != j.end) {
        return plk_error_set(err, PLK_EUSAGE,
                             "--durations-from %s: not valid JSON (at byte "
                             "%zu); pass the --junit-xml or --json file of "
                             "an earlier run",
                             path, (size_t)(j.p - text));
    }
    return 0;
}

int
plk_durations_read(plk_durations *out, const char *path, plk_error *err)
{
    FILE *f;
    plk_buf b = {0};
    char chunk[65536];
    size_t n, i = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    f = fopen(path, "rb");
    if (f == NULL) {
        return plk_error_set(err, PLK_EUSAGE,
                             "--durations-from %s: %s; pass the report of "
                             "an earlier run",
                             path, strerror(errno));
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (plk_buf_append(&b, chunk, n) != 0) {
            fclose(f);
            plk_buf_free(&b);
            return plk_error_set(err, PLK_ENOMEM, "out of memory");
        }
    }
    fclose(f);
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
plk_shard_assign(unsigned *out, const double *weight, size_t count,
                 unsigned n)
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
    if (errno != 0 || *end != '\0' || !isdigit((unsigned char)*v) ||
        x == 0 || x > 100000) {
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
