/* The checkpoint model: what a Megatron-DeepSpeed style checkpoint of a transformer holds and who
 * writes what (spec 20 §1.2 and §1.4). Pure arithmetic, no I/O: from the model's shape, its
 * tensor (TP), pipeline (PP) and data (DP) parallelism and its ZeRO stage, it gives the parameter
 * count, each rank's files in write order with their exact byte counts, and the totals.
 *
 *     mlps_checkpoint_layout layout;
 *     if (mlps_checkpoint_layout_init(&layout, &params, comm_size, err) != 0) return ...; // exit 2
 *     for (uint64_t i = 0; i < mlps_checkpoint_rank_file_count(&layout, rank); i++) {
 *         mlps_checkpoint_file file;
 *         mlps_checkpoint_rank_file(&layout, rank, i, &file);   // name, bytes
 *         ...
 *     }
 *
 * Every division is an integer floor taken left to right, term by term, as the reference does,
 * so the byte counts match its files exactly:
 *
 *     head = h // heads, dkv = head * kv_heads
 *     P    = 2 V h + L (2h + h (h + 2 dkv) + h^2 + 3 h f) + h
 *     rank r: tp = r % TP, pp = (r // TP) % PP, dp = r // (TP PP), mp = r % (TP PP)
 *     S    = DP under ZeRO stage 3, else 1
 *     layer 0 (embedding) and L+1 (lm_head): h V // TP // S elements; L+2 (final norm): h // S;
 *     a transformer layer: h//S + h(h+2dkv)//TP//S + h^2//TP//S + h//S + 2hf//TP//S + hf//TP//S
 *     optimizer elements per rank: n = P // (DP TP PP) (ZeRO 0: P // (TP PP)); 3n + 15h in all
 *
 * Who writes (per checkpoint, strictly in this order within a rank):
 *   ZeRO 3:          zero_pp_rank_{dp}_mp_rank_{mp}_model_states.pt, then ..._optim_states.pt
 *   ZeRO 1/2, PP>1:  DP rank 0 only: layer_{i}-model_{mp}_model_states.pt for each owned layer
 *                    ascending; then every rank zero_pp_rank_{dp}_mp_rank_{mp}_optim_states.pt
 *   ZeRO 1/2, PP=1:  DP rank 0 only: model_{mp}_model_states.pt; then every rank the optimizer
 *   ZeRO 0:          ranks below TP PP only, as ZeRO 3; the other ranks write nothing
 *
 * In subset mode only ranks 0..comm_size-1 of a layout of DP x TP x PP ranks exist, with DP given
 * rather than derived, so they write what those ranks of the full job would write. */
#ifndef MLPS_CHECKPOINT_MODEL_H
#define MLPS_CHECKPOINT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum mlps_checkpoint_mode {
    MLPS_CHECKPOINT_MODE_DEFAULT, /* DP = processes / (TP PP) */
    MLPS_CHECKPOINT_MODE_SUBSET,  /* DP given; the processes are the first ranks of that job */
} mlps_checkpoint_mode;

/* The model and its parallelism, as the workload keys give them (model.*). */
typedef struct mlps_checkpoint_model_params {
    uint64_t num_layers;          /* L, model.num_layers */
    uint64_t hidden_size;         /* h */
    uint64_t ffn_hidden_size;     /* f */
    uint64_t num_attention_heads;
    uint64_t num_kv_heads;
    uint64_t vocab_size;          /* V */
    uint64_t tensor;              /* TP, model.parallelism.tensor */
    uint64_t pipeline;            /* PP */
    uint64_t data;                /* DP when set (model.parallelism.data > 0), else 0 */
    unsigned zero_stage;          /* 0..3 */
    unsigned model_dtype_bytes;   /* 2 for fp16 */
    unsigned optimizer_dtype_bytes; /* 4 for fp32 */
    mlps_checkpoint_mode mode;
} mlps_checkpoint_model_params;

/* Bytes of a model.model_datatype / model.optimizer_datatype name: int8 and uint8 1, fp16 and
 * bf16 2, fp32 4, fp64 8; 0 for anything else. */
unsigned mlps_checkpoint_datatype_bytes(const char *name);
/* "int8, uint8, fp16, bf16, fp32, fp64", for messages. */
const char *mlps_checkpoint_datatype_names(void);

const char *mlps_checkpoint_mode_name(mlps_checkpoint_mode mode);

/* Checks params for a run of comm_size processes: ranges (naming the model.* key), then the
 * reference's own checks with its exact messages (spec 20 §2.2):
 *   "Expected model.num_layers {L} should be larger than model.parallelism.pipeline {PP}."
 *   "ZeRO stage 3 is not compatible with pipeline parallelism."
 *   "workload.parallelism.data should not be set in default Checkpoint Mode; it will be
 *    determined internally."
 *   "To perform subset Checkpointing, please set a target data parallelism:
 *    workload.parallelism.data."
 *   "Comm size: {n} is larger than 3D parallelism size: {DP TP PP}"
 *   "Number of processes {n} is not a multiple of model parallelism size: {TP PP}"
 * and, last, a checkpoint too large to count in 64 bits. All are usage errors (-EINVAL). */
int mlps_checkpoint_params_check(const mlps_checkpoint_model_params *params, uint64_t comm_size,
                                 mlps_error *err);

/* ---- the layout: derived values shared by every rank ---- */

typedef struct mlps_checkpoint_layout {
    mlps_checkpoint_model_params params;
    uint64_t comm_size;          /* processes, i.e. ranks that exist */
    uint64_t model_parallel;     /* TP PP */
    uint64_t data_parallel;      /* DP */
    uint64_t sharding;           /* S */
    uint64_t head_size;          /* h // heads */
    uint64_t kv_dim;             /* head_size x kv_heads */
    uint64_t parameters;         /* P */
    uint64_t optimizer_elements; /* n per rank */
    /* elements one rank holds of one layer */
    uint64_t embedding_elements;   /* layers 0 and L+1 */
    uint64_t transformer_elements; /* layers 1..L */
    uint64_t final_norm_elements;  /* layer L+2 */
} mlps_checkpoint_layout;

/* Checks params (mlps_checkpoint_params_check) and derives the layout. */
int mlps_checkpoint_layout_init(mlps_checkpoint_layout *layout,
                                const mlps_checkpoint_model_params *params, uint64_t comm_size,
                                mlps_error *err);

/* P alone, for a shape that need not be runnable (no parallelism checks); 0 when it does not fit
 * in 64 bits or the shape has a zero dimension. */
uint64_t mlps_checkpoint_parameter_count(const mlps_checkpoint_model_params *params);

/* Elements one rank holds of layer index (0..L+2); 0 outside that range. */
uint64_t mlps_checkpoint_layer_elements(const mlps_checkpoint_layout *layout, uint64_t layer);

/* The layers of pipeline stage pp, inclusive: stage 0 starts at 0 (the embedding) and the last
 * stage ends at L+2 (lm_head and final norm); the L transformer layers are split as evenly as
 * possible, the first L % PP stages taking one more. */
void mlps_checkpoint_stage_layers(const mlps_checkpoint_layout *layout, uint64_t pp,
                                  uint64_t *first, uint64_t *last);

/* ---- one rank ---- */

typedef struct mlps_checkpoint_rank {
    uint64_t rank, tp, pp, dp, mp;
    uint64_t first_layer, last_layer; /* the layers of its pipeline stage, inclusive */
    bool writes;            /* writes anything (under ZeRO 0 only ranks below TP PP do) */
    bool holds_model;       /* holds model state: the reference counts it in checkpoint_size */
    bool writes_model;      /* writes model files (ZeRO 1/2: DP rank 0 only) */
    bool model_by_layer;    /* its model files are one per layer (ZeRO 1/2 with PP > 1) */
    uint64_t model_bytes;   /* model bytes written */
    uint64_t held_model_bytes; /* model bytes held; above model_bytes only for ZeRO 2, DP rank > 0 */
    uint64_t optimizer_bytes;
    uint64_t bytes;         /* model_bytes + optimizer_bytes: what it writes per checkpoint */
    uint64_t model_file_count;
    uint64_t file_count;    /* model files, then one optimizer file when it has optimizer bytes */
} mlps_checkpoint_rank;

/* Describes rank (below comm_size); -ERANGE otherwise. */
int mlps_checkpoint_rank_describe(const mlps_checkpoint_layout *layout, uint64_t rank,
                                  mlps_checkpoint_rank *out);

/* ---- the files of one rank ---- */

/* Longest file name, with room for 20-digit ranks. */
#define MLPS_CHECKPOINT_FILE_NAME_MAX 96

typedef enum mlps_checkpoint_file_kind {
    MLPS_CHECKPOINT_FILE_LAYER,     /* layer_{i}-model_{mp}_model_states.pt */
    MLPS_CHECKPOINT_FILE_MODEL,     /* model_{mp}_model_states.pt or zero_pp_rank_..._model_states.pt */
    MLPS_CHECKPOINT_FILE_OPTIMIZER, /* zero_pp_rank_{dp}_mp_rank_{mp}_optim_states.pt */
} mlps_checkpoint_file_kind;

typedef struct mlps_checkpoint_file {
    char name[MLPS_CHECKPOINT_FILE_NAME_MAX]; /* inside the step folder */
    uint64_t bytes;
    mlps_checkpoint_file_kind kind;
    uint64_t layer; /* LAYER files: the layer index; else 0 */
} mlps_checkpoint_file;

/* How many files rank writes per checkpoint (0 for a rank that writes nothing or does not exist). */
uint64_t mlps_checkpoint_rank_file_count(const mlps_checkpoint_layout *layout, uint64_t rank);

/* The index-th file rank writes (write order, from 0); -ERANGE past the last or for a rank that
 * does not exist. */
int mlps_checkpoint_rank_file(const mlps_checkpoint_layout *layout, uint64_t rank, uint64_t index,
                              mlps_checkpoint_file *out);

/* Calls visit for each file of rank in write order; stops at and returns the first non-zero
 * result, else 0. */
typedef int (*mlps_checkpoint_file_visitor)(const mlps_checkpoint_file *file, void *context);
int mlps_checkpoint_rank_files(const mlps_checkpoint_layout *layout, uint64_t rank,
                               mlps_checkpoint_file_visitor visit, void *context);

/* The folder of checkpoint step (1, 2, ...): "global_epoch1_step{step}". Returns 0 or
 * -ENAMETOOLONG. */
int mlps_checkpoint_step_name(uint64_t step, char *out, size_t size);

/* ---- all ranks ---- */

typedef struct mlps_checkpoint_totals {
    uint64_t model_bytes;     /* written, summed over ranks */
    uint64_t optimizer_bytes;
    uint64_t bytes;           /* written per checkpoint */
    uint64_t reported_bytes;  /* the reference's checkpoint_size: held model + optimizer bytes */
    uint64_t files;           /* per checkpoint */
    uint64_t writing_ranks;
    uint64_t max_rank_bytes;  /* the most any one rank writes */
} mlps_checkpoint_totals;

void mlps_checkpoint_totals_compute(const mlps_checkpoint_layout *layout,
                                    mlps_checkpoint_totals *out);

/* The reference's checkpoint_size_GB: reported_bytes / 2^30 (its "GB" is GiB). */
double mlps_checkpoint_size_gib(const mlps_checkpoint_totals *totals);

#endif
