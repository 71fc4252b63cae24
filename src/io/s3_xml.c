/* The XML documents S3 answers with, read with libxml2: error bodies, one page of a
 * ListObjectsV2 listing, the failures of a DeleteObjects, and single values such as a multipart upload's UploadId. Elements are
 * matched by local name, so the S3 namespace (present or not) makes no difference. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "io/s3_internal.h"

static xmlDocPtr parse(const char *xml, size_t len)
{
    if (!xml || len == 0 || len > INT32_MAX)
        return NULL;
    return xmlReadMemory(xml, (int)len, "s3.xml", NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static bool named(const xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

static const xmlNode *child(const xmlNode *parent, const char *name)
{
    for (const xmlNode *c = parent->children; c; c = c->next)
        if (named(c, name))
            return c;
    return NULL;
}

/* The element's text into out (cut to size); false when there is no such element. */
static bool child_text(const xmlNode *parent, const char *name, char *out, size_t size)
{
    const xmlNode *c = child(parent, name);
    if (!c)
        return false;
    xmlChar *text = xmlNodeGetContent(c);
    snprintf(out, size, "%s", text ? (const char *)text : "");
    xmlFree(text);
    return true;
}

bool mlps_s3_parse_error(const char *xml, size_t len, mlps_s3_error_body *out)
{
    xmlDocPtr doc = parse(xml, len);
    if (!doc)
        return false;
    const xmlNode *root = xmlDocGetRootElement(doc);
    bool found = root && named(root, "Error") && child_text(root, "Code", out->code, sizeof out->code);
    if (found && !child_text(root, "Message", out->message, sizeof out->message))
        snprintf(out->message, sizeof out->message, "(no message)");
    xmlFreeDoc(doc);
    return found;
}

static const xmlNode *find(const xmlNode *node, const char *name)
{
    for (; node; node = node->next) {
        if (named(node, name))
            return node;
        const xmlNode *inside = find(node->children, name);
        if (inside)
            return inside;
    }
    return NULL;
}

char *mlps_s3_xml_find(const char *xml, size_t len, const char *name)
{
    xmlDocPtr doc = parse(xml, len);
    if (!doc)
        return NULL;
    const xmlNode *node = find(xmlDocGetRootElement(doc), name);
    char *result = NULL;
    if (node) {
        xmlChar *text = xmlNodeGetContent(node);
        result = strdup(text ? (const char *)text : "");
        xmlFree(text);
    }
    xmlFreeDoc(doc);
    return result;
}

static int visit_object(const xmlNode *contents, mlps_s3_list_entry visit, void *arg)
{
    char key[2048], size_text[32] = "0";
    if (!child_text(contents, "Key", key, sizeof key))
        return -EPROTO;
    child_text(contents, "Size", size_text, sizeof size_text);
    return visit(key, strtoull(size_text, NULL, 10), false, arg);
}

static int visit_prefix(const xmlNode *common, mlps_s3_list_entry visit, void *arg)
{
    char prefix[2048];
    if (!child_text(common, "Prefix", prefix, sizeof prefix))
        return -EPROTO;
    return visit(prefix, 0, true, arg);
}

int mlps_s3_parse_list_page(const char *xml, size_t len, mlps_s3_list_entry visit, void *arg,
                            char **next_token)
{
    *next_token = NULL;
    xmlDocPtr doc = parse(xml, len);
    if (!doc)
        return -EPROTO;
    const xmlNode *root = xmlDocGetRootElement(doc);
    int rc = root && named(root, "ListBucketResult") ? 0 : -EPROTO;
    for (const xmlNode *c = root ? root->children : NULL; c && rc == 0; c = c->next) {
        if (named(c, "Contents"))
            rc = visit_object(c, visit, arg);
        else if (named(c, "CommonPrefixes"))
            rc = visit_prefix(c, visit, arg);
    }
    char truncated[8] = "false", token[2048];
    if (rc == 0 && child_text(root, "IsTruncated", truncated, sizeof truncated) &&
        strcmp(truncated, "true") == 0) {
        if (!child_text(root, "NextContinuationToken", token, sizeof token) || !token[0])
            rc = -EPROTO; /* a truncated page must say where to go on */
        else if (!(*next_token = strdup(token)))
            rc = -ENOMEM;
    }
    xmlFreeDoc(doc);
    return rc;
}

static int visit_delete_error(const xmlNode *error, mlps_s3_delete_error visit, void *arg)
{
    char key[2048];
    mlps_s3_error_body why;
    if (!child_text(error, "Key", key, sizeof key))
        return -EPROTO;
    if (!child_text(error, "Code", why.code, sizeof why.code))
        snprintf(why.code, sizeof why.code, "(no code)");
    if (!child_text(error, "Message", why.message, sizeof why.message))
        snprintf(why.message, sizeof why.message, "(no message)");
    return visit(key, &why, arg);
}

int mlps_s3_parse_delete_result(const char *xml, size_t len, mlps_s3_delete_error visit,
                                void *arg)
{
    xmlDocPtr doc = parse(xml, len);
    if (!doc)
        return -EPROTO;
    const xmlNode *root = xmlDocGetRootElement(doc);
    int rc = root && named(root, "DeleteResult") ? 0 : -EPROTO;
    for (const xmlNode *c = root ? root->children : NULL; c && rc == 0; c = c->next)
        if (named(c, "Error"))
            rc = visit_delete_error(c, visit, arg);
    xmlFreeDoc(doc);
    return rc;
}
