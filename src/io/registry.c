/* The one table of storage backends. A URI's scheme selects an entry; adding a backend means
 * writing its file and adding one line here. */
#include <stdio.h>
#include <string.h>

#include "io/backend.h"

extern const mlps_backend mlps_backend_file;
extern const mlps_backend mlps_backend_direct;
extern const mlps_backend mlps_backend_null;
extern const mlps_backend mlps_backend_s3;

static const mlps_backend *const backends[] = {
    &mlps_backend_file,
    &mlps_backend_direct,
    &mlps_backend_null,
    &mlps_backend_s3,
};

#define BACKEND_COUNT (sizeof backends / sizeof backends[0])

const mlps_backend *mlps_backend_find(const char *scheme, size_t scheme_len)
{
    for (size_t i = 0; i < BACKEND_COUNT; i++) {
        const char *name = backends[i]->scheme;
        if (strlen(name) == scheme_len && strncmp(name, scheme, scheme_len) == 0)
            return backends[i];
    }
    return NULL;
}

void mlps_backend_list_schemes(char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < BACKEND_COUNT && used < size; i++) {
        int n = snprintf(out + used, size - used, "%s%s://", i ? ", " : "", backends[i]->scheme);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
