/* Tests of the checkpoint model (spec 20 §1.2-§1.4 and acceptance checks §6.1-6.6): parameter
 * counts, every rank's files and exact byte counts for the four llama3 workloads at their CLOSED
 * process counts and in subset mode, other rank counts and ZeRO stages, the pipeline split, and
 * the reference's parallelism checks with their exact messages. The shapes are written out here
 * rather than read from the shipped configs, so these tests check the arithmetic alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "checkpoint/model.h"

/* ---- the four workloads (spec 20 §1.1) ---- */

static mlps_checkpoint_model_params llama(uint64_t layers, uint64_t hidden, uint64_t ffn,
                                          uint64_t heads, uint64_t kv_heads, uint64_t tp,
                                          uint64_t pp, unsigned zero)
{
    return (mlps_checkpoint_model_params){
        .num_layers = layers, .hidden_size = hidden, .ffn_hidden_size = ffn,
        .num_attention_heads = heads, .num_kv_heads = kv_heads, .vocab_size = 128256,
        .tensor = tp, .pipeline = pp, .zero_stage = zero, .model_dtype_bytes = 2,
        .optimizer_dtype_bytes = 4, .mode = MLPS_CHECKPOINT_MODE_DEFAULT};
}

static mlps_checkpoint_model_params llama_8b(void) { return llama(32, 4096, 14336, 32, 8, 1, 1, 3); }
static mlps_checkpoint_model_params llama_70b(void) { return llama(80, 8192, 28672, 128, 8, 8, 1, 3); }
static mlps_checkpoint_model_params llama_405b(void)
{
    return llama(126, 16384, 53248, 128, 8, 8, 32, 1);
}
static mlps_checkpoint_model_params llama_1t(void) { return llama(128, 25872, 98304, 192, 32, 8, 64, 1); }

static mlps_checkpoint_model_params subset(mlps_checkpoint_model_params p, uint64_t data)
{
    p.mode = MLPS_CHECKPOINT_MODE_SUBSET;
    p.data = data;
    return p;
}

static mlps_checkpoint_layout layout_of(mlps_checkpoint_model_params params, uint64_t procs)
{
    mlps_checkpoint_layout layout;
    mlps_error err = {0};
    if (mlps_checkpoint_layout_init(&layout, &params, procs, &err) != 0)
        fail_msg("layout of %llu processes: %s", (unsigned long long)procs, err.message);
    return layout;
}

static mlps_checkpoint_totals totals_of(mlps_checkpoint_model_params params, uint64_t procs)
{
    mlps_checkpoint_layout layout = layout_of(params, procs);
    mlps_checkpoint_totals totals;
    mlps_checkpoint_totals_compute(&layout, &totals);
    return totals;
}

static void assert_gib(double actual, double expected, double tolerance)
{
    if (fabs(actual - expected) > tolerance)
        fail_msg("%.6f GiB, expected %.6f", actual, expected);
}

static void assert_file(const mlps_checkpoint_layout *layout, uint64_t rank, uint64_t index,
                        const char *name, uint64_t bytes)
{
    mlps_checkpoint_file file;
    assert_int_equal(mlps_checkpoint_rank_file(layout, rank, index, &file), 0);
    assert_string_equal(file.name, name);
    assert_int_equal(file.bytes, bytes);
}

/* ---- parameter counts (§1.2, §6.6) ---- */

static void test_parameter_counts(void **state)
{
    (void)state;
    mlps_checkpoint_model_params p8 = llama_8b(), p70 = llama_70b(), p405 = llama_405b(),
                                 p1t = llama_1t();
    assert_int_equal(mlps_checkpoint_parameter_count(&p8), 8030261248ull);
    assert_int_equal(mlps_checkpoint_parameter_count(&p70), 69882617856ull);
    assert_int_equal(mlps_checkpoint_parameter_count(&p405), 405853388800ull);
    assert_int_equal(mlps_checkpoint_parameter_count(&p1t), 1183035102480ull);

    mlps_checkpoint_layout layout = layout_of(p1t, 1024);
    assert_int_equal(layout.head_size, 134);
    assert_int_equal(layout.kv_dim, 4288);
    assert_int_equal(layout.parameters, 1183035102480ull);
}

/* ---- the CLOSED process counts (§1.3, §1.4, §6.1-6.4) ---- */

static void test_8b_on_8_ranks(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_8b(), 8);
    assert_int_equal(layout.data_parallel, 8);
    assert_int_equal(layout.sharding, 8);
    for (uint64_t rank = 0; rank < 8; rank++) {
        char model[96], optim[96];
        snprintf(model, sizeof model, "zero_pp_rank_%llu_mp_rank_0_model_states.pt",
                 (unsigned long long)rank);
        snprintf(optim, sizeof optim, "zero_pp_rank_%llu_mp_rank_0_optim_states.pt",
                 (unsigned long long)rank);
        assert_int_equal(mlps_checkpoint_rank_file_count(&layout, rank), 2);
        assert_file(&layout, rank, 0, model, 2007565312ull);
        assert_file(&layout, rank, 1, optim, 12045637632ull);
    }
    mlps_checkpoint_totals t;
    mlps_checkpoint_totals_compute(&layout, &t);
    assert_int_equal(t.files, 16);
    assert_int_equal(t.bytes, 112425623552ull);
    assert_int_equal(t.reported_bytes, t.bytes);
    assert_int_equal(t.writing_ranks, 8);
    assert_int_equal(t.max_rank_bytes, 2007565312ull + 12045637632ull);
    assert_gib(mlps_checkpoint_size_gib(&t), 104.7045, 5e-5);
    assert_gib((double)t.model_bytes / (1ull << 30), 14.9575, 5e-5);
    assert_gib((double)t.optimizer_bytes / (1ull << 30), 89.7470, 5e-5);
}

static void test_70b_on_64_ranks(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_70b(), 64);
    assert_file(&layout, 0, 0, "zero_pp_rank_0_mp_rank_0_model_states.pt", 2184120320ull);
    assert_file(&layout, 63, 0, "zero_pp_rank_7_mp_rank_7_model_states.pt", 2184120320ull);
    assert_file(&layout, 63, 1, "zero_pp_rank_7_mp_rank_7_optim_states.pt", 13103482368ull);
    mlps_checkpoint_totals t;
    mlps_checkpoint_totals_compute(&layout, &t);
    assert_int_equal(t.files, 128);
    assert_int_equal(t.model_bytes, 64 * 2184120320ull);
    assert_int_equal(t.optimizer_bytes, 64 * 13103482368ull);
    assert_int_equal(t.bytes, 978406572032ull);
    assert_gib(mlps_checkpoint_size_gib(&t), 911.2121, 5e-5);
}

static void test_405b_rank_0_writes_stage_0_layers_then_optimizer(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_405b(), 512);
    assert_int_equal(mlps_checkpoint_rank_file_count(&layout, 0), 6);
    assert_file(&layout, 0, 0, "layer_0-model_0_model_states.pt", 525336576ull);
    for (uint64_t i = 1; i <= 4; i++) {
        char name[96];
        snprintf(name, sizeof name, "layer_%llu-model_0_model_states.pt", (unsigned long long)i);
        assert_file(&layout, 0, i, name, 796983296ull);
    }
    assert_file(&layout, 0, 5, "zero_pp_rank_0_mp_rank_0_optim_states.pt", 9513171840ull);

    mlps_checkpoint_rank r;
    assert_int_equal(mlps_checkpoint_rank_describe(&layout, 8, &r), 0);
    assert_int_equal(r.pp, 1);
    assert_int_equal(r.bytes, 4 * 796983296ull + 9513171840ull); /* about 11.83 GiB */
    assert_gib((double)r.bytes / (1ull << 30), 11.83, 0.005);
}

static void test_405b_last_stage_holds_lm_head_and_final_norm(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_405b(), 512);
    /* rank 255: tp 7 of stage 31, DP rank 0 */
    assert_int_equal(mlps_checkpoint_rank_file_count(&layout, 255), 6);
    assert_file(&layout, 255, 0, "layer_124-model_255_model_states.pt", 796983296ull);
    assert_file(&layout, 255, 3, "layer_127-model_255_model_states.pt", 525336576ull);
    assert_file(&layout, 255, 4, "layer_128-model_255_model_states.pt", 32768ull);
    assert_file(&layout, 255, 5, "zero_pp_rank_0_mp_rank_255_optim_states.pt", 9513171840ull);
}

static void test_405b_second_replica_writes_only_optimizer(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_405b(), 512);
    for (uint64_t rank = 256; rank < 512; rank++) {
        mlps_checkpoint_rank r;
        assert_int_equal(mlps_checkpoint_rank_describe(&layout, rank, &r), 0);
        assert_int_equal(r.dp, 1);
        assert_false(r.holds_model);
        assert_int_equal(r.file_count, 1);
        char name[96];
        snprintf(name, sizeof name, "zero_pp_rank_1_mp_rank_%llu_optim_states.pt",
                 (unsigned long long)(rank - 256));
        assert_file(&layout, rank, 0, name, 9513171840ull);
    }
}

/* Counts the files of one size over all ranks, through the visitor. */
typedef struct tally {
    uint64_t files, layer_files, optimizer_files;
    uint64_t of_size;
    uint64_t size_count;
} tally;

static int count_file(const mlps_checkpoint_file *file, void *context)
{
    tally *t = context;
    t->files++;
    t->layer_files += file->kind == MLPS_CHECKPOINT_FILE_LAYER;
    t->optimizer_files += file->kind == MLPS_CHECKPOINT_FILE_OPTIMIZER;
    t->size_count += file->bytes == t->of_size;
    return 0;
}

static tally tally_all(const mlps_checkpoint_layout *layout, uint64_t of_size)
{
    tally t = {.of_size = of_size};
    for (uint64_t rank = 0; rank < layout->comm_size; rank++)
        assert_int_equal(mlps_checkpoint_rank_files(layout, rank, count_file, &t), 0);
    return t;
}

static void test_405b_on_512_ranks(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_405b(), 512);
    tally transformer = tally_all(&layout, 796983296ull);
    assert_int_equal(transformer.files, 1544);
    assert_int_equal(transformer.layer_files, 1032);
    assert_int_equal(transformer.optimizer_files, 512);
    assert_int_equal(transformer.size_count, 1008);
    assert_int_equal(tally_all(&layout, 525336576ull).size_count, 16);
    assert_int_equal(tally_all(&layout, 32768ull).size_count, 8);

    mlps_checkpoint_totals t;
    mlps_checkpoint_totals_compute(&layout, &t);
    assert_int_equal(t.files, 1544);
    assert_int_equal(t.bytes, 5682508791808ull);
    assert_gib(mlps_checkpoint_size_gib(&t), 5292.2487, 5e-5);
    assert_gib((double)t.model_bytes / (1ull << 30), 756.0149, 5e-5);
    assert_gib((double)t.optimizer_bytes / (1ull << 30), 4536.2338, 5e-5);
}

static void test_1t_on_1024_ranks(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_1t(), 1024);
    assert_file(&layout, 0, 0, "layer_0-model_0_model_states.pt", 829559808ull);
    assert_file(&layout, 0, 1, "layer_1-model_0_model_states.pt", 2297744064ull);
    assert_file(&layout, 0, 3, "zero_pp_rank_0_mp_rank_0_optim_states.pt", 13865244924ull);
    /* rank 511: tp 7 of the last stage (63), layers 127..130 */
    assert_file(&layout, 511, 1, "layer_128-model_511_model_states.pt", 2297744064ull);
    assert_file(&layout, 511, 2, "layer_129-model_511_model_states.pt", 829559808ull);
    assert_file(&layout, 511, 3, "layer_130-model_511_model_states.pt", 51744ull);
    assert_file(&layout, 1023, 0, "zero_pp_rank_1_mp_rank_511_optim_states.pt", 13865244924ull);

    assert_int_equal(tally_all(&layout, 2297744064ull).size_count, 1024);
    assert_int_equal(tally_all(&layout, 829559808ull).size_count, 16);
    assert_int_equal(tally_all(&layout, 51744ull).size_count, 8);
    assert_int_equal(tally_all(&layout, 13865244924ull).size_count, 1024);

    mlps_checkpoint_totals t;
    mlps_checkpoint_totals_compute(&layout, &t);
    assert_int_equal(t.files, 2072);
    assert_int_equal(t.bytes, 16564174094592ull);
    assert_gib(mlps_checkpoint_size_gib(&t), 15426.5893, 5e-5); /* not 18 TB */
    assert_gib((double)t.model_bytes / (1ull << 30), 2203.6613, 5e-5);
    assert_gib((double)t.optimizer_bytes / (1ull << 30), 13222.9280, 5e-5);
}

/* ---- subset mode and other rank counts (§1.3, §1.4, §2.3, §6.5) ---- */

static void test_subset_of_8_processes(void **state)
{
    (void)state;
    mlps_checkpoint_totals t70 = totals_of(subset(llama_70b(), 8), 8);
    assert_int_equal(t70.files, 16);
    assert_gib(mlps_checkpoint_size_gib(&t70), 113.9015, 5e-5);
    mlps_checkpoint_totals t405 = totals_of(subset(llama_405b(), 2), 8);
    assert_int_equal(t405.files, 48);
    assert_gib(mlps_checkpoint_size_gib(&t405), 98.5447, 5e-5);
    mlps_checkpoint_totals t1t = totals_of(subset(llama_1t(), 2), 8);
    assert_int_equal(t1t.files, 32);
    assert_gib(mlps_checkpoint_size_gib(&t1t), 143.7239, 5e-5);

    /* the 8 ranks are TP ranks 0-7 of stage 0 of DP rank 0, with shards of the full DP */
    mlps_checkpoint_layout layout = layout_of(subset(llama_405b(), 2), 8);
    assert_file(&layout, 7, 0, "layer_0-model_7_model_states.pt", 525336576ull);
    assert_file(&layout, 7, 5, "zero_pp_rank_0_mp_rank_7_optim_states.pt", 9513171840ull);
}

static void test_8b_on_4_ranks(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_8b(), 4);
    assert_file(&layout, 3, 0, "zero_pp_rank_3_mp_rank_0_model_states.pt", 4015130624ull);
    assert_file(&layout, 3, 1, "zero_pp_rank_3_mp_rank_0_optim_states.pt", 24091029504ull);
    mlps_checkpoint_totals t;
    mlps_checkpoint_totals_compute(&layout, &t);
    assert_int_equal(t.files, 8);
    assert_gib(mlps_checkpoint_size_gib(&t), 104.7036, 5e-5);
}

static void test_8b_with_24_layers(void **state)
{
    (void)state;
    mlps_checkpoint_model_params p = llama_8b();
    p.num_layers = 24;
    mlps_checkpoint_totals t = totals_of(p, 8);
    assert_gib(mlps_checkpoint_size_gib(&t), 81.95, 0.005);
}

/* ---- other ZeRO stages (§1.4) ---- */

static void test_zero_1_without_pipeline_writes_one_model_file(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama(32, 4096, 14336, 32, 8, 2, 1, 1), 4);
    assert_int_equal(mlps_checkpoint_rank_file_count(&layout, 1), 2);
    mlps_checkpoint_file file;
    assert_int_equal(mlps_checkpoint_rank_file(&layout, 1, 0, &file), 0);
    assert_string_equal(file.name, "model_1_model_states.pt");
    assert_int_equal(file.kind, MLPS_CHECKPOINT_FILE_MODEL);
    mlps_checkpoint_rank r;
    assert_int_equal(mlps_checkpoint_rank_describe(&layout, 1, &r), 0);
    assert_int_equal(file.bytes, r.model_bytes);
    /* whole layers 0..L+2 of one TP shard: all of them on the single stage */
    uint64_t elements = 2 * layout.embedding_elements + 32 * layout.transformer_elements +
                        layout.final_norm_elements;
    assert_int_equal(file.bytes, 2 * elements);
    /* DP rank 1 writes the optimizer only */
    assert_int_equal(mlps_checkpoint_rank_file_count(&layout, 3), 1);
    assert_file(&layout, 3, 0, "zero_pp_rank_1_mp_rank_1_optim_states.pt", r.optimizer_bytes);
}

static void test_zero_2_holds_model_everywhere_but_writes_it_once(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama(32, 4096, 14336, 32, 8, 1, 1, 2), 4);
    mlps_checkpoint_rank r0, r1;
    assert_int_equal(mlps_checkpoint_rank_describe(&layout, 0, &r0), 0);
    assert_int_equal(mlps_checkpoint_rank_describe(&layout, 1, &r1), 0);
    assert_true(r1.holds_model);
    assert_false(r1.writes_model);
    assert_int_equal(r1.model_bytes, 0);
    assert_int_equal(r1.held_model_bytes, r0.model_bytes);
    mlps_checkpoint_totals t;
    mlps_checkpoint_totals_compute(&layout, &t);
    assert_int_equal(t.files, 5);
    assert_int_equal(t.reported_bytes, t.bytes + 3 * r0.model_bytes);
}

static void test_zero_0_writes_one_copy_from_the_first_ranks(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama(32, 4096, 14336, 32, 8, 2, 1, 0), 6);
    assert_int_equal(layout.optimizer_elements, 8030261248ull / 2);
    assert_file(&layout, 1, 0, "zero_pp_rank_0_mp_rank_1_model_states.pt",
                2 * (2 * layout.embedding_elements + 32 * layout.transformer_elements +
                     layout.final_norm_elements));
    assert_file(&layout, 1, 1, "zero_pp_rank_0_mp_rank_1_optim_states.pt",
                4 * (3 * (8030261248ull / 2) + 15 * 4096));
    for (uint64_t rank = 2; rank < 6; rank++)
        assert_int_equal(mlps_checkpoint_rank_file_count(&layout, rank), 0);
    mlps_checkpoint_totals t;
    mlps_checkpoint_totals_compute(&layout, &t);
    assert_int_equal(t.writing_ranks, 2);
    assert_int_equal(t.files, 4);
}

static void test_datatypes_scale_the_bytes(void **state)
{
    (void)state;
    assert_int_equal(mlps_checkpoint_datatype_bytes("int8"), 1);
    assert_int_equal(mlps_checkpoint_datatype_bytes("uint8"), 1);
    assert_int_equal(mlps_checkpoint_datatype_bytes("bf16"), 2);
    assert_int_equal(mlps_checkpoint_datatype_bytes("fp16"), 2);
    assert_int_equal(mlps_checkpoint_datatype_bytes("fp32"), 4);
    assert_int_equal(mlps_checkpoint_datatype_bytes("fp64"), 8);
    assert_int_equal(mlps_checkpoint_datatype_bytes("fp8"), 0);
    assert_int_equal(mlps_checkpoint_datatype_bytes(NULL), 0);

    mlps_checkpoint_model_params p = llama_8b();
    p.model_dtype_bytes = 4;
    p.optimizer_dtype_bytes = 8;
    mlps_checkpoint_layout layout = layout_of(p, 8);
    assert_file(&layout, 0, 0, "zero_pp_rank_0_mp_rank_0_model_states.pt", 2 * 2007565312ull);
    assert_file(&layout, 0, 1, "zero_pp_rank_0_mp_rank_0_optim_states.pt", 2 * 12045637632ull);
}

/* ---- the pipeline split and the file API ---- */

static void test_pipeline_stages_split_layers(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_405b(), 512);
    uint64_t first, last;
    mlps_checkpoint_stage_layers(&layout, 0, &first, &last);
    assert_int_equal(first, 0);
    assert_int_equal(last, 4);
    mlps_checkpoint_stage_layers(&layout, 29, &first, &last);
    assert_int_equal(first, 117);
    assert_int_equal(last, 120);
    mlps_checkpoint_stage_layers(&layout, 30, &first, &last);
    assert_int_equal(first, 121);
    assert_int_equal(last, 123);
    mlps_checkpoint_stage_layers(&layout, 31, &first, &last);
    assert_int_equal(first, 124);
    assert_int_equal(last, 128);
    /* every transformer layer is owned by exactly one stage */
    uint64_t next = 1;
    for (uint64_t pp = 0; pp < 32; pp++) {
        mlps_checkpoint_stage_layers(&layout, pp, &first, &last);
        assert_int_equal(pp == 0 ? 1 : first, next);
        next = (pp == 31 ? 126 : last) + 1;
    }
    assert_int_equal(mlps_checkpoint_layer_elements(&layout, 0), 525336576ull / 2);
    assert_int_equal(mlps_checkpoint_layer_elements(&layout, 127), 525336576ull / 2);
    assert_int_equal(mlps_checkpoint_layer_elements(&layout, 128), 16384);
    assert_int_equal(mlps_checkpoint_layer_elements(&layout, 129), 0);
}

static void test_pipeline_of_one_stage_owns_every_layer(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_8b(), 8);
    uint64_t first, last;
    mlps_checkpoint_stage_layers(&layout, 0, &first, &last);
    assert_int_equal(first, 0);
    assert_int_equal(last, 34);
}

static void test_rank_coordinates(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_1t(), 1024);
    mlps_checkpoint_rank r;
    assert_int_equal(mlps_checkpoint_rank_describe(&layout, 700, &r), 0);
    assert_int_equal(r.tp, 700 % 8);
    assert_int_equal(r.pp, (700 / 8) % 64);
    assert_int_equal(r.dp, 1);
    assert_int_equal(r.mp, 700 % 512);
}

static int stop_at_second(const mlps_checkpoint_file *file, void *context)
{
    (void)file;
    int *seen = context;
    return ++*seen == 2 ? 7 : 0;
}

static void test_file_api_bounds(void **state)
{
    (void)state;
    mlps_checkpoint_layout layout = layout_of(llama_8b(), 8);
    mlps_checkpoint_file file;
    assert_int_equal(mlps_checkpoint_rank_file(&layout, 0, 2, &file), -ERANGE);
    assert_int_equal(mlps_checkpoint_rank_file(&layout, 8, 0, &file), -ERANGE);
    assert_int_equal(mlps_checkpoint_rank_file_count(&layout, 8), 0);
    mlps_checkpoint_rank r;
    assert_int_equal(mlps_checkpoint_rank_describe(&layout, 8, &r), -ERANGE);
    int seen = 0;
    assert_int_equal(mlps_checkpoint_rank_files(&layout, 0, stop_at_second, &seen), 7);
    assert_int_equal(seen, 2);

    char name[32];
    assert_int_equal(mlps_checkpoint_step_name(3, name, sizeof name), 0);
    assert_string_equal(name, "global_epoch1_step3");
    assert_int_equal(mlps_checkpoint_step_name(10, name, 8), -ENAMETOOLONG);
}

/* ---- the reference's checks (§2.2) ---- */

static void expect_refused(mlps_checkpoint_model_params params, uint64_t procs,
                           const char *message)
{
    mlps_checkpoint_layout layout;
    mlps_error err = {0};
    assert_int_equal(mlps_checkpoint_layout_init(&layout, &params, procs, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message, message);
}

static void test_reference_checks_and_messages(void **state)
{
    (void)state;
    mlps_checkpoint_model_params few_layers = llama_405b();
    few_layers.num_layers = 16;
    expect_refused(few_layers, 512,
                   "Expected model.num_layers 16 should be larger than "
                   "model.parallelism.pipeline 32.");
    mlps_checkpoint_model_params zero3 = llama_405b();
    zero3.zero_stage = 3;
    expect_refused(zero3, 512, "ZeRO stage 3 is not compatible with pipeline parallelism.");
    mlps_checkpoint_model_params data_set = llama_70b();
    data_set.data = 8;
    expect_refused(data_set, 64,
                   "workload.parallelism.data should not be set in default Checkpoint Mode; it "
                   "will be determined internally.");
    expect_refused(subset(llama_70b(), 0), 8,
                   "To perform subset Checkpointing, please set a target data parallelism: "
                   "workload.parallelism.data.");
    expect_refused(subset(llama_8b(), 1), 4,
                   "Comm size: 4 is larger than 3D parallelism size: 1");
    expect_refused(subset(llama_70b(), 8), 65,
                   "Comm size: 65 is larger than 3D parallelism size: 64");
    expect_refused(llama_70b(), 12,
                   "Number of processes 12 is not a multiple of model parallelism size: 8");
    expect_refused(llama_405b(), 8,
                   "Number of processes 8 is not a multiple of model parallelism size: 256");

    /* what the checks allow: a subset of exactly the full job, and L == PP */
    mlps_checkpoint_layout layout = layout_of(subset(llama_70b(), 8), 64);
    assert_int_equal(layout.data_parallel, 8);
    mlps_checkpoint_model_params even = llama_405b();
    even.num_layers = 32;
    layout = layout_of(even, 256);
    assert_int_equal(mlps_checkpoint_rank_file_count(&layout, 0), 3); /* layers 0, 1 + optim */
}

static void test_ranges_name_their_keys(void **state)
{
    (void)state;
    mlps_checkpoint_model_params p = llama_8b();
    p.hidden_size = 0;
    expect_refused(p, 8, "config key 'model.transformer.hidden_size' must be at least 1, got 0");
    p = llama_8b();
    p.zero_stage = 4;
    expect_refused(p, 8, "config key 'model.parallelism.zero_stage' must be 0, 1, 2 or 3, got 4");
    p = llama_8b();
    p.model_dtype_bytes = 3;
    mlps_checkpoint_layout layout;
    mlps_error err = {0};
    assert_int_equal(mlps_checkpoint_layout_init(&layout, &p, 8, &err), -EINVAL);
    assert_non_null(strstr(err.message, "model.model_datatype"));
    assert_non_null(strstr(err.message, "fp16"));
    expect_refused(llama_8b(), 0, "the number of processes must be at least 1, got 0");
}

static void test_too_large_to_count_is_refused(void **state)
{
    (void)state;
    mlps_checkpoint_model_params p = llama_8b();
    p.hidden_size = 1ull << 31;
    p.ffn_hidden_size = 1ull << 31;
    mlps_checkpoint_layout layout;
    mlps_error err = {0};
    assert_int_equal(mlps_checkpoint_layout_init(&layout, &p, 8, &err), -EINVAL);
    assert_non_null(strstr(err.message, "too large"));
    assert_int_equal(mlps_checkpoint_parameter_count(&p), 0);
    /* a model that fits, but not on a million million ranks */
    mlps_checkpoint_model_params fits = llama_8b();
    assert_int_equal(mlps_checkpoint_layout_init(&layout, &fits, 1000000000000ull, &err), -EINVAL);
    assert_non_null(strstr(err.message, "too large"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parameter_counts),
        cmocka_unit_test(test_8b_on_8_ranks),
        cmocka_unit_test(test_70b_on_64_ranks),
        cmocka_unit_test(test_405b_rank_0_writes_stage_0_layers_then_optimizer),
        cmocka_unit_test(test_405b_last_stage_holds_lm_head_and_final_norm),
        cmocka_unit_test(test_405b_second_replica_writes_only_optimizer),
        cmocka_unit_test(test_405b_on_512_ranks),
        cmocka_unit_test(test_1t_on_1024_ranks),
        cmocka_unit_test(test_subset_of_8_processes),
        cmocka_unit_test(test_8b_on_4_ranks),
        cmocka_unit_test(test_8b_with_24_layers),
        cmocka_unit_test(test_zero_1_without_pipeline_writes_one_model_file),
        cmocka_unit_test(test_zero_2_holds_model_everywhere_but_writes_it_once),
        cmocka_unit_test(test_zero_0_writes_one_copy_from_the_first_ranks),
        cmocka_unit_test(test_datatypes_scale_the_bytes),
        cmocka_unit_test(test_pipeline_stages_split_layers),
        cmocka_unit_test(test_pipeline_of_one_stage_owns_every_layer),
        cmocka_unit_test(test_rank_coordinates),
        cmocka_unit_test(test_file_api_bounds),
        cmocka_unit_test(test_reference_checks_and_messages),
        cmocka_unit_test(test_ranges_name_their_keys),
        cmocka_unit_test(test_too_large_to_count_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
