/* Which settings a re-launched job forwards to its ranks: ranks on other hosts inherit nothing
 * from the launching shell and may not see its .env file, so the object-storage settings go to
 * every rank by name (launch.c puts the names on the command line). A value that only a .env file
 * holds travels in the launcher's environment, never in its arguments. */
#include "core/launch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/secret.h"

static const char *const forwarded_names[] = {
    "AWS_ENDPOINT_URL",     "AWS_ACCESS_KEY_ID",    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",    "AWS_REGION",           "AWS_DEFAULT_REGION",
    "AWS_CA_BUNDLE",        "S3_ENDPOINT_URIS",     "S3_ENDPOINT_TEMPLATE",
    "S3_ENDPOINT_FILE",     "S3_LOAD_BALANCE_STRATEGY", "BUCKET",
};
static const char forwarded_prefix[] = "MLPS_S3_";

bool mlps_launch_is_forwarded(const char *name)
{
    for (size_t i = 0; i < sizeof forwarded_names / sizeof forwarded_names[0]; i++)
        if (strcmp(name, forwarded_names[i]) == 0)
            return true;
    return strncmp(name, forwarded_prefix, sizeof forwarded_prefix - 1) == 0 &&
           name[sizeof forwarded_prefix - 1] != '\0';
}

static mlps_launch_variable *find_forwarded(const mlps_launch_spec *spec, const char *name)
{
    for (size_t i = 0; i < spec->forward_count; i++)
        if (strcmp(spec->forward[i].name, name) == 0)
            return &spec->forward[i];
    return NULL;
}

/* Adds name (with value, or NULL for the environment's), or replaces the value of an entry of
 * that name. */
static int forward(mlps_launch_spec *spec, const char *name, const char *value, mlps_error *err)
{
    char *own_name = strdup(name);
    char *own_value = value ? strdup(value) : NULL;
    mlps_launch_variable *known = own_name ? find_forwarded(spec, own_name) : NULL;
    mlps_launch_variable *grown =
        known || !own_name ? NULL
                           : realloc(spec->forward, (spec->forward_count + 1) * sizeof *grown);
    if (!own_name || (value && !own_value) || (!known && !grown)) {
        free(own_name);
        mlps_free_secret(own_value);
        return mlps_fail(err, -ENOMEM, "out of memory listing the settings forwarded to ranks");
    }
    if (known) {
        free(own_name);
        mlps_free_secret(known->value);
        known->value = own_value;
        return 0;
    }
    spec->forward = grown;
    spec->forward[spec->forward_count++] = (mlps_launch_variable){.name = own_name,
                                                                  .value = own_value};
    return 0;
}

static int forward_from_environment(mlps_launch_spec *spec, mlps_error *err)
{
    for (char **entry = environ; *entry; entry++) {
        const char *equals = strchr(*entry, '=');
        if (!equals || equals[1] == '\0')
            continue; /* unset or empty: as if not there, as the settings are read */
        char *name = strndup(*entry, (size_t)(equals - *entry));
        if (!name)
            return mlps_fail(err, -ENOMEM, "out of memory listing the settings forwarded to "
                                           "ranks");
        int rc = mlps_launch_is_forwarded(name) ? forward(spec, name, NULL, err) : 0;
        free(name);
        if (rc)
            return rc;
    }
    return 0;
}

int mlps_launch_forward_settings(mlps_launch_spec *spec, char *const *file_names,
                                 char *const *file_values, size_t file_count, mlps_error *err)
{
    int rc = forward_from_environment(spec, err);
    for (size_t i = 0; rc == 0 && i < file_count; i++) {
        const char *name = file_names[i];
        const char *set = getenv(name);
        if (!mlps_launch_is_forwarded(name) || (set && set[0]) || !file_values[i][0])
            continue;
        rc = forward(spec, name, file_values[i], err);
    }
    return rc;
}

void mlps_launch_forward_free(mlps_launch_spec *spec)
{
    for (size_t i = 0; i < spec->forward_count; i++) {
        free(spec->forward[i].name);
        mlps_free_secret(spec->forward[i].value);
    }
    free(spec->forward);
    spec->forward = NULL;
    spec->forward_count = 0;
}
