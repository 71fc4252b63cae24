/* The training plan: which files a dataset has and what they are called, which rank writes
 * which file, how large each file's samples are, and which samples each rank reads, in which
 * order, in every epoch. Everything here is a pure function of plain parameters (no I/O, no
 * clocks), identical on every rank, so ranks agree without talking to each other.
 *
 * Indices. Train files are 0 .. num_files_train-1 and valid files 0 .. num_files_eval-1 within
 * their split. The generation index puts both in one sequence, train first and valid after
 * (valid file j is num_files_train + j): datagen ownership and sample sizes use it, so adding
 * valid files never changes the train files. A file's name uses its index within its split.
 *
 * Sizes. DLIO draws dim[0 .. 2F-1] from NumPy seeded with 10 and gives file i the pair
 * (dim[2i], dim[2i+1]). We draw from our own generator instead (core/rng.h), seeded from the
 * workload seed and the file's generation index: the same distribution,
 * max((int)N(dimension, dimension_stdev), 1), and the same values on every rank and every run,
 * but not NumPy's values. Each file's pair is computed on demand, so no 2F array exists.
 *
 * Order. Each epoch the T = num_samples_per_file x num_files samples are laid out in a
 * sequence of positions; rank r reads its own contiguous slice of positions and a per-epoch
 * bijection maps a position to (file, sample within the file):
 *   - sample_shuffle: positions are permuted within consecutive windows of shuffle_size
 *     positions (a shuffle buffer; samples of neighbouring files mix);
 *   - then the position splits into a file slot (position / nspf) and a sample (position %
 *     nspf), and file_shuffle permutes the file slots over the whole dataset.
 * Both permutations are keyed by seed + epoch (seed alone when seed_change_epoch is off), so
 * the order changes every epoch and is the same on every rank and every run. With both off the
 * order is DLIO's PyTorch order: rank r reads global samples r*S, r*S+1, ... (S = ceil(T/N)).
 * The same order family serves every format: DLIO's TensorFlow path (files i = r mod N, one
 * record at a time from read_threads interleaved files, the same files on a rank every epoch)
 * is not reproduced, because a fixed per-rank file set lets a host's page cache serve later
 * epochs; concurrent reads across files are the loader's business.
 *
 * Steps. steps = floor(T / (batch x N)) per epoch, the same on every rank (or
 * total_training_steps when set, which may not exceed it). Each rank reads steps x batch
 * samples, so only steps x batch x N samples are read per epoch: like DLIO's drop_last, the
 * remaining T mod (batch x N) samples of the epoch's order are not read. Batch b of a rank is
 * its samples k in [b x batch, (b+1) x batch). */
#ifndef MLPS_TRAINING_PLAN_H
#define MLPS_TRAINING_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* --- file names and directories --- */

typedef enum mlps_split {
    MLPS_SPLIT_TRAIN, /* <data_folder>/train */
    MLPS_SPLIT_VALID, /* <data_folder>/valid */
} mlps_split;

/* How a dataset's files are named (dataset.* keys of the workload). */
typedef struct mlps_dataset_layout {
    const char *file_prefix;       /* dataset.file_prefix, "img" by default */
    const char *extension;         /* the format's name, "npz", "tfrecord", ... (no dot) */
    uint64_t num_files_train;      /* dataset.num_files_train (datagen: the count that appears in
                                      every name; a run lists the folder instead and reads the
                                      first this many, training/dataset_files.h) */
    uint64_t num_files_eval;       /* dataset.num_files_eval */
    uint64_t num_subfolders_train; /* dataset.num_subfolders_train; 0 or 1: no subfolders */
    uint64_t num_subfolders_eval;  /* dataset.num_subfolders_eval */
} mlps_dataset_layout;

/* "train" or "valid". */
const char *mlps_split_directory(mlps_split split);

/* Files in the split. */
uint64_t mlps_plan_file_count(const mlps_dataset_layout *layout, mlps_split split);

/* File index's path relative to the data folder, as DLIO's datagen names it:
 * "train/img_007_of_168.npz", or with subfolders "train/3/img_0003_of_1000.npz" (file i lies in
 * subfolder i mod nsub, zero-padded to the digits of nsub; the index is zero-padded to the digits
 * of the split's file count). An index outside the split, or a name longer than size, is an
 * error naming the file. */
int mlps_plan_file_path(const mlps_dataset_layout *layout, mlps_split split, uint64_t index,
                        char *out, size_t size, mlps_error *err);

/* Subfolders to create under the split's directory: nsub when nsub > 1, else 0. */
uint64_t mlps_plan_subfolder_count(const mlps_dataset_layout *layout, mlps_split split);

/* Subfolder j's path relative to the data folder, e.g. "train/07" for j = 7 of 12. */
int mlps_plan_subfolder_path(const mlps_dataset_layout *layout, mlps_split split, uint64_t j,
                             char *out, size_t size, mlps_error *err);

/* --- data generation: who writes which file --- */

/* Files of both splits: num_files_train + num_files_eval. */
uint64_t mlps_plan_generation_count(const mlps_dataset_layout *layout);

/* The generation index of a split's file: train i -> i, valid j -> num_files_train + j. */
uint64_t mlps_plan_generation_index(const mlps_dataset_layout *layout, mlps_split split,
                                    uint64_t index);

/* Inverse of mlps_plan_generation_index (generation index below mlps_plan_generation_count). */
void mlps_plan_generation_file(const mlps_dataset_layout *layout, uint64_t generation_index,
                               mlps_split *split, uint64_t *index);

/* The rank among `ranks` writers that writes a generation index: rank r writes i = r mod P. */
uint32_t mlps_plan_generation_owner(uint64_t generation_index, uint32_t ranks);

/* --- sample sizes --- */

typedef struct mlps_sample_dims {
    uint64_t dimension;     /* floor(sqrt(record_length)) */
    double dimension_stdev; /* record_length_stdev / (2 sqrt(record_length)) */
    uint64_t seed;
} mlps_sample_dims;

/* From dataset.record_length_bytes (may be fractional), dataset.record_length_bytes_stdev and
 * the workload seed. */
void mlps_sample_dims_init(mlps_sample_dims *dims, double record_length,
                           double record_length_stdev, uint64_t seed);

/* The (d1, d2) of every sample of the file with this generation index: both `dimension` when
 * dimension_stdev is 0, else max((int64)N(dimension, dimension_stdev), 1) each. */
void mlps_sample_dims_of_file(const mlps_sample_dims *dims, uint64_t generation_index,
                              uint64_t *d1, uint64_t *d2);

/* --- epoch order --- */

/* What the order depends on (dataset.*, reader.*, train.* keys and the process count). */
typedef struct mlps_order_params {
    uint64_t num_files;        /* files read this run: dataset.num_files_train */
    uint64_t samples_per_file; /* dataset.num_samples_per_file */
    uint64_t batch_size;       /* reader.batch_size */
    uint32_t ranks;            /* N, the simulated accelerators */
    uint64_t total_training_steps; /* train.total_training_steps; 0: as many as the data allow */
    uint64_t seed;             /* train.seed */
    bool seed_change_epoch;    /* train.seed_change_epoch */
    bool file_shuffle;         /* reader.file_shuffle is not off */
    bool sample_shuffle;       /* reader.sample_shuffle is not off */
    uint64_t shuffle_size;     /* reader.shuffle_size: the sample shuffle window; <= 1: none */
} mlps_order_params;

typedef struct mlps_plan {
    mlps_order_params params;
    uint64_t total_samples;    /* T = samples_per_file x num_files */
    uint64_t steps_per_epoch;  /* the same on every rank */
    uint64_t samples_per_rank; /* steps_per_epoch x batch_size, read by each rank per epoch */
    uint64_t rank_span;        /* S = ceil(T / N): rank r's slice starts at r x S */
} mlps_plan;

/* steps = floor(samples / (batch x ranks)). A product that overflows is an error. */
int mlps_plan_steps_for(uint64_t total_samples, uint64_t batch_size, uint32_t ranks,
                        uint64_t *steps, mlps_error *err);

/* Derives the plan. Usage errors name the key: zero files, samples per file, batch size or
 * ranks; fewer samples than one step needs (batch x ranks); total_training_steps beyond what
 * the data allow. */
int mlps_plan_init(mlps_plan *plan, const mlps_order_params *params, mlps_error *err);

/* The first position of rank's slice (rank < ranks): r x S, moved down only when the last ranks' slices would
 * otherwise run past T (possible only when samples_per_rank is within about N of T / N);
 * slices never overlap and always hold samples_per_rank positions. */
uint64_t mlps_plan_rank_start(const mlps_plan *plan, uint32_t rank);

typedef struct mlps_sample_ref {
    uint64_t file;   /* index of the train file */
    uint64_t sample; /* sample within the file */
} mlps_sample_ref;

/* The k-th sample (k < samples_per_rank) that rank reads in epoch. O(1) time and memory. */
mlps_sample_ref mlps_plan_sample(const mlps_plan *plan, uint64_t epoch, uint32_t rank,
                                 uint64_t k);

/* Like mlps_plan_sample, and returns how many of the rank's samples k, k+1, ... are
 * consecutive samples of that same file (at least 1, at most samples_per_rank - k), so a loader
 * can read them with one request. Without sample_shuffle runs end only at file ends and at the
 * end of the rank's share. */
uint64_t mlps_plan_sample_run(const mlps_plan *plan, uint64_t epoch, uint32_t rank, uint64_t k,
                              mlps_sample_ref *first);

/* Fills out[0 .. batch_size) with batch `batch` (< steps_per_epoch) of rank in epoch. */
void mlps_plan_batch(const mlps_plan *plan, uint64_t epoch, uint32_t rank, uint64_t batch,
                     mlps_sample_ref *out);

#endif
