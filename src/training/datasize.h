/* How big a training dataset must be for a system (spec 10 §5.3, the rules' "5x host memory and
 * at least 500 steps per epoch"):
 *
 *     mem            = host memory x hosts
 *     files_by_bytes = floor(5 mem / file_bytes)            file_bytes = samples per file x record
 *     files_by_steps = floor(500 x accelerators x batch / samples per file)
 *     files          = max of the two;  disk = files x file_bytes
 *
 * The record size is the one the run's metrics count (mlps_workload_record_bytes): the parquet
 * column bytes in column mode, else dataset.record_length_bytes. The reference's datasize reads
 * record_length_bytes first and counts float16/int8 parquet columns as 4 bytes; both give the
 * same numbers for every shipped workload (dlrm 761 B, flux 2,164,832 B), and ours is the size
 * the files really have. A fractional record length (resnet50's 114660.07) is carried through in
 * floating point as the reference does; integral ones are computed exactly. */
#ifndef MLPS_TRAINING_DATASIZE_H
#define MLPS_TRAINING_DATASIZE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "training/workload.h"

/* Steps every epoch must have, and the folder size above which subfolders are suggested. */
#define MLPS_DATASIZE_MIN_STEPS 500
#define MLPS_DATASIZE_MEMORY_MULTIPLE 5
#define MLPS_DATASIZE_FILES_PER_FOLDER 10000

typedef struct mlps_datasize_request {
    uint64_t accelerators;      /* simulated accelerators (MPI ranks), at least 1 */
    uint64_t hosts;             /* client hosts, at least 1 */
    uint64_t host_memory_bytes; /* memory of one client host, at least 1 */
} mlps_datasize_request;

typedef enum mlps_datasize_bound {
    MLPS_DATASIZE_BOUND_STEPS,  /* the 500-step rule decides (also on a tie) */
    MLPS_DATASIZE_BOUND_MEMORY, /* the 5x memory rule decides */
} mlps_datasize_bound;

typedef struct mlps_datasize {
    char model[64];
    uint64_t accelerators, hosts, host_memory_bytes;
    uint64_t total_memory_bytes; /* host memory x hosts */
    uint64_t min_dataset_bytes;  /* 5 x total memory */
    double record_bytes;
    uint64_t samples_per_file;
    uint64_t batch_size;
    double file_bytes;           /* samples per file x record bytes */
    uint64_t files_by_memory, files_by_steps;
    uint64_t num_files_train;    /* the larger bound */
    mlps_datasize_bound bound;
    uint64_t total_disk_bytes;
    uint64_t steps_per_epoch;    /* floor(samples per file x files / (batch x accelerators)) */
    uint64_t suggested_subfolders; /* floor(files / 10000) when files > 10000, else 0 */
} mlps_datasize;

/* Computes the dataset size of workload for the system in request. Zero counts, and sizes that
 * overflow 64 bits, are usage errors. */
int mlps_datasize_compute(const mlps_workload *workload, const mlps_datasize_request *request,
                          mlps_datasize *out, mlps_error *err);

/* All of the above as a JSON object, with the disk size in bytes, GiB and GB. Like the
 * reference, num_subfolders_train is 0 (files go in one folder unless one asks otherwise); the
 * hint is suggested_num_subfolders_train. New reference, NULL when out of memory. */
json_t *mlps_datasize_to_json(const mlps_datasize *datasize);

/* A few lines for people: both bounds, which one won, the disk size in GiB and GB, the
 * subfolder hint, and the command when given. Returns 0 or -EIO. */
int mlps_datasize_write_text(const mlps_datasize *datasize, const char *datagen_command,
                             FILE *out);

typedef struct mlps_datagen_command_options {
    const char *program;  /* NULL: "mlps" */
    const char *data_dir; /* NULL: the placeholder <DATA_DIR> */
    const char *hosts;    /* NULL: no --hosts */
    bool use_subfolders;  /* also pass the suggested dataset.num_subfolders_train */
    const char *const *params; /* further "key=value" to pass on with -p */
    size_t param_count;
} mlps_datagen_command_options;

/* The command that generates the dataset:
 *   mlps training datagen -m <model> -np <accelerators> [--hosts <hosts>] -dd <dir>
 *        -p dataset.num_files_train=<files> [-p dataset.num_subfolders_train=<n>] [-p ...]
 * Words that the shell would split are quoted. Returns a string to free, NULL when out of
 * memory. */
char *mlps_datasize_datagen_command(const mlps_datasize *datasize,
                                    const mlps_datagen_command_options *options);

#endif
