/* What the s3:// backend tells beyond the store interface, for the run's results: how many
 * requests it had to try again (connection errors, 5xx, 429, SlowDown) and which endpoint(s) it
 * talks to. */
#ifndef MLPS_IO_S3_H
#define MLPS_IO_S3_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/comm.h"
#include "io/store.h"

/* Retries made by the store so far; 0 for a store of another scheme. */
uint64_t mlps_store_s3_retries(const mlps_store *store);

/* The endpoint this process's rank is assigned (rank mod the number of endpoints; with
 * round_robin or least_connections, where its requests start); NULL for another scheme. */
const char *mlps_store_s3_endpoint(const mlps_store *store);
/* How many endpoints the store spreads over (0 for another scheme), and how:
 * "rank", "round_robin" or "least_connections" (NULL for another scheme). */
size_t mlps_store_s3_endpoint_count(const mlps_store *store);
const char *mlps_store_s3_balance(const mlps_store *store);

/* Collective: on rank 0, *out is a new array whose element r is rank r's endpoint (with
 * round_robin or least_connections, its comma-separated list), null for a rank whose store is
 * not s3://; on the other ranks *out is NULL. */
int mlps_store_s3_endpoints_gather(const mlps_comm *comm, const mlps_store *store, json_t **out,
                                   mlps_error *err);

#endif
