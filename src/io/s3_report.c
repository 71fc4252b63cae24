/* Which endpoint each rank of a run talked to, for the run's summary: with several endpoints
 * (S3_ENDPOINT_URIS ...) the spread of ranks over them is part of what was measured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/s3.h"
#include "io/s3_internal.h"

/* This rank's entry: its endpoint, or with round_robin / least_connections every endpoint its
 * requests went to, comma-separated. NULL for another scheme. */
static json_t *own_entry(const mlps_store *store)
{
    if (!store || strcmp(mlps_store_scheme(store), "s3") != 0)
        return NULL;
    const mlps_s3_config *config = &mlps_s3_of(store)->config;
    if (config->balance == MLPS_S3_BALANCE_BY_RANK || config->endpoint_count == 1)
        return json_string(config->endpoint);
    size_t length = 1;
    for (size_t i = 0; i < config->endpoint_count; i++)
        length += strlen(config->endpoints[i]) + 1;
    char *joined = calloc(1, length);
    if (!joined)
        return NULL;
    for (size_t i = 0; i < config->endpoint_count; i++) {
        if (i)
            strcat(joined, ",");
        strcat(joined, config->endpoints[i]);
    }
    json_t *entry = json_string(joined);
    free(joined);
    return entry;
}

int mlps_store_s3_endpoints_gather(const mlps_comm *comm, const mlps_store *store, json_t **out,
                                   mlps_error *err)
{
    json_t *own = own_entry(store);
    int rc = mlps_comm_gather_json(comm, own, out, err);
    json_decref(own);
    return rc;
}
