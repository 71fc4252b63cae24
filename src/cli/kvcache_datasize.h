/* `mlps kvcache datasize`: how much KV cache a model and a number of users need, from the model's
 * real bytes per token: the size of one entry at 2048 and 8192 tokens, the working set of N users
 * holding one live entry each, and tier sizes that make the run spill to storage (mlpstorage's
 * ratios: GPU 0.2x, CPU 0.5x, storage 2x the working set). The arithmetic is here, apart from the
 * command, so that it is tested without a model registry. */
#ifndef MLPS_CLI_KVCACHE_DATASIZE_H
#define MLPS_CLI_KVCACHE_DATASIZE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "kvcache/settings.h"

typedef struct mlps_kv_datasize_row {
    const char *model;
    uint64_t bytes_per_token;
    uint64_t entry_bytes_2048, entry_bytes_8192;
    uint64_t working_set_bytes; /* users × context tokens × bytes per token */
    double gpu_mem_gb, cpu_mem_gb, storage_capacity_gb; /* suggested, GiB */
} mlps_kv_datasize_row;

/* The expected context tokens of one synthetic request: a user type drawn uniformly, C drawn
 * uniformly from its context range, then the request's context uniformly from [max(1, C/4), C]. */
double mlps_kv_mean_context_tokens(const mlps_kv_settings *settings);

mlps_kv_datasize_row mlps_kv_datasize_of(const char *model, uint64_t bytes_per_token,
                                         uint64_t users, uint64_t context_tokens);

/* The table for people, and the same as JSON (new reference). */
void mlps_kv_datasize_write_text(const mlps_kv_datasize_row *rows, size_t count, uint64_t users,
                                 uint64_t context_tokens, const char *context_source, FILE *out);
json_t *mlps_kv_datasize_to_json(const mlps_kv_datasize_row *rows, size_t count, uint64_t users,
                                 uint64_t context_tokens, const char *context_source);

#endif
