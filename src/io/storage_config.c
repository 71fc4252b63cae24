/* The workload's storage.* keys for the storage layer (see storage_config.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/storage_config.h"

#define OPTIONS "storage.storage_options."

static int refuse_credentials(const mlps_config *cfg, mlps_error *err)
{
    static const char *const keys[][2] = {
        {OPTIONS "access_key_id", "AWS_ACCESS_KEY_ID"},
        {OPTIONS "secret_access_key", "AWS_SECRET_ACCESS_KEY"},
        {OPTIONS "session_token", "AWS_SESSION_TOKEN"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (mlps_config_has(cfg, keys[i][0]))
            return mlps_fail_usage(err, -EINVAL,
                                   "config key '%s' is not accepted: credentials come only from "
                                   "%s in the environment or a .env file, so they never reach "
                                   "the run's metadata",
                                   keys[i][0], keys[i][1]);
    return 0;
}

static int read_path_style(const mlps_config *cfg, int *out, mlps_error *err)
{
    const char *text = mlps_config_get_string(cfg, OPTIONS "s3_force_path_style");
    *out = 0;
    if (!text)
        return 0;
    if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 || strcmp(text, "1") == 0)
        *out = 1;
    else if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0 || strcmp(text, "0") == 0)
        *out = -1;
    else
        return mlps_fail_usage(err, -EINVAL, "config key '" OPTIONS "s3_force_path_style' must "
                               "be true or false, got '%s'", text);
    return 0;
}

static int read_count(const mlps_config *cfg, const char *name, long max, unsigned *out,
                      mlps_error *err)
{
    char key[128];
    snprintf(key, sizeof key, OPTIONS "%s", name);
    const char *text = mlps_config_get_string(cfg, key);
    *out = 0;
    if (!text)
        return 0;
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (end == text || *end || value < 1 || value > max)
        return mlps_fail_usage(err, -EINVAL, "config key '%s' must be a whole number in 1..%ld, "
                               "got '%s'", key, max, text);
    *out = (unsigned)value;
    return 0;
}

int mlps_storage_options_read(const mlps_config *cfg, uint32_t rank, mlps_store_options *out,
                              mlps_error *err)
{
    memset(out, 0, sizeof *out);
    out->has_rank = true;
    out->rank = rank;
    int rc = refuse_credentials(cfg, err);
    if (rc == 0)
        rc = read_path_style(cfg, &out->s3_force_path_style, err);
    if (rc == 0)
        rc = read_count(cfg, "s3_max_attempts", 100, &out->s3_max_attempts, err);
    if (rc == 0)
        rc = read_count(cfg, "s3_max_concurrency", 4096, &out->s3_max_concurrency, err);
    if (rc == 0)
        rc = read_count(cfg, "s3_parts_in_flight", 256, &out->s3_parts_in_flight, err);
    out->s3_endpoint_url = mlps_config_get_string(cfg, OPTIONS "endpoint_url");
    out->s3_region = mlps_config_get_string(cfg, OPTIONS "region");
    if (out->s3_endpoint_url && !out->s3_endpoint_url[0])
        out->s3_endpoint_url = NULL;
    return rc;
}

int mlps_storage_folder_uri(const mlps_config *cfg, const char *key, const char *folder,
                            char **out, mlps_error *err)
{
    const char *type = mlps_config_get_string(cfg, "storage.storage_type");
    *out = NULL;
    if (!type || strcmp(type, "s3") != 0 || strstr(folder, "://")) {
        *out = strdup(folder);
        return *out ? 0 : mlps_fail(err, -ENOMEM, "out of memory reading %s", key);
    }
    const char *root = mlps_config_get_string(cfg, "storage.storage_root");
    if (root && strncmp(root, "s3://", 5) == 0)
        root += 5;
    size_t root_len = root ? strlen(root) : 0;
    while (root_len > 0 && root[root_len - 1] == '/')
        root_len--;
    if (!root || root_len == 0 || root[0] == '.' || root[0] == '/')
        return mlps_fail_usage(err, -EINVAL, "storage.storage_type is s3, so "
                               "storage.storage_root must name the bucket (bucket or "
                               "bucket/prefix), got '%s'", root ? root : "");
    while (strncmp(folder, "./", 2) == 0)
        folder += 2;
    while (folder[0] == '/')
        folder++;
    if (strcmp(folder, ".") == 0)
        folder = "";
    if (asprintf(out, "s3://%.*s%s%s", (int)root_len, root, folder[0] ? "/" : "", folder) < 0) {
        *out = NULL;
        return mlps_fail(err, -ENOMEM, "out of memory reading %s", key);
    }
    return 0;
}

int mlps_storage_check_config(const mlps_config *cfg, const char *uri, mlps_error *err)
{
    if (strncmp(uri, "s3://", 5) != 0)
        return 0;
    mlps_store_options options;
    mlps_store *store = NULL;
    int rc = mlps_storage_options_read(cfg, 0, &options, err);
    if (rc == 0)
        rc = mlps_store_open(uri, &options, &store, err);
    if (store)
        mlps_store_close(store);
    return rc;
}
