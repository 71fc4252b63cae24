/* Shared by the KV-cache workload tests: default settings and options, a source opened on
 * them, and the path of a file under tests/fixtures/kvcache (found next to this source file,
 * since unit tests run without the source directory in their environment). */
#ifndef MLPS_TESTS_KV_WORKLOAD_TEST_UTIL_H
#define MLPS_TESTS_KV_WORKLOAD_TEST_UTIL_H

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "kvcache/workload.h"

#define KV_START_NS UINT64_C(1000000000000)

typedef struct kv_setup {
    mlps_kv_settings settings;
    mlps_kv_options options;
    mlps_kv_source_params params;
} kv_setup;

static inline void kv_setup_defaults(kv_setup *k, uint64_t seed)
{
    mlps_kv_settings_defaults(&k->settings);
    mlps_kv_options_defaults(&k->options);
    k->params = (mlps_kv_source_params){.options = &k->options, .settings = &k->settings,
                                        .seed = seed, .start_ns = KV_START_NS};
}

static inline mlps_kv_source *kv_open(kv_setup *k)
{
    mlps_error err = {0};
    mlps_kv_source *src = NULL;
    int rc = mlps_kv_source_open(&k->params, &src, &err);
    if (rc != 0)
        fprintf(stderr, "open failed: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_non_null(src);
    return src;
}

/* The next request, which must exist. */
static inline void kv_next(mlps_kv_source *src, uint64_t now_ns, mlps_kv_request *r, uint64_t *due)
{
    mlps_error err = {0};
    int rc = mlps_kv_source_next(src, now_ns, r, due, &err);
    if (rc < 0)
        fprintf(stderr, "next failed: %s\n", err.message);
    assert_int_equal(rc, MLPS_KV_NEXT_REQUEST);
}

/* "<tests>/fixtures/kvcache/<relative>" */
static inline void kv_fixture(char *out, const char *relative)
{
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    int dir_length = slash ? (int)(slash - here) : 1;
    int n = snprintf(out, PATH_MAX, "%.*s/../fixtures/kvcache/%s", dir_length,
                     slash ? here : ".", relative);
    assert_true(n > 0 && n < PATH_MAX);
}

#endif
