/* Fuzz target: the JUnit writer (report/junit.c) fed a run whose text
 * comes from the input: names, ids, files, messages, exception types,
 * tracebacks, captured output, diagnoses and notes, as a test may make
 * them.
 *
 * The input is read from both ends: the strings are its NUL-separated
 * pieces from the front, the shape (how many suites and tests, the
 * outcomes, which fields are set, times, lines, samples) is bytes
 * taken from the back. Both forms are written; each must parse with
 * libxml2, hold one <testcase> per test (and per file that did not
 * import), and validate: the default form against
 * ci/schemas/pyleak-junit.xsd, the strict form against the Jenkins and
 * Ant schemas (PLK_SCHEMAS, else ../shared/schemas beside the source
 * tree; only checked for well-formedness when they are not there). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlversion.h>

#include "base/result.h"
#include "report/junit.h"

#include "fuzz.h"

/* -- the run from the input ----------------------------------------------- */

typedef struct input {
    const uint8_t *data;
    size_t front; /* next string starts here */
    size_t back;  /* shape bytes are data[front..back) from the end */
} input;

static unsigned
take_byte(input *in)
{
    if (in->back <= in->front) {
        return 0;
    }
    return in->data[--in->back];
}

static uint64_t
take_u64(input *in, int bytes)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < bytes; i++) {
        v = v << 8 | take_byte(in);
    }
    return v;
}

/* Any double, NaN and infinities included. */
static double
take_double(input *in)
{
    uint64_t bits = take_u64(in, 8);
    double d;

    memcpy(&d, &bits, sizeof(d));
    return d;
}

/* The next NUL-separated piece, or NULL when there are none left. */
static char *
take_str(input *in)
{
    const uint8_t *start = in->data + in->front;
    const uint8_t *nul;
    size_t n;
    char *s;

    if (in->front >= in->back) {
        return NULL;
    }
    nul = memchr(start, '\0', in->back - in->front);
    n = nul ? (size_t)(nul - start) : in->back - in->front;
    s = malloc(n + 1);
    FUZZ_CHECK(s != NULL, "out of memory");
    memcpy(s, start, n);
    s[n] = '\0';
    in->front += n + (nul != NULL);
    return s;
}

/* A piece, or NULL when the next shape bit says the field is unset. */
static char *
maybe_str(input *in)
{
    return take_byte(in) & 1 ? NULL : take_str(in);
}

/* NULL or a real local time as the runner writes it: the schemas ask
 * xs:dateTime of it, and it is pyleak-ci's own clock, not test text. */
static char *
take_stamp(input *in)
{
    time_t t = (time_t)take_u64(in, 4);
    struct tm tm;
    char buf[32];

    if (take_byte(in) & 1 || gmtime_r(&t, &tm) == NULL ||
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        return NULL;
    }
    return strdup(buf);
}

static void
fill_metric(input *in, plk_metric_result *m)
{
    size_t n = take_byte(in) % 6, i;

    m->measured = 1;
    m->gating = (int)(take_byte(in) & 1);
    m->per_call = take_double(in);
    m->fit.slope = take_double(in);
    m->fit.mk_p = take_double(in);
    m->fit.verdict = (plk_verdict)(take_byte(in) % 3);
    m->fit.n = n;
    m->n = n;
    m->series = malloc((n ? n : 1) * sizeof(*m->series));
    FUZZ_CHECK(m->series != NULL, "out of memory");
    for (i = 0; i < n; i++) {
        m->series[i] = (int64_t)take_u64(in, 8);
    }
}

static void
fill_test(input *in, plk_test_result *t)
{
    unsigned shape = take_byte(in);
    int m;

    t->id = take_str(in);
    t->classname = take_str(in);
    t->name = take_str(in);
    t->file = maybe_str(in);
    t->line = (long)(int16_t)take_u64(in, 2);
    t->outcome = (plk_outcome)(shape % 5);
    t->time = take_double(in);
    t->message = take_str(in);
    t->exc_type = maybe_str(in);
    t->details = take_str(in);
    t->stdout_text = maybe_str(in);
    t->stderr_text = maybe_str(in);
    if (shape & 0x08) {
        t->warmup = take_byte(in);
        t->rounds = 1 + take_byte(in);
        t->calls = take_byte(in);
        t->screened = take_byte(in) % 3;
        t->total_calls = (unsigned long)take_u64(in, 2);
        for (m = 0; m < PLK_METRIC__COUNT; m++) {
            if (take_byte(in) & 1) {
                fill_metric(in, &t->metrics[m]);
            }
        }
    }
    if (shape & 0x10) {
        t->kind = maybe_str(in);
        t->loc_file = maybe_str(in);
        t->loc_line = (long)(int16_t)take_u64(in, 2);
        t->top_site = maybe_str(in);
    }
    t->note = maybe_str(in);
    t->baseline = (plk_baseline_state)((shape >> 5) % 4);
}

/* The run, and how many <testcase> elements it must give. */
static size_t
build_run(plk_run_result *r, const uint8_t *data, size_t size)
{
    input in = {data, 0, size};
    size_t nsuites, s, i, cases = 0;

    memset(r, 0, sizeof(*r));
    nsuites = 1 + take_byte(&in) % 3;
    r->time = take_double(&in);
    r->timestamp = take_stamp(&in);
    for (s = 0; s < nsuites; s++) {
        plk_suite_result *suite = plk_run_result_add_suite(r);
        unsigned shape = take_byte(&in);
        size_t ntests = shape % 4;

        FUZZ_CHECK(suite != NULL, "out of memory");
        suite->name = take_str(&in);
        suite->file = maybe_str(&in);
        suite->time = take_double(&in);
        suite->timestamp = take_stamp(&in);
        if (shape & 0x04) {
            suite->error_type = maybe_str(&in);
            suite->error_message = take_str(&in);
            suite->error_details = take_str(&in);
            /* The writer keys an import error on its message. */
            cases += suite->error_message != NULL;
        }
        for (i = 0; i < ntests; i++) {
            plk_test_result *t = plk_suite_result_add_test(suite);

            FUZZ_CHECK(t != NULL, "out of memory");
            fill_test(&in, t);
        }
        cases += ntests;
    }
    return cases;
}

/* -- checking the file ---------------------------------------------------- */

typedef struct schema {
    const char *name;
    xmlSchemaPtr schema;
    xmlSchemaValidCtxtPtr vctx;
} schema;

static schema own = {"ci/schemas/pyleak-junit.xsd", NULL, NULL};
static schema jenkins = {"junit-10.xsd", NULL, NULL};
static schema ant = {"windyroad-JUnit.xsd", NULL, NULL};
static char first_error[512];

/* libxml2 2.12 made the error passed to handlers const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error;
#else
typedef xmlErrorPtr xml_error;
#endif

static void
on_invalid(void *ctx, xml_error e)
{
    (void)ctx;
    if (first_error[0] == '\0' && e != NULL && e->message != NULL) {
        snprintf(first_error, sizeof(first_error), "line %d: %s", e->line,
                 e->message);
    }
}

static void
load_schema(schema *s, const char *dir, int required)
{
    char path[4096];
    struct stat st;
    xmlSchemaParserCtxtPtr pctx;

    snprintf(path, sizeof(path), "%s/%s", dir, s->name);
    if (stat(path, &st) != 0) {
        FUZZ_CHECK(!required, "no schema at %s", path);
        fprintf(stderr,
                "fuzz_junit: no %s: the strict form is only "
                "checked to be well-formed\n",
                path);
        return;
    }
    pctx = xmlSchemaNewParserCtxt(path);
    s->schema = pctx ? xmlSchemaParse(pctx) : NULL;
    xmlSchemaFreeParserCtxt(pctx);
    FUZZ_CHECK(s->schema != NULL, "cannot load the schema %s", path);
    s->vctx = xmlSchemaNewValidCtxt(s->schema);
    FUZZ_CHECK(s->vctx != NULL, "out of memory");
    xmlSchemaSetValidStructuredErrors(s->vctx, on_invalid, NULL);
}

static void
load_schemas(void)
{
    static int loaded;
    const char *shared = getenv("PLK_SCHEMAS");

    if (loaded) {
        return;
    }
    loaded = 1;
    load_schema(&own, PLK_SOURCE_DIR, 1);
    if (shared == NULL || shared[0] == '\0') {
        shared = PLK_SOURCE_DIR "/../shared/schemas";
    }
    load_schema(&jenkins, shared, 0);
    load_schema(&ant, shared, 0);
}

static size_t
count_elements(const xmlNode *n, const char *name)
{
    size_t k = 0;

    for (; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            k += xmlStrcmp(n->name, BAD_CAST name) == 0;
            k += count_elements(n->children, name);
        }
    }
    return k;
}

static void
validate(xmlDocPtr doc, const schema *s, const char *form)
{
    int rc;

    if (s->vctx == NULL) {
        return;
    }
    first_error[0] = '\0';
    rc = xmlSchemaValidateDoc(s->vctx, doc);
    FUZZ_CHECK(rc == 0, "the %s form does not validate against %s: %s", form,
               s->name, first_error);
}

static void
check_form(const plk_run_result *r, size_t cases, int strict)
{
    const char *form = strict ? "strict" : "default";
    const char *path = fuzz_write_file("report.xml", NULL, 0);
    plk_error err = {0};
    xmlDocPtr doc;
    size_t found;
    int rc;

    rc = plk_junit_write(r, path, strict, &err);
    FUZZ_CHECK(rc == 0, "the %s form is not written: %s", form, err.message);
    doc = xmlReadFile(
        path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        const xmlError *e = xmlGetLastError();

        fuzz_fail("the %s form does not parse: %s", form,
                  e && e->message ? e->message : "?");
    }
    found = count_elements(xmlDocGetRootElement(doc), "testcase");
    FUZZ_CHECK(found == cases, "the %s form has %zu testcases, not %zu", form,
               found, cases);
    found = count_elements(xmlDocGetRootElement(doc), "testsuite");
    FUZZ_CHECK(found == r->nsuites, "the %s form has %zu testsuites, not %zu",
               form, found, r->nsuites);
    if (strict) {
        validate(doc, &jenkins, form);
        validate(doc, &ant, form);
    }
    else {
        validate(doc, &own, form);
    }
    xmlFreeDoc(doc);
    plk_error_clear(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plk_run_result r;
    size_t cases;

    load_schemas();
    cases = build_run(&r, data, size);
    check_form(&r, cases, 0);
    check_form(&r, cases, 1);
    plk_run_result_free(&r);
    return 0;
}
