/* Configuration of the s3:// backend, read from the environment as the AWS tools read it:
 *   AWS_ENDPOINT_URL       http(s)://host[:port]; default https://s3.<region>.amazonaws.com
 *   AWS_REGION             default us-east-1 (AWS_DEFAULT_REGION is taken too)
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   required; never printed
 *   AWS_CA_BUNDLE          CA certificates for HTTPS
 *   MLPS_S3_INSECURE=1     no TLS certificate checks (self-signed test endpoints only)
 *   MLPS_S3_ADDRESSING     path (default) or virtual (bucket.host)
 *   MLPS_S3_MAX_ATTEMPTS   tries per request, 1..100, default 5
 *   MLPS_S3_PART_SIZE      multipart part size in bytes, at least 5 MiB, default 32 MiB */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/s3_internal.h"

static const char *env_or(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return value && value[0] ? value : fallback;
}

static int parse_unsigned(const char *name, uint64_t min, uint64_t max, uint64_t fallback,
                          uint64_t *out, mlps_error *err)
{
    const char *text = env_or(name, NULL);
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

static int load_addressing(mlps_s3_config *config, mlps_error *err)
{
    const char *style = env_or("MLPS_S3_ADDRESSING", "path");
    if (strcmp(style, "path") != 0 && strcmp(style, "virtual") != 0)
        return mlps_fail_usage(err, -EINVAL,
                               "MLPS_S3_ADDRESSING='%s' must be 'path' or 'virtual'", style);
    config->virtual_host = strcmp(style, "virtual") == 0;
    return 0;
}

static int load_endpoint(mlps_s3_config *config, mlps_error *err)
{
    const char *endpoint = env_or("AWS_ENDPOINT_URL", NULL);
    if (endpoint && strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0)
        return mlps_fail_usage(err, -EINVAL,
                               "AWS_ENDPOINT_URL='%s' must start with http:// or https://",
                               endpoint);
    if (endpoint) {
        config->endpoint = strdup(endpoint);
    } else if (asprintf(&config->endpoint, "https://s3.%s.amazonaws.com", config->region) < 0) {
        config->endpoint = NULL;
    }
    if (!config->endpoint)
        return mlps_fail(err, -ENOMEM, "s3: out of memory reading AWS_ENDPOINT_URL");
    size_t n = strlen(config->endpoint);
    while (n > 0 && config->endpoint[n - 1] == '/')
        config->endpoint[--n] = '\0';
    return 0;
}

static int load_credentials(mlps_s3_config *config, mlps_error *err)
{
    const char *key = env_or("AWS_ACCESS_KEY_ID", NULL);
    const char *secret = env_or("AWS_SECRET_ACCESS_KEY", NULL);
    if (!key || !secret)
        return mlps_fail_usage(err, -EINVAL,
                               "s3:// needs credentials: set AWS_ACCESS_KEY_ID and "
                               "AWS_SECRET_ACCESS_KEY (missing: %s)",
                               !key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY");
    if (asprintf(&config->credentials, "%s:%s", key, secret) < 0) {
        config->credentials = NULL;
        return mlps_fail(err, -ENOMEM, "s3: out of memory reading the credentials");
    }
    return 0;
}

static int load_limits(mlps_s3_config *config, mlps_error *err)
{
    uint64_t attempts = 0;
    int rc = parse_unsigned("MLPS_S3_MAX_ATTEMPTS", 1, 100, MLPS_S3_DEFAULT_MAX_ATTEMPTS,
                            &attempts, err);
    if (rc == 0)
        rc = parse_unsigned("MLPS_S3_PART_SIZE", MLPS_S3_MIN_PART_SIZE, 5ull << 30,
                            MLPS_S3_DEFAULT_PART_SIZE, &config->part_size, err);
    config->max_attempts = (unsigned)attempts;
    config->backoff_base_ns = 100000000ull;  /* 100 ms */
    config->backoff_cap_ns = 5000000000ull;  /* 5 s */
    return rc;
}

int mlps_s3_config_load(mlps_s3_config *config, mlps_error *err)
{
    memset(config, 0, sizeof *config);
    const char *region = env_or("AWS_REGION", env_or("AWS_DEFAULT_REGION", "us-east-1"));
    config->region = strdup(region);
    if (!config->region || asprintf(&config->sigv4, "aws:amz:%s:s3", region) < 0) {
        config->sigv4 = NULL;
        mlps_s3_config_free(config);
        return mlps_fail(err, -ENOMEM, "s3: out of memory reading AWS_REGION");
    }
    const char *ca_bundle = env_or("AWS_CA_BUNDLE", NULL);
    config->ca_bundle = ca_bundle ? strdup(ca_bundle) : NULL;
    config->insecure = is_true(getenv("MLPS_S3_INSECURE"));
    int rc = (ca_bundle && !config->ca_bundle)
                 ? mlps_fail(err, -ENOMEM, "s3: out of memory reading AWS_CA_BUNDLE")
                 : 0;
    if (rc == 0)
        rc = load_addressing(config, err);
    if (rc == 0)
        rc = load_endpoint(config, err);
    if (rc == 0)
        rc = load_credentials(config, err);
    if (rc == 0)
        rc = load_limits(config, err);
    if (rc < 0)
        mlps_s3_config_free(config);
    return rc;
}

void mlps_s3_config_free(mlps_s3_config *config)
{
    free(config->endpoint);
    free(config->region);
    if (config->credentials)
        memset(config->credentials, 0, strlen(config->credentials));
    free(config->credentials);
    free(config->sigv4);
    free(config->ca_bundle);
    memset(config, 0, sizeof *config);
}
