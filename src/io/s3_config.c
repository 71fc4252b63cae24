/* Configuration of the s3:// backend, read from the environment as the AWS tools read it, or for
 * a variable the environment does not set, from the .env file (dotenv.h); the workload's
 * storage.storage_options, passed in the store's options, take precedence over both:
 *   AWS_ENDPOINT_URL       http(s)://host[:port]; default https://s3.<region>.amazonaws.com
 *                          (several endpoints: S3_ENDPOINT_URIS ..., see s3_endpoints.c)
 *   AWS_REGION             default us-east-1 (AWS_DEFAULT_REGION is taken too)
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   required; never printed
 *   AWS_SESSION_TOKEN      temporary credentials' token, sent as x-amz-security-token (signed);
 *                          never printed
 *   AWS_CA_BUNDLE          CA certificates for HTTPS
 *   MLPS_S3_INSECURE=1     no TLS certificate checks (self-signed test endpoints only)
 *   MLPS_S3_ADDRESSING     path (default) or virtual (bucket.host)
 *   MLPS_S3_MAX_ATTEMPTS   tries per request, 1..100, default 5
 *   MLPS_S3_PART_SIZE      multipart part size in bytes, at least 5 MiB, default 32 MiB
 *   MLPS_S3_MAX_CONCURRENCY  requests in flight per store (all its queues and uploads), 1..4096,
 *                          default 64
 *   MLPS_S3_PARTS_IN_FLIGHT  part uploads in flight per object being written, 1..256, default
 *                          max(2, ceil(16 / ranks)); each holds a part buffer
 *   MLPS_S3_ENGINE         multi (default: many requests in flight per queue) or sync (one at a
 *                          time, carried out at submission) */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/secret.h"
#include "io/s3_internal.h"

static const char *env_or(const mlps_dotenv *env, const char *name, const char *fallback)
{
    const char *value = mlps_dotenv_get(env, name);
    return value && value[0] ? value : fallback;
}

static int parse_unsigned(const mlps_dotenv *env, const char *name, uint64_t min, uint64_t max,
                          uint64_t fallback, uint64_t *out, mlps_error *err)
{
    const char *text = env_or(env, name, NULL);
    *out = fallback;
    if (!text)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || value < min || value > max)
        return mlps_fail_usage(err, -EINVAL,
                               "%s='%s' must be a whole number in %" PRIu64 "..%" PRIu64, name,
                               text, min, max);
    *out = value;
    return 0;
}

static bool is_true(const char *text)
{
    return text && (strcmp(text, "1") == 0 || strcmp(text, "true") == 0 ||
                    strcmp(text, "yes") == 0);
}

static int load_addressing(mlps_s3_config *config, const mlps_store_options *opts,
                           const mlps_dotenv *env, mlps_error *err)
{
    if (opts && opts->s3_force_path_style) {
        config->virtual_host = opts->s3_force_path_style < 0;
        return 0;
    }
    const char *style = env_or(env, "MLPS_S3_ADDRESSING", "path");
    if (strcmp(style, "path") != 0 && strcmp(style, "virtual") != 0)
        return mlps_fail_usage(err, -EINVAL,
                               "MLPS_S3_ADDRESSING='%s' must be 'path' or 'virtual'", style);
    config->virtual_host = strcmp(style, "virtual") == 0;
    return 0;
}

static int load_credentials(mlps_s3_config *config, const mlps_dotenv *env, mlps_error *err)
{
    const char *key = env_or(env, "AWS_ACCESS_KEY_ID", NULL);
    const char *secret = env_or(env, "AWS_SECRET_ACCESS_KEY", NULL);
    if (!key || !secret)
        return mlps_fail_usage(err, -EINVAL,
                               "s3:// needs credentials: set AWS_ACCESS_KEY_ID and "
                               "AWS_SECRET_ACCESS_KEY in the environment or a .env file "
                               "(missing: %s)",
                               !key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY");
    const char *token = env_or(env, "AWS_SESSION_TOKEN", NULL);
    if (asprintf(&config->credentials, "%s:%s", key, secret) < 0)
        config->credentials = NULL;
    if (token && asprintf(&config->session_token_header, "x-amz-security-token: %s", token) < 0)
        config->session_token_header = NULL;
    if (!config->credentials || (token && !config->session_token_header))
        return mlps_fail(err, -ENOMEM, "s3: out of memory reading the credentials");
    return 0;
}


/* An option's value when set (checked against min..max), else the variable's. */
static int option_or_variable(unsigned option, const char *key, const mlps_dotenv *env,
                              const char *name, uint64_t min, uint64_t max, uint64_t fallback,
                              uint64_t *out, mlps_error *err)
{
    if (!option)
        return parse_unsigned(env, name, min, max, fallback, out, err);
    *out = option;
    if (option < min || option > max)
        return mlps_fail_usage(err, -EINVAL, "storage.storage_options.%s=%u must be a whole "
                               "number in %" PRIu64 "..%" PRIu64, key, option, min, max);
    return 0;
}

/* How many processes the run has: the option, else the MPI launcher's or SLURM's variables,
 * else 1. */
static uint64_t ranks_of_run(const mlps_store_options *opts, const mlps_dotenv *env)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
                                        "MV2_COMM_WORLD_SIZE", "SLURM_NTASKS"};
    if (opts && opts->ranks)
        return opts->ranks;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *text = mlps_dotenv_get(env, names[i]);
        char *end = NULL;
        long ranks = text ? strtol(text, &end, 10) : 0;
        if (text && *end == '\0' && ranks > 0)
            return (uint64_t)ranks;
    }
    return 1;
}

static int load_concurrency(mlps_s3_config *config, const mlps_store_options *opts,
                            const mlps_dotenv *env, mlps_error *err)
{
    uint64_t ranks = ranks_of_run(opts, env), most = 0, parts = 0;
    uint64_t default_parts = (16 + ranks - 1) / ranks < 2 ? 2 : (16 + ranks - 1) / ranks;
    int rc = option_or_variable(opts ? opts->s3_max_concurrency : 0, "s3_max_concurrency", env,
                                "MLPS_S3_MAX_CONCURRENCY", 1, 4096,
                                MLPS_S3_DEFAULT_MAX_CONCURRENCY, &most, err);
    if (rc == 0)
        rc = option_or_variable(opts ? opts->s3_parts_in_flight : 0, "s3_parts_in_flight", env,
                                "MLPS_S3_PARTS_IN_FLIGHT", 1, 256, default_parts, &parts, err);
    config->max_concurrency = (unsigned)most;
    config->parts_in_flight = (unsigned)parts;
    const char *engine = env_or(env, "MLPS_S3_ENGINE", "multi");
    if (rc == 0 && strcmp(engine, "multi") != 0 && strcmp(engine, "sync") != 0)
        rc = mlps_fail_usage(err, -EINVAL, "MLPS_S3_ENGINE='%s' must be 'multi' or 'sync'",
                             engine);
    config->sync_engine = strcmp(engine, "sync") == 0;
    return rc;
}

static int load_limits(mlps_s3_config *config, const mlps_store_options *opts,
                       const mlps_dotenv *env, mlps_error *err)
{
    uint64_t attempts = 0;
    int rc = 0;
    if (opts && opts->s3_max_attempts) {
        attempts = opts->s3_max_attempts;
        if (attempts > 100)
            rc = mlps_fail_usage(err, -EINVAL, "storage.storage_options.s3_max_attempts=%u must "
                                 "be a whole number in 1..100", opts->s3_max_attempts);
    } else {
        rc = parse_unsigned(env, "MLPS_S3_MAX_ATTEMPTS", 1, 100, MLPS_S3_DEFAULT_MAX_ATTEMPTS,
                            &attempts, err);
    }
    if (rc == 0)
        rc = parse_unsigned(env, "MLPS_S3_PART_SIZE", MLPS_S3_MIN_PART_SIZE, 5ull << 30,
                            MLPS_S3_DEFAULT_PART_SIZE, &config->part_size, err);
    if (rc == 0)
        rc = load_concurrency(config, opts, env, err);
    config->max_attempts = (unsigned)attempts;
    config->backoff_base_ns = 100000000ull;  /* 100 ms */
    config->backoff_cap_ns = 5000000000ull;  /* 5 s */
    return rc;
}

/* MLPS_S3_INSECURE is for test endpoints; a run using it says so, once per process however many
 * stores it opens. */
static void warn_if_unchecked(const mlps_s3_config *config)
{
    static atomic_bool warned;
    for (size_t i = 0; config->insecure && i < config->endpoint_count; i++)
        if (strncmp(config->endpoints[i], "https://", 8) == 0) {
            if (atomic_exchange(&warned, true))
                return;
            mlps_warn("MLPS_S3_INSECURE=1: the TLS certificates of %s are not checked",
                      config->endpoints[i]);
            return;
        }
}

static int load_settings(mlps_s3_config *config, const mlps_store_options *opts,
                         const mlps_dotenv *env, mlps_error *err)
{
    const char *region = opts && opts->s3_region && opts->s3_region[0]
                             ? opts->s3_region
                             : env_or(env, "AWS_REGION",
                                      env_or(env, "AWS_DEFAULT_REGION", "us-east-1"));
    config->region = strdup(region);
    if (!config->region || asprintf(&config->sigv4, "aws:amz:%s:s3", region) < 0) {
        config->sigv4 = NULL;
        return mlps_fail(err, -ENOMEM, "s3: out of memory reading AWS_REGION");
    }
    const char *ca_bundle = env_or(env, "AWS_CA_BUNDLE", NULL);
    config->ca_bundle = ca_bundle ? strdup(ca_bundle) : NULL;
    config->insecure = is_true(mlps_dotenv_get(env, "MLPS_S3_INSECURE"));
    int rc = (ca_bundle && !config->ca_bundle)
                 ? mlps_fail(err, -ENOMEM, "s3: out of memory reading AWS_CA_BUNDLE")
                 : 0;
    if (rc == 0 && ca_bundle && access(ca_bundle, R_OK) != 0)
        rc = mlps_fail_usage(err, -errno, "AWS_CA_BUNDLE=%s: %s (it names a file of PEM CA "
                             "certificates)", ca_bundle, strerror(errno));
    if (rc == 0)
        rc = load_addressing(config, opts, env, err);
    if (rc == 0)
        rc = mlps_s3_endpoints_load(config, opts, env, err);
    if (rc == 0)
        warn_if_unchecked(config);
    if (rc == 0)
        rc = load_credentials(config, env, err);
    if (rc == 0)
        rc = load_limits(config, opts, env, err);
    return rc;
}

int mlps_s3_config_load(mlps_s3_config *config, const mlps_store_options *opts, mlps_error *err)
{
    memset(config, 0, sizeof *config);
    mlps_dotenv env;
    int rc = mlps_dotenv_load(&env, err);
    if (rc == 0)
        rc = load_settings(config, opts, &env, err);
    mlps_dotenv_free(&env);
    if (rc < 0)
        mlps_s3_config_free(config);
    return rc;
}

void mlps_s3_config_free(mlps_s3_config *config)
{
    for (size_t i = 0; i < config->endpoint_count; i++)
        free(config->endpoints[i]);
    free(config->endpoints);
    free(config->region);
    mlps_free_secret(config->credentials);
    mlps_free_secret(config->session_token_header);
    free(config->sigv4);
    free(config->ca_bundle);
    memset(config, 0, sizeof *config);
}
