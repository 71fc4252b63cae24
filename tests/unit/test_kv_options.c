/* Tests of the KV-cache run options (kvcache/options.c): the reference's defaults, every rule of
 * its argument check at and beyond its boundaries with its wording, the --cache-dir checks on the
 * resolved path, and that every broken rule is reported, one line each, in one usage error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvcache/options.h"
#include "scratch_dir.h"

static mlps_kv_settings settings;

static size_t line_count(const char *text)
{
    size_t lines = *text ? 1 : 0;
    for (; *text; text++)
        lines += *text == '\n';
    return lines;
}

static void assert_valid(const mlps_kv_options *o)
{
    mlps_error err = {0};
    int rc = mlps_kv_options_validate(o, &settings, &err);
    if (rc)
        fail_msg("expected valid, got: %s", err.message);
}

/* The options break exactly one rule, whose line holds fragment. */
static void assert_one_rule(const mlps_kv_options *o, const char *fragment)
{
    mlps_error err = {0};
    assert_int_equal(mlps_kv_options_validate(o, &settings, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    if (!strstr(err.message, fragment))
        fail_msg("'%s' not in: %s", fragment, err.message);
    if (line_count(err.message) != 1)
        fail_msg("expected one line, got: %s", err.message);
}

static void defaults_are_the_reference_defaults(void **state)
{
    (void)state;
    mlps_kv_options o;
    mlps_kv_options_defaults(&o);
    assert_string_equal(o.model, "llama3.1-8b");
    assert_int_equal(o.num_users, 100);
    assert_true(o.duration_s == 60);
    assert_true(o.gpu_mem_gb == 16);
    assert_int_equal(o.num_gpus, 1);
    assert_int_equal(o.tensor_parallel, 1);
    assert_true(o.cpu_mem_gb == 32);
    assert_null(o.cache_dir);
    assert_int_equal(o.generation_mode, MLPS_KV_GEN_REALISTIC);
    assert_int_equal(o.performance_profile, MLPS_KV_PROFILE_LATENCY);
    assert_false(o.disable_multi_turn || o.disable_prefix_caching || o.enable_rag);
    assert_int_equal(o.rag_num_docs, 10);
    assert_int_equal(o.autoscaler_mode, MLPS_KV_AUTOSCALE_QOS);
    assert_true(o.target_saturation == 0.8);
    assert_string_equal(o.burst_trace_path, "BurstGPT/data/BurstGPT_1.csv");
    assert_int_equal(o.max_conversations, 500);
    assert_null(o.output);
    assert_false(o.seed_given);
    assert_int_equal(o.max_concurrent_allocs, 0);
    assert_true(o.request_rate == 0);
    assert_int_equal(o.max_requests, 0);
    assert_true(o.storage_capacity_gb == 0);
    assert_true(o.trace_speedup == 1.0);
    assert_int_equal(o.replay_cycles, 0);
    assert_false(o.prefill_only || o.decode_only || o.simulate_gpu || o.direct_io);
    assert_string_equal(o.log_level, "INFO");
    assert_true(o.gpu_bandwidth_gbs == 64);
    assert_valid(&o);
}

static void num_users_is_between_1_and_100000(void **state)
{
    (void)state;
    mlps_kv_options o;
    mlps_kv_options_defaults(&o);
    o.num_users = 0;
    assert_one_rule(&o, "--num-users must be positive, got 0");
    o.num_users = -3;
    assert_one_rule(&o, "--num-users must be positive, got -3");
    o.num_users = 100001;
    assert_one_rule(&o, "--num-users exceeds limit (100000), got 100001");
    o.num_users = 1;
    assert_valid(&o);
    o.num_users = 100000;
    assert_valid(&o);
}

static void duration_is_positive_and_at_most_a_day(void **state)
{
    (void)state;
    mlps_kv_options o;
    mlps_kv_options_defaults(&o);
    o.duration_s = 0;
    assert_one_rule(&o, "--duration must be positive, got 0");
    o.duration_s = NAN;
    assert_one_rule(&o, "--duration must be positive");
    o.duration_s = 86401;
    assert_one_rule(&o, "--duration exceeds 24 hours (86400s), got 86401");
    o.duration_s = 86400;
    assert_valid(&o);
    o.duration_s = 0.5;
    assert_valid(&o);
}

static void memory_tiers_have_limits(void **state)
{
    (void)state;
    mlps_kv_options o;
    mlps_kv_options_defaults(&o);
    o.gpu_mem_gb = -0.5;
    assert_one_rule(&o, "--gpu-mem-gb cannot be negative, got -0.5");
    o.gpu_mem_gb = 65536.5;
    assert_one_rule(&o, "--gpu-mem-gb exceeds limit (65536GiB), got 65536.5");
    o.gpu_mem_gb = 65536;
    assert_valid(&o);
    o.gpu_mem_gb = 0;
    assert_valid(&o);
    o.cpu_mem_gb = -1;
    assert_one_rule(&o, "--cpu-mem-gb cannot be negative, got -1");
    o.cpu_mem_gb = 131073;
    assert_one_rule(&o, "--cpu-mem-gb exceeds limit (131072GiB), got 131073");
    o.cpu_mem_gb = 131072;
    assert_valid(&o);
    o.cpu_mem_gb = 0;
    assert_valid(&o);
}

/* Each "cannot be negative" flag: -1 is refused with its name, 0 is fine. */
static void counts_and_rates_cannot_be_negative(void **state)
{
    (void)state;
    mlps_kv_options o;
#define CHECK_NOT_NEGATIVE(field, flag)                                                           \
    do {                                                                                          \
        mlps_kv_options_defaults(&o);                                                             \
        o.field = -1;                                                                             \
        assert_one_rule(&o, flag " cannot be negative, got -1");                                  \
        o.field = 0;                                                                              \
        assert_valid(&o);                                                                         \
    } while (0)
    CHECK_NOT_NEGATIVE(rag_num_docs, "--rag-num-docs");
    CHECK_NOT_NEGATIVE(max_concurrent_allocs, "--max-concurrent-allocs");
    CHECK_NOT_NEGATIVE(request_rate, "--request-rate");
    CHECK_NOT_NEGATIVE(max_requests, "--max-requests");
    CHECK_NOT_NEGATIVE(storage_capacity_gb, "--storage-capacity-gb");
    CHECK_NOT_NEGATIVE(precondition_size_gb, "--precondition-size-gb");
    CHECK_NOT_NEGATIVE(precondition_threads, "--precondition-threads");
    CHECK_NOT_NEGATIVE(trace_speedup, "--trace-speedup");
    CHECK_NOT_NEGATIVE(replay_cycles, "--replay-cycles");
#undef CHECK_NOT_NEGATIVE
    mlps_kv_options_defaults(&o);
    o.request_rate = INFINITY;
    assert_one_rule(&o, "--request-rate must be finite");
    o.request_rate = NAN;
    assert_one_rule(&o, "--request-rate must be a number");
}

static void conversations_and_saturation_have_ranges(void **state)
{
    (void)state;
    mlps_kv_options o;
    mlps_kv_options_defaults(&o);
    o.max_conversations = 0;
    assert_one_rule(&o, "--max-conversations must be positive, got 0");
    o.max_conversations = 1;
    assert_valid(&o);
    o.target_saturation = -0.01;
    assert_one_rule(&o, "--target-saturation must be between 0.0 and 1.0, got -0.01");
    o.target_saturation = 1.01;
    assert_one_rule(&o, "--target-saturation must be between 0.0 and 1.0, got 1.01");
    o.target_saturation = NAN;
    assert_one_rule(&o, "--target-saturation must be between 0.0 and 1.0");
    o.target_saturation = 0;
    assert_valid(&o);
    o.target_saturation = 1;
    assert_valid(&o);
}

static void tensor_parallel_fits_the_gpus(void **state)
{
    (void)state;
    mlps_kv_options o;
    mlps_kv_options_defaults(&o);
    o.num_gpus = 0;
    assert_one_rule(&o, "--num-gpus must be >= 1, got 0");
    o.num_gpus = 1;
    o.tensor_parallel = 0;
    assert_one_rule(&o, "--tensor-parallel must be >= 1, got 0");
    o.tensor_parallel = 2;
    assert_one_rule(&o, "--tensor-parallel (2) cannot exceed --num-gpus (1)");
    o.num_gpus = 8;
    o.tensor_parallel = 8;
    assert_valid(&o);
    o.tensor_parallel = 3; /* not a power of two: a warning only */
    assert_valid(&o);
}

static void modes_must_be_compatible(void **state)
{
    (void)state;
    mlps_kv_options o;
    mlps_kv_options_defaults(&o);
    o.prefill_only = o.decode_only = true;
    assert_one_rule(&o, "--prefill-only and --decode-only are mutually exclusive");
    o.decode_only = false;
    assert_valid(&o);
    o.autoscaler_mode = (mlps_kv_autoscaler_mode)2;
    assert_one_rule(&o, "--autoscaler-mode must be one of qos, capacity");
    mlps_kv_options_defaults(&o);
    o.gpu_bandwidth_gbs = 0;
    assert_one_rule(&o, "--gpu-bandwidth-gbs must be a positive number of GiB/s, got 0");
}

static void with_cache_dir(const char *dir, const char *fragment)
{
    mlps_kv_options o;
    mlps_kv_options_defaults(&o);
    o.cache_dir = dir;
    if (fragment)
        assert_one_rule(&o, fragment);
    else
        assert_valid(&o);
}

static void system_directories_are_refused_after_resolving(void **state)
{
    (void)state;
    with_cache_dir("/etc/x", "--cache-dir cannot be a system directory: /etc/x");
    with_cache_dir("/etc", "--cache-dir cannot be a system directory: /etc");
    with_cache_dir("/proc/kv", "--cache-dir cannot be a system directory: /proc/kv");
    with_cache_dir("/dev/shm/kv", "--cache-dir cannot be a system directory: /dev/shm/kv");
    with_cache_dir("/usr/bin/kv", "--cache-dir cannot be a system directory: /usr/bin/kv");
    with_cache_dir("/root/kv", "--cache-dir cannot be a system directory: /root/kv");
    /* ".." that climbs out of a directory that does not exist yet */
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/not-yet/../../../../../../../../../../etc/kv", scratch);
    with_cache_dir(path, "--cache-dir cannot be a system directory: /etc/kv");
    /* a symbolic link into /etc */
    char link[PATH_MAX];
    in_scratch(link, "to-etc");
    assert_int_equal(symlink("/etc", link), 0);
    snprintf(path, sizeof path, "%s/kv", link);
    with_cache_dir(path, "--cache-dir cannot be a system directory: /etc/kv");
    /* only whole components count */
    in_scratch(path, "etc/kv");
    with_cache_dir(path, NULL);
    in_scratch(path, "a/b/c");
    with_cache_dir(path, NULL); /* missing parents are created */
}

static void the_cache_dir_and_its_parent_must_be_usable(void **state)
{
    (void)state;
    char file[PATH_MAX], path[PATH_MAX * 2];
    in_scratch(file, "plain-file");
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    with_cache_dir(file, "--cache-dir is not a directory");
    snprintf(path, sizeof path, "%s/kv", file);
    with_cache_dir(path, "--cache-dir parent is not a directory");
    with_cache_dir("", "--cache-dir '' is not a usable path");
}

static void a_read_only_parent_is_refused(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root may write anywhere */
    char parent[PATH_MAX], path[PATH_MAX * 2];
    in_scratch(parent, "read-only");
    assert_int_equal(mkdir(parent, 0555), 0);
    snprintf(path, sizeof path, "%s/kv", parent);
    with_cache_dir(path, "--cache-dir parent is not writable");
    chmod(parent, 0755);
}

/* An s3:// cache is no path: none of the directory rules apply (not even to a bucket named like a
 * system directory), but it needs a capacity and cannot take O_DIRECT. */
static void an_object_store_cache_needs_a_capacity_and_no_direct_io(void **state)
{
    (void)state;
    mlps_kv_options o;
    mlps_kv_options_defaults(&o);
    o.cache_dir = "s3://etc/kv";
    assert_one_rule(&o, "--cache-dir s3://etc/kv is an object store: --storage-capacity-gb must be "
                        "given (its free space cannot be asked for)");
    o.storage_capacity_gb = 0.005;
    assert_valid(&o);
    o.direct_io = true;
    assert_one_rule(&o, "--direct-io cannot be used with an object store --cache-dir (s3://etc/kv): "
                        "O_DIRECT is for files");
    o.direct_io = false;
    o.storage_capacity_gb = -1;
    assert_one_rule(&o, "--storage-capacity-gb cannot be negative, got -1");
    o.storage_capacity_gb = 0;
    o.direct_io = true;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_options_validate(&o, &settings, &err), -EINVAL);
    assert_int_equal(line_count(err.message), 2);
}

static void every_broken_rule_is_reported_on_its_own_line(void **state)
{
    (void)state;
    mlps_kv_options o;
    mlps_kv_options_defaults(&o);
    o.num_users = 0;
    o.gpu_mem_gb = -1;
    o.cache_dir = "/etc/kv";
    mlps_error err = {0};
    assert_int_equal(mlps_kv_options_validate(&o, &settings, &err), -EINVAL);
    assert_string_equal(err.message, "--num-users must be positive, got 0\n"
                                     "--gpu-mem-gb cannot be negative, got -1\n"
                                     "--cache-dir cannot be a system directory: /etc/kv");
    /* everything at once */
    o.duration_s = 1e6;
    o.cpu_mem_gb = -1;
    o.rag_num_docs = -1;
    o.max_conversations = 0;
    o.max_concurrent_allocs = -1;
    o.request_rate = -1;
    o.max_requests = -1;
    o.storage_capacity_gb = -1;
    o.precondition_size_gb = -1;
    o.precondition_threads = -1;
    o.trace_speedup = -1;
    o.replay_cycles = -1;
    o.target_saturation = 2;
    o.num_gpus = 0;
    o.tensor_parallel = 0;
    o.prefill_only = o.decode_only = true;
    assert_int_equal(mlps_kv_options_validate(&o, &settings, &err), -EINVAL);
    assert_int_equal(line_count(err.message), 19);
    assert_non_null(strstr(err.message, "--replay-cycles cannot be negative"));
    assert_non_null(strstr(err.message, "mutually exclusive"));
}

static int setup(void **state)
{
    (void)state;
    mlps_kv_settings_defaults(&settings);
    return scratch_create("kv_options");
}

int main(void)
{
    (void)count_entries; /* scratch_dir.h's helper for tests that count files */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_reference_defaults),
        cmocka_unit_test(num_users_is_between_1_and_100000),
        cmocka_unit_test(duration_is_positive_and_at_most_a_day),
        cmocka_unit_test(memory_tiers_have_limits),
        cmocka_unit_test(counts_and_rates_cannot_be_negative),
        cmocka_unit_test(conversations_and_saturation_have_ranges),
        cmocka_unit_test(tensor_parallel_fits_the_gpus),
        cmocka_unit_test(modes_must_be_compatible),
        cmocka_unit_test(system_directories_are_refused_after_resolving),
        cmocka_unit_test(the_cache_dir_and_its_parent_must_be_usable),
        cmocka_unit_test(a_read_only_parent_is_refused),
        cmocka_unit_test(an_object_store_cache_needs_a_capacity_and_no_direct_io),
        cmocka_unit_test(every_broken_rule_is_reported_on_its_own_line),
    };
    return cmocka_run_group_tests(tests, setup, remove_scratch);
}
