/* Unit tests for the TOML reader: documents in, trees and errors out. */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/toml.h"
#include "base/util.h"

/* A compact, unambiguous rendering of a tree to compare against:
 * tables {k=v,...} in document order, arrays [a,b], strings "..." with
 * \n and \xNN for control bytes, floats %.17g, datetimes d'...'. */
static void
dump(plk_buf *b, const plk_toml_value *v)
{
    size_t i;

    switch (v->type) {
    case PLK_TOML_TABLE:
        plk_buf_puts(b, "{");
        for (i = 0; i < v->u.tab.n; i++) {
            plk_buf_printf(b, "%s%s=", i ? "," : "", v->u.tab.items[i].key);
            dump(b, v->u.tab.items[i].value);
        }
        plk_buf_puts(b, "}");
        break;
    case PLK_TOML_ARRAY:
        plk_buf_puts(b, "[");
        for (i = 0; i < v->u.arr.n; i++) {
            if (i) {
                plk_buf_puts(b, ",");
            }
            dump(b, v->u.arr.items[i]);
        }
        plk_buf_puts(b, "]");
        break;
    case PLK_TOML_STRING:
        plk_buf_puts(b, "\"");
        for (i = 0; i < v->u.str.len; i++) {
            unsigned char c = (unsigned char)v->u.str.s[i];

            if (c == '\n') {
                plk_buf_puts(b, "\\n");
            }
            else if (c < 0x20 || c == '"' || c == '\\') {
                plk_buf_printf(b, "\\x%02x", c);
            }
            else {
                plk_buf_append(b, (const char *)&v->u.str.s[i], 1);
            }
        }
        plk_buf_puts(b, "\"");
        break;
    case PLK_TOML_INTEGER:
        plk_buf_printf(b, "%lld", v->u.i);
        break;
    case PLK_TOML_FLOAT:
        plk_buf_printf(b, "%.17g", v->u.f);
        break;
    case PLK_TOML_BOOL:
        plk_buf_puts(b, v->u.b ? "true" : "false");
        break;
    case PLK_TOML_DATETIME:
        plk_buf_printf(b, "d'%s'", v->u.str.s);
        break;
    }
}

typedef struct valid_case {
    const char *doc;
    const char *tree;
} valid_case;

/* clang-format off */
static const valid_case valid_cases[] = {
    {"", "{}"},
    {"# only a comment\n\n   \n", "{}"},
    {"a = 1", "{a=1}"},
    {"a = 1\r\nb = 2\r\n", "{a=1,b=2}"},
    {"\xef\xbb\xbf" "a = 1\n", "{a=1}"},
    /* Strings. */
    {"s = \"tab\\there\\n\\\"q\\\" \\\\ \\u00e9 \\U0001F600\"",
     "{s=\"tab\\x09here\\n\\x22q\\x22 \\x5c \xc3\xa9 \xf0\x9f\x98\x80\"}"},
    {"s = 'C:\\path\\no escapes'", "{s=\"C:\\x5cpath\\x5cno escapes\"}"},
    {"s = \"\"\"\nline one\nline two\"\"\"", "{s=\"line one\\nline two\"}"},
    {"s = \"\"\"one \\\n     two \\\n\n   three\"\"\"",
     "{s=\"one two three\"}"},
    {"s = \"\"\"a \"quoted\" word\"\"\"", "{s=\"a \\x22quoted\\x22 word\"}"},
    {"s = \"\"\"ends in two quotes\"\"\"\"\"", 
     "{s=\"ends in two quotes\\x22\\x22\"}"},
    {"s = '''\nraw \\n ''text'' '''", "{s=\"raw \\x5cn ''text'' \"}"},
    {"s = \"\\u0000x\"", "{s=\"\\x00x\"}"},
    {"s = \"\"", "{s=\"\"}"},
    /* Integers. */
    {"a = +99\nb = -17\nc = 0\nd = 1_000_000\ne = -0",
     "{a=99,b=-17,c=0,d=1000000,e=0}"},
    {"h = 0xDEAD_beef\no = 0o755\nb = 0b1101",
     "{h=3735928559,o=493,b=13}"},
    {"max = 9223372036854775807\nmin = -9223372036854775808",
     "{max=9223372036854775807,min=-9223372036854775808}"},
    /* Floats. */
    {"a = 1.5\nb = -0.01\nc = 5e+2\nd = 6.25E-1\ne = 1_000.5",
     "{a=1.5,b=-0.01,c=500,d=0.625,e=1000.5}"},
    {"a = inf\nb = -inf\nc = +inf", "{a=inf,b=-inf,c=inf}"},
    {"a = 0.0\nb = 1e06", "{a=0,b=1000000}"},
    /* Booleans and dates. */
    {"t = true\nf = false", "{t=true,f=false}"},
    {"a = 1979-05-27T07:32:00Z\nb = 1979-05-27T00:32:00.999-07:00\n"
     "c = 1979-05-27 07:32:00\nd = 1979-05-27\ne = 07:32:00.5",
     "{a=d'1979-05-27T07:32:00Z',b=d'1979-05-27T00:32:00.999-07:00',"
     "c=d'1979-05-27 07:32:00',d=d'1979-05-27',e=d'07:32:00.5'}"},
    /* Arrays. */
    {"a = []\nb = [1, 2, 3]\nc = [ \"x\", 'y', ]\nd = [[1], [\"mixed\", 2.5]]",
     "{a=[],b=[1,2,3],c=[\"x\",\"y\"],d=[[1],[\"mixed\",2.5]]}"},
    {"a = [\n  1,  # one\n  # a comment line\n  2,\n]\n", "{a=[1,2]}"},
    /* Inline tables. */
    {"t = {}\nu = { x = 1, y.z = \"deep\" }",
     "{t={},u={x=1,y={z=\"deep\"}}}"},
    {"points = [ { x = 1 }, { x = 2 } ]", "{points=[{x=1},{x=2}]}"},
    /* Keys. */
    {"bare-key_1 = 1\n\"quoted key\" = 2\n'lit' = 3\n\"\" = 4\n1234 = 5",
     "{bare-key_1=1,quoted key=2,lit=3,=4,1234=5}"},
    {"a.b.c = 1\na . b . d = 2\n\"x.y\".z = 3",
     "{a={b={c=1,d=2}},x.y={z=3}}"},
    /* Tables. */
    {"[tool.pyleak-ci]\nrounds = 8\n[tool.pyleak-ci.threshold]\nheap = 64\n",
     "{tool={pyleak-ci={rounds=8,threshold={heap=64}}}}"},
    {"[a.b]\nx = 1\n[a]\ny = 2", "{a={b={x=1},y=2}}"},
    {"[ a . \"b c\" ]  # comment\nx = 1", "{a={b c={x=1}}}"},
    {"a.b = 1\n[a.c]\nd = 2", "{a={b=1,c={d=2}}}"},
    {"[x]\na.b = 1\nc = { d = 1 }\na.e = 2", "{x={a={b=1,e=2},c={d=1}}}"},
    {"[a.b.c]\nz = 1\n[a]\nb.d = 2", "{a={b={c={z=1},d=2}}}"},
    /* Arrays of tables. */
    {"[[p]]\nn = 1\n[[p]]\nn = 2\n[p.sub]\nq = 3",
     "{p=[{n=1},{n=2,sub={q=3}}]}"},
    {"[[a.b]]\nx = 1\n[[a.b]]\n[a.c]\ny = 2",
     "{a={b=[{x=1},{}],c={y=2}}}"},
    /* Other tools' sections are read, whatever they hold. */
    {"[project]\nname = \"demo\"\nversion = \"1.0\"\n"
     "dependencies = [\n  \"requests>=2\",\n]\n"
     "[tool.black]\nline-length = 88\n[tool.pyleak-ci]\njobs = 2\n",
     "{project={name=\"demo\",version=\"1.0\",dependencies=[\"requests>=2\"]},"
     "tool={black={line-length=88},pyleak-ci={jobs=2}}}"},
};
/* clang-format on */

static void
test_toml__valid(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const valid_case *c = &valid_cases[i];
        plk_toml_value *root = NULL;
        plk_error err = {0};
        plk_buf b = {0};
        int rc = plk_toml_parse(&root, c->doc, strlen(c->doc), "t.toml", &err);

        if (rc != 0) {
            fail_msg("case %zu: %s\n  doc: %s", i, err.message, c->doc);
        }
        dump(&b, root);
        if (strcmp(b.data, c->tree) != 0) {
            fail_msg("case %zu:\n  doc:  %s\n  got:  %s\n  want: %s", i,
                     c->doc, b.data, c->tree);
        }
        plk_buf_free(&b);
        plk_toml_free(root);
        plk_error_clear(&err);
    }
}

typedef struct invalid_case {
    const char *doc;
    const char *message; /* expected error, "t.toml:LINE:COL: ..." prefix */
} invalid_case;

static const invalid_case invalid_cases[] = {
    {"a = ", "t.toml:1:5: expected a value"},
    {"a", "t.toml:1:2: expected '=' after the key"},
    {"a b = 1", "t.toml:1:3: expected '=' after the key, found 'b'"},
    {"= 1", "t.toml:1:1: expected a key, found '='"},
    {"a = 1 b = 2", "t.toml:1:7: expected a newline or a comment"},
    {"a = 1\na = 2", "t.toml:2:1: duplicate key 'a' (first defined at "
                     "line 1)"},
    {"a = hello", "t.toml:1:5: invalid value 'hello' (strings need quotes)"},
    {"a = \"open", "t.toml:1:5: unterminated string"},
    {"a = \"line\nbreak\"", "t.toml:1:10: newline in a single-line string"},
    {"\n\na = \"\\q\"", "t.toml:3:6: invalid escape '\\q'"},
    {"a = \"\\u12\"", "t.toml:1:6: \\u needs 4 hex digits"},
    {"a = \"\\uD800\"", "t.toml:1:6: \\uD800 is not a Unicode scalar value"},
    {"a = \"bell\x07\"", "t.toml:1:10: control character U+0007 in a "
                         "string"},
    {"# bad \x01 comment", "t.toml:1:7: control character U+0001 in a "
                           "comment"},
    {"a = \"\xff\"", "t.toml:1:6: invalid UTF-8 (byte 0xFF)"},
    {"a = 012", "t.toml:1:5: leading zeros are not allowed in '012'"},
    {"a = 1__0", "t.toml:1:5: invalid value '1__0'"},
    {"a = 1_", "t.toml:1:5: invalid value '1_'"},
    {"a = 1.", "t.toml:1:5: invalid value '1.'"},
    {"a = .5", "t.toml:1:5: invalid value '.5'"},
    {"a = 1e", "t.toml:1:5: invalid value '1e'"},
    {"a = -0x10", "t.toml:1:5: a sign is not allowed on hex"},
    {"a = 0xZZ", "t.toml:1:5: invalid hex integer '0xZZ'"},
    {"a = 9223372036854775808", "t.toml:1:5: integer '9223372036854775808' "
                                "is out of range"},
    {"a = True", "t.toml:1:5: invalid value 'True'"},
    {"a = truely", "t.toml:1:5: invalid value 'truely'"},
    {"a = 1979-13-01", "t.toml:1:5: invalid date or time '1979-13-01'"},
    {"a = 2023-02-29", "t.toml:1:5: invalid date or time"},
    {"b = 2024-02-29\na = 1900-02-29", "t.toml:2:5: invalid date"},
    {"a = 07:32", "t.toml:1:5: invalid date or time '07:32'"},
    {"a = [1, 2", "t.toml:1:5: array is not closed with ']'"},
    {"a = [1 2]", "t.toml:1:8: expected ',' or ']' in the array"},
    {"a = [,]", "t.toml:1:6: invalid value ','"},
    {"a = { x = 1, }", "t.toml:1:14: trailing comma in an inline table"},
    {"a = { x = 1\n}", "t.toml:1:12: inline table is not closed"},
    {"a = { x = 1, x = 2 }", "t.toml:1:14: duplicate key 'x'"},
    {"a = { x = 1 }\na.y = 2", "t.toml:2:1: cannot add 'y' to 'a': it is "
                               "an inline table defined at line 1"},
    {"a = { x = 1 }\n[a.b]", "t.toml:2:1: cannot open a table inside 'a': "
                             "it is an inline table"},
    {"[a]\n[a]", "t.toml:2:1: table 'a' is already defined (as a table at "
                 "line 1)"},
    {"a = 1\n[a]", "t.toml:2:1: table 'a' is already defined (as a value"},
    {"a.b = 1\n[a]", "t.toml:2:1: table 'a' is already defined"},
    {"[a]\nb.c = 1\n[a.b]", "t.toml:3:1: table 'b' is already defined"},
    {"[a.b]\nc = 1\n[a]\nb.d = 2", "t.toml:4:1: cannot add 'd' to 'b': it "
                                   "is a table defined at line 1"},
    {"[x]\na.b = 1\n[x.y]\n[x]", "t.toml:4:1: table 'x' is already "
                                 "defined"},
    {"a = [1]\n[[a]]", "t.toml:2:1: cannot make 'a' an array of tables: it "
                       "is an array defined at line 1"},
    {"[[a]]\n[a]", "t.toml:2:1: table 'a' is already defined (as an array "
                   "of tables"},
    {"[a", "t.toml:1:3: expected ']' to close the table header"},
    {"[[a]", "t.toml:1:4: expected ']]' to close the table header"},
    {"[]", "t.toml:1:2: expected a key, found ']'"},
    {"[a] x = 1", "t.toml:1:5: expected a newline or a comment, found 'x'"},
    {"a = 1\rb = 2", "t.toml:1:6: expected a newline or a comment"},
    {"ke$y = 1", "t.toml:1:3: expected '=' after the key, found '$'"},
};

static void
test_toml__invalid(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        const invalid_case *c = &invalid_cases[i];
        plk_toml_value *root = NULL;
        plk_error err = {0};
        int rc = plk_toml_parse(&root, c->doc, strlen(c->doc), "t.toml", &err);

        if (rc == 0) {
            plk_buf b = {0};

            dump(&b, root);
            fail_msg("case %zu parsed, should not: %s -> %s", i, c->doc,
                     b.data);
        }
        assert_int_equal(rc, PLK_EUSAGE);
        assert_null(root);
        if (err.message == NULL ||
            strncmp(err.message, c->message, strlen(c->message)) != 0) {
            fail_msg("case %zu:\n  doc:  %s\n  got:  %s\n  want: %s...", i,
                     c->doc, err.message ? err.message : "(none)", c->message);
        }
        plk_error_clear(&err);
    }
}

static void
test_toml__lines_and_lookup(void **state)
{
    static const char doc[] = "# header\n"
                              "[tool.pyleak-ci]\n"
                              "rounds = 8\n"
                              "paths = [\n"
                              "  \"a\",\n"
                              "  \"b\",\n"
                              "]\n"
                              "threshold.heap = 64\n";
    plk_toml_value *root = NULL;
    const plk_toml_value *tool, *cfg;
    const plk_toml_entry *e;
    plk_error err = {0};

    (void)state;
    assert_int_equal(plk_toml_parse(&root, doc, strlen(doc), "p", &err), 0);
    tool = plk_toml_get(root, "tool");
    assert_non_null(tool);
    cfg = plk_toml_get(tool, "pyleak-ci");
    assert_non_null(cfg);
    assert_int_equal(cfg->line, 2);
    e = plk_toml_find(cfg, "rounds");
    assert_int_equal(e->line, 3);
    assert_int_equal(e->value->type, PLK_TOML_INTEGER);
    e = plk_toml_find(cfg, "paths");
    assert_int_equal(e->line, 4);
    assert_int_equal(e->value->u.arr.n, 2);
    assert_int_equal(e->value->u.arr.items[1]->line, 6);
    e = plk_toml_find(plk_toml_get(cfg, "threshold"), "heap");
    assert_int_equal(e->line, 8);
    assert_null(plk_toml_get(cfg, "nope"));
    assert_null(plk_toml_get(e->value, "x")); /* not a table */
    assert_string_equal(plk_toml_type_name(PLK_TOML_BOOL), "boolean");
    plk_toml_free(root);
    plk_toml_free(NULL);
}

static void
test_toml__quote_round_trips(void **state)
{
    static const char *const inputs[] = {
        "plain",
        "",
        "with \"quotes\" and \\ backslash",
        "tab\tnl\ncr\r",
        "bell\x07 del\x7f",
        "caf\xc3\xa9",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        char *q = plk_toml_quote(inputs[i]);
        char *doc = plk_asprintf("k = %s\n", q);
        plk_toml_value *root = NULL;
        plk_error err = {0};
        const plk_toml_value *v;

        assert_int_equal(plk_toml_parse(&root, doc, strlen(doc), "q", &err),
                         0);
        v = plk_toml_get(root, "k");
        assert_string_equal(v->u.str.s, inputs[i]);
        plk_toml_free(root);
        free(doc);
        free(q);
    }
}

static void
test_toml__file(void **state)
{
    char path[] = "/tmp/plk_toml_XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    plk_toml_value *root = NULL;
    plk_error err = {0};

    (void)state;
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs("x = 'y'\nz = [\n", f);
    fclose(f);
    assert_int_equal(plk_toml_parse_file(&root, path, &err), PLK_EUSAGE);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, ":2:5: array is not closed"));
    plk_error_clear(&err);
    unlink(path);
    assert_int_equal(plk_toml_parse_file(&root, path, &err), PLK_ENOTFOUND);
    plk_error_clear(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toml__valid),
        cmocka_unit_test(test_toml__invalid),
        cmocka_unit_test(test_toml__lines_and_lookup),
        cmocka_unit_test(test_toml__quote_round_trips),
        cmocka_unit_test(test_toml__file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
