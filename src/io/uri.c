/* Storage URIs: "scheme://location" or a bare path (file://). Turns a URI into its backend and
 * root, and a name inside a store into the location a backend opens plus the URI messages show. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/backend.h"

static char *join3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *joined = malloc(la + lb + lc + 1);
    if (!joined)
        return NULL;
    memcpy(joined, a, la);
    memcpy(joined + la, b, lb);
    memcpy(joined + la + lb, c, lc + 1);
    return joined;
}

/* Length of a leading "scheme" in "scheme://", or 0 when the text is a bare path. */
static size_t scheme_length(const char *uri)
{
    if (!isalpha((unsigned char)uri[0]))
        return 0;
    size_t n = 1;
    while (isalnum((unsigned char)uri[n]) || uri[n] == '+' || uri[n] == '-' || uri[n] == '.')
        n++;
    return strncmp(uri + n, "://", 3) == 0 ? n : 0;
}

static char *absolute_from_cwd(const char *relative)
{
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    return join3(cwd, strcmp(cwd, "/") == 0 ? "" : "/", relative);
}

static void trim_trailing_slashes(char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
}

static int unknown_scheme(const char *uri, size_t len, mlps_error *err)
{
    char valid[256];
    mlps_backend_list_schemes(valid, sizeof valid);
    return mlps_fail_usage(err, -EINVAL, "unknown storage URI scheme '%.*s' in '%s'; valid: %s",
                           (int)len, uri, uri, valid);
}

int mlps_uri_parse(const char *uri, const mlps_backend **backend, char **root, char **canonical,
                   mlps_error *err)
{
    if (!uri || !uri[0])
        return mlps_fail_usage(err, -EINVAL,
                               "empty storage URI; give file:///abs/path, direct:///abs/path, "
                               "null://, s3://bucket/prefix or a path");
    size_t len = scheme_length(uri);
    const char *location = len ? uri + len + 3 : uri;
    *backend = len ? mlps_backend_find(uri, len) : mlps_backend_find("file", 4);
    if (!*backend)
        return unknown_scheme(uri, len, err);
    if (len && (*backend)->needs_absolute_path && location[0] != '/')
        return mlps_fail_usage(err, -EINVAL,
                               "storage URI '%s' has no absolute path; write %s:///absolute/path "
                               "(three slashes)",
                               uri, (*backend)->scheme);
    bool relative_bare = !len && location[0] != '/';
    *root = relative_bare ? absolute_from_cwd(location) : strdup(location);
    if (!*root)
        return mlps_fail(err, -ENOMEM, "storage URI '%s': cannot resolve its path", uri);
    trim_trailing_slashes(*root);
    *canonical = join3((*backend)->scheme, "://", *root);
    if (!*canonical) {
        free(*root);
        return mlps_fail(err, -ENOMEM, "storage URI '%s': out of memory", uri);
    }
    return 0;
}

int mlps_path_resolve(const mlps_store *store, const char *relative, mlps_path *out,
                      mlps_error *err)
{
    while (relative && *relative == '/')
        relative++;
    bool is_root = !relative || !relative[0];
    const char *separator = is_root || !store->root[0] || strcmp(store->root, "/") == 0 ? "" : "/";
    out->location = join3(store->root, separator, is_root ? "" : relative);
    out->uri = out->location ? join3(store->backend->scheme, "://", out->location) : NULL;
    if (!out->uri) {
        mlps_path_free(out);
        return mlps_fail(err, -ENOMEM, "%s: out of memory resolving '%s'", store->uri,
                         relative ? relative : "");
    }
    return 0;
}

void mlps_path_free(mlps_path *path)
{
    free(path->location);
    free(path->uri);
    path->location = path->uri = NULL;
}
