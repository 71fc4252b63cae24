/* Tests of steps per epoch, rank shares and the epoch order: the spec's step counts, DLIO's
 * unshuffled order, every sample read exactly once per epoch across ranks, shuffles that change
 * with the epoch, runs of consecutive samples, and O(1) lookups in billion-sample datasets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "training/plan.h"

static mlps_plan make_plan(uint64_t files, uint64_t samples_per_file, uint64_t batch,
                           uint32_t ranks)
{
    mlps_order_params params = {.num_files = files, .samples_per_file = samples_per_file,
                                .batch_size = batch, .ranks = ranks, .seed = 123,
                                .seed_change_epoch = true, .shuffle_size = 1024};
    mlps_plan plan;
    mlps_error err = {0};
    assert_int_equal(mlps_plan_init(&plan, &params, &err), 0);
    return plan;
}

static mlps_plan make_shuffled_plan(uint64_t files, uint64_t samples_per_file, uint64_t batch,
                                    uint32_t ranks, bool file_shuffle, bool sample_shuffle,
                                    uint64_t shuffle_size)
{
    mlps_order_params params = {.num_files = files, .samples_per_file = samples_per_file,
                                .batch_size = batch, .ranks = ranks, .seed = 123,
                                .seed_change_epoch = true, .file_shuffle = file_shuffle,
                                .sample_shuffle = sample_shuffle, .shuffle_size = shuffle_size};
    mlps_plan plan;
    assert_int_equal(mlps_plan_init(&plan, &params, NULL), 0);
    return plan;
}

static void steps_match_the_spec_examples(void **state)
{
    (void)state;
    assert_int_equal(make_plan(28000, 1, 7, 8).steps_per_epoch, 500);        /* unet3d */
    assert_int_equal(make_plan(1024, 1251, 400, 8).steps_per_epoch, 400);     /* resnet50 */
    assert_int_equal(make_plan(242954, 1, 1, 8).steps_per_epoch, 30369);      /* cosmoflow */
    assert_int_equal(make_plan(168, 1, 7, 1).steps_per_epoch, 24);            /* unet3d default */
    assert_int_equal(make_plan(1170301, 1, 24, 1).steps_per_epoch, 48762);    /* retinanet b200 */
    assert_int_equal(make_plan(1024, 4718592, 12288, 1).steps_per_epoch, 393216); /* dlrm */

    mlps_plan resnet = make_plan(1024, 1251, 400, 8);
    assert_int_equal(resnet.total_samples, 1281024);
    assert_int_equal(resnet.samples_per_rank, 160000);
    assert_int_equal(resnet.rank_span, 160128);

    uint64_t steps = 0;
    assert_int_equal(mlps_plan_steps_for(1281024, 400, 8, &steps, NULL), 0);
    assert_int_equal(steps, 400);
}

static void total_training_steps_limits_but_cannot_exceed_the_data(void **state)
{
    (void)state;
    mlps_order_params params = {.num_files = 168, .samples_per_file = 1, .batch_size = 7,
                                .ranks = 1, .total_training_steps = 10};
    mlps_plan plan;
    mlps_error err = {0};
    assert_int_equal(mlps_plan_init(&plan, &params, &err), 0);
    assert_int_equal(plan.steps_per_epoch, 10);
    assert_int_equal(plan.samples_per_rank, 70);

    params.total_training_steps = 25;
    assert_int_equal(mlps_plan_init(&plan, &params, &err), -22);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "train.total_training_steps 25 exceeds the 24 steps"));
}

static void impossible_plans_name_the_key(void **state)
{
    (void)state;
    mlps_plan plan;
    mlps_error err = {0};
    mlps_order_params params = {.num_files = 10, .samples_per_file = 1, .batch_size = 4,
                                .ranks = 4};
    assert_int_equal(mlps_plan_init(&plan, &params, &err), -22);
    assert_non_null(strstr(err.message, "10 samples is fewer than one step needs "
                                        "(reader.batch_size 4 x 4 accelerators)"));
    params = (mlps_order_params){.samples_per_file = 1, .batch_size = 1, .ranks = 1};
    assert_int_equal(mlps_plan_init(&plan, &params, &err), -22);
    assert_non_null(strstr(err.message, "dataset.num_files_train"));
    params = (mlps_order_params){.num_files = 1, .batch_size = 1, .ranks = 1};
    assert_int_equal(mlps_plan_init(&plan, &params, &err), -22);
    assert_non_null(strstr(err.message, "dataset.num_samples_per_file"));
    params = (mlps_order_params){.num_files = 1, .samples_per_file = 1, .ranks = 1};
    assert_int_equal(mlps_plan_init(&plan, &params, &err), -22);
    assert_non_null(strstr(err.message, "reader.batch_size"));
    params = (mlps_order_params){.num_files = UINT64_MAX / 2, .samples_per_file = 3,
                                 .batch_size = 1, .ranks = 1};
    assert_int_equal(mlps_plan_init(&plan, &params, &err), -75);
    assert_non_null(strstr(err.message, "overflows"));
}

/* DLIO's PyTorch order: rank r reads r*S, r*S+1, ... with S = ceil(T/N). */
static void unshuffled_order_is_contiguous_from_r_times_s(void **state)
{
    (void)state;
    mlps_plan plan = make_plan(100, 3, 5, 4); /* T 300, 15 steps, 75 per rank, S 75 */
    assert_int_equal(plan.samples_per_rank, 75);
    assert_int_equal(plan.rank_span, 75);
    for (uint32_t rank = 0; rank < 4; rank++) {
        for (uint64_t k = 0; k < plan.samples_per_rank; k++) {
            mlps_sample_ref ref = mlps_plan_sample(&plan, 1, rank, k);
            uint64_t global = rank * 75 + k;
            assert_int_equal(ref.file, global / 3);
            assert_int_equal(ref.sample, global % 3);
        }
    }
    mlps_sample_ref ref = mlps_plan_sample(&plan, 1, 2, 0);
    assert_int_equal(ref.file, 50);
    assert_int_equal(ref.sample, 0);
    ref = mlps_plan_sample(&plan, 1, 2, 4);
    assert_int_equal(ref.file, 51);
    assert_int_equal(ref.sample, 1);

    /* T = 103 over 4 ranks: S = 26, each rank reads the first 24 of its range. */
    mlps_plan uneven = make_plan(103, 1, 2, 4);
    assert_int_equal(uneven.rank_span, 26);
    assert_int_equal(uneven.samples_per_rank, 24);
    for (uint32_t rank = 0; rank < 4; rank++)
        assert_int_equal(mlps_plan_rank_start(&uneven, rank), rank * 26);
    assert_int_equal(mlps_plan_sample(&uneven, 3, 3, 23).file, 78 + 23);
}

/* T = 10, N = 4, batch 1: S = 3 but the last range [9, 10) cannot hold 2 samples; the last
 * slices move down just enough and stay disjoint. */
static void short_last_ranges_move_down_and_stay_disjoint(void **state)
{
    (void)state;
    mlps_plan plan = make_plan(10, 1, 1, 4);
    assert_int_equal(plan.samples_per_rank, 2);
    assert_int_equal(mlps_plan_rank_start(&plan, 0), 0);
    assert_int_equal(mlps_plan_rank_start(&plan, 1), 3);
    assert_int_equal(mlps_plan_rank_start(&plan, 2), 6);
    assert_int_equal(mlps_plan_rank_start(&plan, 3), 8);
}

/* Counts every read of every sample in one epoch over all ranks. */
static void count_reads(const mlps_plan *plan, uint64_t epoch, unsigned char *reads)
{
    memset(reads, 0, plan->total_samples);
    for (uint32_t rank = 0; rank < plan->params.ranks; rank++) {
        for (uint64_t k = 0; k < plan->samples_per_rank; k++) {
            mlps_sample_ref ref = mlps_plan_sample(plan, epoch, rank, k);
            assert_true(ref.file < plan->params.num_files);
            assert_true(ref.sample < plan->params.samples_per_file);
            reads[ref.file * plan->params.samples_per_file + ref.sample]++;
        }
    }
}

typedef struct shape {
    uint64_t files, samples_per_file, batch;
    uint32_t ranks;
} shape;

/* Shapes whose every sample fits in whole steps (steps x batch x N == T), and some that leave a
 * remainder (drop_last). */
static const shape exact_shapes[] = {
    {12, 1, 4, 3}, {10, 6, 3, 4}, {7, 8, 4, 2}, {35, 3, 7, 5}, {64, 16, 8, 8},
    {13, 1, 1, 13}, {1, 1, 1, 1}, {2, 1, 1, 2}, {1, 12, 2, 3}, {97, 2, 2, 1},
};
static const shape remainder_shapes[] = {
    {10, 1, 1, 4}, {103, 1, 2, 4}, {17, 5, 3, 2}, {31, 7, 4, 3}, {1000, 1, 7, 8},
};

static void check_every_shuffle_setting(const shape *s, bool exact)
{
    const uint64_t shuffle_sizes[] = {0, 2, 7, 1024};
    unsigned char *reads = malloc(s->files * s->samples_per_file);
    assert_non_null(reads);
    for (int file_shuffle = 0; file_shuffle <= 1; file_shuffle++) {
        for (int sample_shuffle = 0; sample_shuffle <= 1; sample_shuffle++) {
            for (size_t w = 0; w < sizeof shuffle_sizes / sizeof shuffle_sizes[0]; w++) {
                mlps_plan plan = make_shuffled_plan(s->files, s->samples_per_file, s->batch,
                                                    s->ranks, file_shuffle, sample_shuffle,
                                                    shuffle_sizes[w]);
                assert_int_equal(plan.steps_per_epoch * s->batch * s->ranks == plan.total_samples,
                                 exact);
                for (uint64_t epoch = 1; epoch <= 3; epoch++) {
                    count_reads(&plan, epoch, reads);
                    uint64_t read = 0;
                    for (uint64_t g = 0; g < plan.total_samples; g++) {
                        assert_true(reads[g] <= 1);
                        if (exact)
                            assert_int_equal(reads[g], 1);
                        read += reads[g];
                    }
                    assert_int_equal(read, plan.samples_per_rank * s->ranks);
                }
            }
        }
    }
    free(reads);
}

static void every_sample_is_read_exactly_once_per_epoch(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof exact_shapes / sizeof exact_shapes[0]; i++)
        check_every_shuffle_setting(&exact_shapes[i], true);
}

static void with_a_remainder_no_sample_is_read_twice(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof remainder_shapes / sizeof remainder_shapes[0]; i++)
        check_every_shuffle_setting(&remainder_shapes[i], false);
}

static bool same_order(const mlps_plan *plan, uint64_t epoch_a, uint64_t epoch_b, uint32_t rank)
{
    for (uint64_t k = 0; k < plan->samples_per_rank; k++) {
        mlps_sample_ref a = mlps_plan_sample(plan, epoch_a, rank, k);
        mlps_sample_ref b = mlps_plan_sample(plan, epoch_b, rank, k);
        if (a.file != b.file || a.sample != b.sample)
            return false;
    }
    return true;
}

static bool is_unshuffled(const mlps_plan *plan, uint64_t epoch, uint32_t rank)
{
    uint64_t start = mlps_plan_rank_start(plan, rank);
    for (uint64_t k = 0; k < plan->samples_per_rank; k++) {
        mlps_sample_ref ref = mlps_plan_sample(plan, epoch, rank, k);
        if (ref.file * plan->params.samples_per_file + ref.sample != start + k)
            return false;
    }
    return true;
}

static void shuffled_orders_change_every_epoch(void **state)
{
    (void)state;
    /* Each shuffle alone changes the order, for one sample per file and for many. */
    const struct {
        bool file_shuffle, sample_shuffle;
        uint64_t samples_per_file;
    } cases[] = {{true, false, 1}, {false, true, 1}, {true, true, 1},
                 {true, false, 16}, {false, true, 16}, {true, true, 16}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        mlps_plan plan = make_shuffled_plan(64, cases[c].samples_per_file, 4, 2,
                                            cases[c].file_shuffle, cases[c].sample_shuffle,
                                            32);
        for (uint32_t rank = 0; rank < 2; rank++) {
            assert_false(is_unshuffled(&plan, 1, rank));
            assert_false(same_order(&plan, 1, 2, rank));
            assert_false(same_order(&plan, 2, 3, rank));
            assert_true(same_order(&plan, 2, 2, rank));
        }
    }
}

static void unshuffled_orders_repeat(void **state)
{
    (void)state;
    mlps_plan plan = make_shuffled_plan(64, 16, 4, 2, false, false, 1024);
    assert_true(same_order(&plan, 1, 2, 0));
    assert_true(same_order(&plan, 1, 5, 1));
    assert_true(is_unshuffled(&plan, 3, 1));
    /* A shuffle window of one sample shuffles nothing. */
    mlps_plan unit_window = make_shuffled_plan(64, 16, 4, 2, false, true, 1);
    assert_true(is_unshuffled(&unit_window, 2, 0));
}

static void without_seed_change_the_shuffle_is_the_same_each_epoch(void **state)
{
    (void)state;
    mlps_order_params params = {.num_files = 64, .samples_per_file = 4, .batch_size = 4,
                                .ranks = 2, .seed = 5, .seed_change_epoch = false,
                                .file_shuffle = true, .sample_shuffle = true,
                                .shuffle_size = 16};
    mlps_plan plan, other_seed;
    assert_int_equal(mlps_plan_init(&plan, &params, NULL), 0);
    params.seed = 6;
    assert_int_equal(mlps_plan_init(&other_seed, &params, NULL), 0);
    assert_false(is_unshuffled(&plan, 1, 0));
    assert_true(same_order(&plan, 1, 2, 0));
    assert_true(same_order(&plan, 1, 7, 1));
    mlps_sample_ref a = mlps_plan_sample(&plan, 1, 0, 0);
    bool differs = false;
    for (uint64_t k = 0; k < plan.samples_per_rank && !differs; k++) {
        a = mlps_plan_sample(&plan, 1, 0, k);
        mlps_sample_ref b = mlps_plan_sample(&other_seed, 1, 0, k);
        differs = a.file != b.file || a.sample != b.sample;
    }
    assert_true(differs);
}

/* A run says how many following samples are consecutive in the same file; walking the share by
 * runs must visit exactly the samples mlps_plan_sample names. */
static void runs_cover_the_share_sample_by_sample(void **state)
{
    (void)state;
    const bool settings[][2] = {{false, false}, {true, false}, {false, true}, {true, true}};
    for (size_t s = 0; s < 4; s++) {
        mlps_plan plan = make_shuffled_plan(20, 7, 3, 3, settings[s][0], settings[s][1], 5);
        for (uint32_t rank = 0; rank < 3; rank++) {
            uint64_t k = 0, runs = 0;
            while (k < plan.samples_per_rank) {
                mlps_sample_ref first;
                uint64_t run = mlps_plan_sample_run(&plan, 4, rank, k, &first);
                assert_true(run >= 1 && k + run <= plan.samples_per_rank);
                for (uint64_t i = 0; i < run; i++) {
                    mlps_sample_ref ref = mlps_plan_sample(&plan, 4, rank, k + i);
                    assert_int_equal(ref.file, first.file);
                    assert_int_equal(ref.sample, first.sample + i);
                }
                k += run;
                runs++;
            }
            if (settings[s][1])
                assert_int_equal(runs, plan.samples_per_rank);
        }
    }
    /* Unshuffled, 140 samples over 3 ranks, 15 steps of 3: rank 1 starts at 47, inside file 6
     * (samples 42..48): runs of 2 (to the file's end), then whole files, then the share's end. */
    mlps_plan plan = make_shuffled_plan(20, 7, 3, 3, false, false, 0);
    assert_int_equal(plan.samples_per_rank, 45);
    mlps_sample_ref first;
    assert_int_equal(mlps_plan_sample_run(&plan, 1, 1, 0, &first), 2);
    assert_int_equal(first.file, 6);
    assert_int_equal(first.sample, 5);
    assert_int_equal(mlps_plan_sample_run(&plan, 1, 1, 2, &first), 7);
    assert_int_equal(first.file, 7);
    assert_int_equal(first.sample, 0);
    assert_int_equal(mlps_plan_sample_run(&plan, 1, 1, 44, &first), 1);
}

static void batches_are_consecutive_samples_of_the_share(void **state)
{
    (void)state;
    mlps_plan plan = make_shuffled_plan(50, 3, 5, 2, true, true, 8);
    mlps_sample_ref batch[5];
    for (uint64_t b = 0; b < plan.steps_per_epoch; b++) {
        mlps_plan_batch(&plan, 2, 1, b, batch);
        for (uint64_t i = 0; i < 5; i++) {
            mlps_sample_ref ref = mlps_plan_sample(&plan, 2, 1, b * 5 + i);
            assert_int_equal(batch[i].file, ref.file);
            assert_int_equal(batch[i].sample, ref.sample);
        }
    }
}

/* dlrm: 1024 files of 4,718,592 rows (4.8 billion samples) on 8 ranks; lookups need no memory
 * in proportion to the dataset. */
static void billion_sample_datasets_need_no_tables(void **state)
{
    (void)state;
    mlps_plan plan = make_plan(1024, 4718592, 12288, 8);
    assert_int_equal(plan.steps_per_epoch, 49152);
    assert_int_equal(plan.samples_per_rank, UINT64_C(603979776));
    mlps_sample_ref last = mlps_plan_sample(&plan, 1, 7, plan.samples_per_rank - 1);
    assert_int_equal(last.file, 1023);
    assert_int_equal(last.sample, 4718591);
    mlps_sample_ref first;
    assert_int_equal(mlps_plan_sample_run(&plan, 1, 3, 0, &first), 4718592);
    assert_int_equal(first.file, 384);
    assert_int_equal(first.sample, 0);

    mlps_plan shuffled = make_shuffled_plan(1024, 4718592, 12288, 8, true, true, 1024);
    for (uint64_t k = 0; k < 1000; k++) {
        mlps_sample_ref ref = mlps_plan_sample(&shuffled, 3, 7, plan.samples_per_rank - 1 - k);
        assert_true(ref.file < 1024 && ref.sample < 4718592);
    }
    /* retinanet-sized file shuffle: the first 1000 samples of a share are distinct files. */
    mlps_plan retinanet = make_shuffled_plan(1170301, 1, 24, 8, true, true, 1024);
    unsigned char *seen = calloc(1170301, 1);
    assert_non_null(seen);
    for (uint64_t k = 0; k < 1000; k++) {
        mlps_sample_ref ref = mlps_plan_sample(&retinanet, 2, 5, k);
        assert_int_equal(seen[ref.file], 0);
        seen[ref.file] = 1;
    }
    free(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(steps_match_the_spec_examples),
        cmocka_unit_test(total_training_steps_limits_but_cannot_exceed_the_data),
        cmocka_unit_test(impossible_plans_name_the_key),
        cmocka_unit_test(unshuffled_order_is_contiguous_from_r_times_s),
        cmocka_unit_test(short_last_ranges_move_down_and_stay_disjoint),
        cmocka_unit_test(every_sample_is_read_exactly_once_per_epoch),
        cmocka_unit_test(with_a_remainder_no_sample_is_read_twice),
        cmocka_unit_test(shuffled_orders_change_every_epoch),
        cmocka_unit_test(unshuffled_orders_repeat),
        cmocka_unit_test(without_seed_change_the_shuffle_is_the_same_each_epoch),
        cmocka_unit_test(runs_cover_the_share_sample_by_sample),
        cmocka_unit_test(batches_are_consecutive_samples_of_the_share),
        cmocka_unit_test(billion_sample_datasets_need_no_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
