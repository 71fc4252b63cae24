/* How big a checkpoint is and who writes what (the `checkpointing datasize` report): the bytes
 * and files of every rank, grouped so that 1,024 ranks read as a few lines, the totals in bytes,
 * GiB and GB, and the rules' page-cache condition (spec 20 §2.4): when the checkpoint data per
 * client host is under 3x the host's memory, the read phase could be served from the page cache,
 * so the caches must be dropped between writing and reading.
 *
 * Ranks are grouped twice: spans are consecutive ranks of one role (model and optimizer,
 * optimizer only, ...), e.g. DP rank 0 and the others under ZeRO 1; within a span, groups are
 * consecutive ranks with identical files and bytes, e.g. the pipeline stages that own the
 * embedding, four transformer layers, or the lm_head. */
#ifndef MLPS_CHECKPOINT_DATASIZE_H
#define MLPS_CHECKPOINT_DATASIZE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "checkpoint/model.h"
#include "core/error.h"

/* The checkpoint data per host must reach this multiple of host memory, else drop caches. */
#define MLPS_CHECKPOINT_MEMORY_MULTIPLE 3

typedef enum mlps_checkpoint_role {
    MLPS_CHECKPOINT_ROLE_MODEL_AND_OPTIMIZER,
    MLPS_CHECKPOINT_ROLE_OPTIMIZER_ONLY,
    MLPS_CHECKPOINT_ROLE_MODEL_ONLY, /* a model too small to give a rank optimizer elements */
    MLPS_CHECKPOINT_ROLE_NOTHING,    /* ZeRO 0: ranks past the first model-parallel group */
} mlps_checkpoint_role;

/* Consecutive ranks that write the same files of the same sizes (each rank). */
typedef struct mlps_checkpoint_rank_group {
    uint64_t first_rank, last_rank;
    uint64_t model_bytes, optimizer_bytes, bytes;
    uint64_t files;
    bool model_by_layer;              /* one model file per layer; then: */
    uint64_t first_stage, last_stage; /* the pipeline stages of its ranks */
    uint64_t first_layer, last_layer; /* the layers of its first stage */
    uint64_t layers_each;             /* layer files per rank */
} mlps_checkpoint_rank_group;

/* Consecutive ranks of one role, over groups [first_group, first_group + group_count). */
typedef struct mlps_checkpoint_rank_span {
    mlps_checkpoint_role role;
    uint64_t first_rank, last_rank;
    uint64_t min_bytes, max_bytes, total_bytes; /* per rank: least, most; all ranks: sum */
    uint64_t min_files, max_files, total_files;
    size_t first_group, group_count;
} mlps_checkpoint_rank_span;

typedef struct mlps_checkpoint_datasize_request {
    const char *model;          /* the name shown ("llama3-405b") */
    uint64_t hosts;             /* client hosts; 0 with host_memory_bytes 0: no cache check */
    uint64_t host_memory_bytes; /* memory of one client host */
} mlps_checkpoint_datasize_request;

typedef struct mlps_checkpoint_datasize {
    char model[64];
    mlps_checkpoint_layout layout;
    mlps_checkpoint_totals totals;
    double checkpoint_size_gib; /* the reference's checkpoint_size_GB */
    mlps_checkpoint_rank_span *spans;   /* owned */
    size_t span_count;
    mlps_checkpoint_rank_group *groups; /* owned */
    size_t group_count;
    /* the page-cache condition, when hosts and host memory are known */
    bool memory_known;
    uint64_t hosts, host_memory_bytes;
    double bytes_per_host;       /* written bytes / hosts */
    double cache_limit_bytes;    /* 3 x host memory */
    bool drop_caches_needed;     /* bytes_per_host < cache_limit_bytes */
} mlps_checkpoint_datasize;

/* Computes the report of layout. Giving only one of hosts and host memory is a usage error;
 * running out of memory a run error. On error *out holds nothing to free. */
int mlps_checkpoint_datasize_compute(const mlps_checkpoint_layout *layout,
                                     const mlps_checkpoint_datasize_request *request,
                                     mlps_checkpoint_datasize *out, mlps_error *err);
void mlps_checkpoint_datasize_free(mlps_checkpoint_datasize *datasize);

const char *mlps_checkpoint_role_name(mlps_checkpoint_role role);

/* Lines for people: the parallelism, each span (and its groups when they differ), the totals,
 * and the page-cache advice with the commands of a write-only run, a cache drop and a read-only
 * run. Ranges read "ranks 0–255: 11.81 GiB". Returns 0 or -EIO. */
int mlps_checkpoint_datasize_write_text(const mlps_checkpoint_datasize *datasize, FILE *out);

/* All of the above as a JSON object, sizes in bytes, GiB and GB. New reference, NULL when out of
 * memory. */
json_t *mlps_checkpoint_datasize_to_json(const mlps_checkpoint_datasize *datasize);

#endif
