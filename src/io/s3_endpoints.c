/* The endpoints of the s3:// backend. One is usual (AWS_ENDPOINT_URL); several gateways of one
 * storage system are named, in the reference's order of precedence, by
 *   S3_ENDPOINT_URIS      "http://a:9000,http://b:9000"
 *   S3_ENDPOINT_TEMPLATE  "http://h{1...8}:9000": the first {N...M} expands to N..M inclusive
 *                         (a zero-padded N, as in {01...16}, pads every number to its width)
 *   S3_ENDPOINT_FILE      one URI per line, '#' comments and blank lines skipped
 * and spread by S3_LOAD_BALANCE_STRATEGY: `rank` (default; the process of rank r talks only to
 * endpoint r mod n), `round_robin` (each request to the next endpoint) or `least_connections`
 * (each request to the endpoint with the fewest requests in flight from this process). All the
 * endpoints must front the same storage: nothing is replicated, so what one rank wrote through
 * one endpoint is read back through whichever endpoint the reader is given. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "io/s3_internal.h"

#define MAX_ENDPOINTS 4096u

static int add_endpoint(mlps_s3_config *config, const char *uri, size_t len, const char *source,
                        mlps_error *err)
{
    while (len > 0 && (uri[0] == ' ' || uri[0] == '\t'))
        uri++, len--;
    while (len > 0 && (uri[len - 1] == ' ' || uri[len - 1] == '\t' || uri[len - 1] == '\r' ||
                       uri[len - 1] == '/'))
        len--;
    if (len == 0)
        return 0;
    bool http = len > 7 && strncmp(uri, "http://", 7) == 0;
    bool https = len > 8 && strncmp(uri, "https://", 8) == 0;
    if (!http && !https)
        return mlps_fail_usage(err, -EINVAL, "%s: endpoint '%.*s' must start with http:// or "
                               "https:// and name a host", source, (int)len, uri);
    if (config->endpoint_count >= MAX_ENDPOINTS)
        return mlps_fail_usage(err, -EINVAL, "%s: more than %u endpoints", source, MAX_ENDPOINTS);
    char **grown = realloc(config->endpoints, (config->endpoint_count + 1) * sizeof *grown);
    if (!grown)
        return mlps_fail(err, -ENOMEM, "%s: out of memory", source);
    config->endpoints = grown;
    if (!(grown[config->endpoint_count] = strndup(uri, len)))
        return mlps_fail(err, -ENOMEM, "%s: out of memory", source);
    config->endpoint_count++;
    return 0;
}

int mlps_s3_endpoints_from_list(mlps_s3_config *config, const char *list, const char *source,
                                mlps_error *err)
{
    for (const char *item = list;;) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        int rc = add_endpoint(config, item, len, source, err);
        if (rc || !comma)
            return rc;
        item = comma + 1;
    }
}

/* Reads "N...M}" at text: the numbers, the width of N when zero-padded (else 0) and the end. */
static bool read_range(const char *text, unsigned long *first, unsigned long *last,
                       int *width, const char **end)
{
    char *stop = NULL;
    if (text[0] < '0' || text[0] > '9')
        return false;
    errno = 0;
    *first = strtoul(text, &stop, 10);
    *width = text[0] == '0' && stop - text > 1 ? (int)(stop - text) : 0;
    if (errno || strncmp(stop, "...", 3) != 0 || stop[3] < '0' || stop[3] > '9')
        return false;
    const char *second = stop + 3;
    *last = strtoul(second, &stop, 10);
    if (errno || *stop != '}')
        return false;
    *end = stop + 1;
    return true;
}

int mlps_s3_endpoints_from_template(mlps_s3_config *config, const char *template,
                                    const char *source, mlps_error *err)
{
    const char *open = strchr(template, '{');
    unsigned long first = 0, last = 0;
    int width = 0;
    const char *after = NULL;
    if (!open || !read_range(open + 1, &first, &last, &width, &after) || first > last ||
        last - first >= MAX_ENDPOINTS)
        return mlps_fail_usage(err, -EINVAL,
                               "%s='%s' must hold one range {N...M} with N <= M and at most %u "
                               "numbers, as in http://host{1...8}:9000",
                               source, template, MAX_ENDPOINTS);
    for (unsigned long i = first; i <= last; i++) {
        char *uri = NULL;
        if (asprintf(&uri, "%.*s%0*lu%s", (int)(open - template), template, width, i, after) < 0)
            return mlps_fail(err, -ENOMEM, "%s: out of memory", source);
        int rc = add_endpoint(config, uri, strlen(uri), source, err);
        free(uri);
        if (rc)
            return rc;
    }
    return 0;
}

int mlps_s3_endpoints_from_file(mlps_s3_config *config, const char *path, const char *source,
                                mlps_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return mlps_fail_usage(err, -errno, "%s=%s: %s", source, path, strerror(errno));
    char line[4096];
    unsigned number = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        number++;
        line[strcspn(line, "\n")] = '\0';
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char where[64];
        snprintf(where, sizeof where, "%s line %u", source, number);
        rc = add_endpoint(config, line, strlen(line), where, err);
    }
    fclose(f);
    if (rc == 0 && config->endpoint_count == 0)
        rc = mlps_fail_usage(err, -EINVAL, "%s=%s: the file names no endpoint (one http:// or "
                             "https:// URI per line)", source, path);
    return rc;
}

static int read_strategy(mlps_s3_config *config, const char *name, mlps_error *err)
{
    static const char *const names[] = {"rank", "round_robin", "least_connections"};
    if (!name) {
        config->balance = MLPS_S3_BALANCE_BY_RANK;
        return 0;
    }
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            config->balance = (mlps_s3_balance)i;
            return 0;
        }
    return mlps_fail_usage(err, -EINVAL, "S3_LOAD_BALANCE_STRATEGY='%s' must be rank, "
                           "round_robin or least_connections", name);
}

/* The rank as the MPI launchers and SLURM tell it to their processes; -1 if none does. */
static long rank_from_launcher(const mlps_dotenv *env)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK",
                                        "MV2_COMM_WORLD_RANK", "SLURM_PROCID"};
    for (int i = 0; i < 4; i++) {
        const char *text = mlps_dotenv_get(env, names[i]);
        char *end = NULL;
        long rank = text ? strtol(text, &end, 10) : -1;
        if (text && *end == '\0' && rank >= 0)
            return rank;
    }
    return -1;
}

static void choose_rank_endpoint(mlps_s3_config *config, const mlps_store_options *opts,
                                 const mlps_dotenv *env)
{
    long rank = opts && opts->has_rank ? (long)opts->rank : rank_from_launcher(env);
    if (rank < 0 && config->endpoint_count > 1 && config->balance == MLPS_S3_BALANCE_BY_RANK)
        mlps_warn("s3: %zu endpoints but no rank is known (no MPI launcher variables): using "
                  "the first, %s", config->endpoint_count, config->endpoints[0]);
    config->rank = rank < 0 ? 0 : (unsigned long)rank;
    config->endpoint = config->endpoints[config->rank % config->endpoint_count];
}

int mlps_s3_endpoints_load(mlps_s3_config *config, const mlps_store_options *opts,
                           const mlps_dotenv *env, mlps_error *err)
{
    const char *value = NULL;
    int rc = 0;
    if (opts && opts->s3_endpoint_url) {
        rc = mlps_s3_endpoints_from_list(config, opts->s3_endpoint_url,
                                         "storage.storage_options.endpoint_url", err);
    } else if ((value = mlps_dotenv_get(env, "S3_ENDPOINT_URIS"))) {
        rc = mlps_s3_endpoints_from_list(config, value, "S3_ENDPOINT_URIS", err);
    } else if ((value = mlps_dotenv_get(env, "S3_ENDPOINT_TEMPLATE"))) {
        rc = mlps_s3_endpoints_from_template(config, value, "S3_ENDPOINT_TEMPLATE", err);
    } else if ((value = mlps_dotenv_get(env, "S3_ENDPOINT_FILE"))) {
        rc = mlps_s3_endpoints_from_file(config, value, "S3_ENDPOINT_FILE", err);
    } else if ((value = mlps_dotenv_get(env, "AWS_ENDPOINT_URL"))) {
        rc = mlps_s3_endpoints_from_list(config, value, "AWS_ENDPOINT_URL", err);
    } else {
        char *aws = NULL;
        if (asprintf(&aws, "https://s3.%s.amazonaws.com", config->region) < 0)
            return mlps_fail(err, -ENOMEM, "s3: out of memory");
        rc = mlps_s3_endpoints_from_list(config, aws, "AWS_REGION", err);
        free(aws);
    }
    if (rc == 0 && config->endpoint_count == 0)
        rc = mlps_fail_usage(err, -EINVAL, "the S3 endpoint list is empty: give at least one "
                             "http:// or https:// URI");
    if (rc == 0)
        rc = read_strategy(config, mlps_dotenv_get(env, "S3_LOAD_BALANCE_STRATEGY"), err);
    if (rc == 0)
        choose_rank_endpoint(config, opts, env);
    return rc;
}
