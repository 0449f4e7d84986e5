/* Validate XML files against an XML Schema with libxml2, for the tests:
 *     xsd_check SCHEMA FILE...
 * Exit 0 when every file is valid, 1 when one is not (the reasons on
 * stderr), 2 when the schema or a file cannot be read. */
#include <stdio.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

int
main(int argc, char **argv)
{
    xmlSchemaParserCtxtPtr pctx = NULL;
    xmlSchemaPtr schema = NULL;
    int code = 0;
    int i;

    if (argc < 3) {
        fprintf(stderr, "usage: xsd_check SCHEMA FILE...\n");
        return 2;
    }
    pctx = xmlSchemaNewParserCtxt(argv[1]);
    schema = pctx != NULL ? xmlSchemaParse(pctx) : NULL;
    if (schema == NULL) {
        fprintf(stderr, "xsd_check: cannot load schema %s\n", argv[1]);
        code = 2;
        goto done;
    }
    for (i = 2; i < argc; i++) {
        xmlSchemaValidCtxtPtr vctx = xmlSchemaNewValidCtxt(schema);
        int rc;

        if (vctx == NULL) {
            code = 2;
            goto done;
        }
        rc = xmlSchemaValidateFile(vctx, argv[i], 0);
        xmlSchemaFreeValidCtxt(vctx);
        if (rc < 0) {
            fprintf(stderr, "xsd_check: cannot read %s\n", argv[i]);
            code = 2;
        }
        else if (rc > 0) {
            fprintf(stderr, "xsd_check: %s does not validate against %s\n",
                    argv[i], argv[1]);
            if (code == 0) {
                code = 1;
            }
        }
    }
done:
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pctx);
    xmlCleanupParser();
    return code;
}
