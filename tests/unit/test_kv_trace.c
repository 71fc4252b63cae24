/* Tests for the KV-cache --io-trace-log writer: the header and each row's fields exactly
 * (timestamps checked for form and order), CSV quoting of odd keys, a .zst trace that
 * decompresses to the same text as the plain one, rows from many threads all present, and an
 * abandoned or unfinished trace that leaves no file under its name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "core/clock.h"
#include "core/text_scan.h"
#include "kvcache/trace.h"

#include "scratch_dir.h"

static int make_scratch(void **state)
{
    (void)state;
    return scratch_create("kv_trace");
}

static void write_sample_ops(mlps_kv_trace *t)
{
    mlps_kv_trace_op(t, true, 131072, MLPS_KV_TIER_GPU, "conv_user_0001_1_turn_1",
                     MLPS_KV_PHASE_PREFILL);
    mlps_kv_trace_op(t, false, 131072, MLPS_KV_TIER_CPU, "conv_user_0001_1_turn_1",
                     MLPS_KV_PHASE_DECODE);
    mlps_kv_trace_op(t, false, 4096, MLPS_KV_TIER_CPU, "user_0002_req_000001", MLPS_KV_PHASE_EVICT);
    mlps_kv_trace_op(t, true, 4096, MLPS_KV_TIER_STORAGE, "user_0002_req_000001",
                     MLPS_KV_PHASE_EVICT);
    mlps_kv_trace_op(t, true, 7, MLPS_KV_TIER_STORAGE, "odd,key \"q\"", MLPS_KV_PHASE_PREFILL);
}

/* The rows after the timestamp column, in order. */
static const char *const expected_rows[] = {
    "Write,131072,Tier-0,conv_user_0001_1_turn_1,Prefill",
    "Read,131072,Tier-1,conv_user_0001_1_turn_1,Decode",
    "Read,4096,Tier-1,user_0002_req_000001,Evict",
    "Write,4096,Tier-2,user_0002_req_000001,Evict",
    "Write,7,Tier-2,\"odd,key \"\"q\"\"\",Prefill",
};
#define EXPECTED_ROWS (sizeof expected_rows / sizeof expected_rows[0])

/* Checks "<seconds>.<6 digits>,<rest>" with seconds in [lo, hi] and non-decreasing. */
static void assert_trace_text(const char *text, double lo, double hi)
{
    const char *header = "Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase\n";
    assert_memory_equal(text, header, strlen(header));
    const char *line = text + strlen(header);
    double previous = 0;
    for (size_t i = 0; i < EXPECTED_ROWS; i++) {
        char *end;
        double ts = strtod(line, &end);
        assert_true(end > line && *end == ',');
        const char *dot = strchr(line, '.');
        assert_true(dot && dot < end && end - dot == 7); /* six decimals */
        assert_true(ts >= lo && ts <= hi && ts >= previous);
        previous = ts;
        const char *newline = strchr(end, '\n');
        assert_non_null(newline);
        char rest[256];
        snprintf(rest, sizeof rest, "%.*s", (int)(newline - end - 1), end + 1);
        assert_string_equal(rest, expected_rows[i]);
        line = newline + 1;
    }
    assert_string_equal(line, "");
}

static double now_s(void)
{
    return (double)mlps_wall_ns() / 1e9;
}

static char *read_file(const char *path, size_t *len)
{
    char *text;
    assert_int_equal(mlps_read_text_file(path, &text, len, NULL), 0);
    return text;
}

static void plain_trace_has_the_header_and_exact_rows(void **state)
{
    (void)state;
    char path[PATH_MAX];
    in_scratch(path, "plain/ops.csv"); /* the parent directory is created */
    mlps_kv_trace *t;
    mlps_error err;
    mlps_error_clear(&err);
    double before = now_s() - 1e-6;
    assert_int_equal(mlps_kv_trace_open(path, &t, &err), 0);
    write_sample_ops(t);
    assert_int_equal(mlps_kv_trace_rows(t), EXPECTED_ROWS);
    assert_int_equal(access(path, F_OK), -1); /* not published before close */
    assert_int_equal(mlps_kv_trace_close(t, &err), 0);
    double after = now_s() + 1e-6;
    char *text = read_file(path, NULL);
    assert_trace_text(text, before, after);
    free(text);
    char dir[PATH_MAX];
    in_scratch(dir, "plain");
    assert_int_equal(count_entries(dir), 1);
}

/* Streams the whole frame out, growing the output as needed. */
static char *decompress(const char *data, size_t len)
{
    size_t capacity = 1u << 16;
    char *out = malloc(capacity + 1);
    assert_non_null(out);
    ZSTD_DStream *ds = ZSTD_createDStream();
    ZSTD_inBuffer in = {data, len, 0};
    ZSTD_outBuffer o = {out, capacity, 0};
    size_t rc;
    do {
        if (o.pos == o.size) {
            capacity *= 2;
            out = realloc(out, capacity + 1);
            assert_non_null(out);
            o.dst = out;
            o.size = capacity;
        }
        rc = ZSTD_decompressStream(ds, &o, &in);
        assert_false(ZSTD_isError(rc));
        assert_false(rc != 0 && in.pos == in.size && o.pos < o.size); /* truncated frame */
    } while (rc != 0);
    assert_int_equal(in.pos, in.size); /* one complete frame, nothing after it */
    ZSTD_freeDStream(ds);
    out[o.pos] = '\0';
    return out;
}

static void zst_trace_decompresses_to_the_same_rows(void **state)
{
    (void)state;
    char path[PATH_MAX];
    in_scratch(path, "ops.csv.zst");
    mlps_kv_trace *t;
    double before = now_s() - 1e-6;
    assert_int_equal(mlps_kv_trace_open(path, &t, NULL), 0);
    write_sample_ops(t);
    assert_int_equal(mlps_kv_trace_close(t, NULL), 0);
    double after = now_s() + 1e-6;
    size_t len;
    char *data = read_file(path, &len);
    assert_true(len >= 4 && (unsigned char)data[0] == 0x28 && (unsigned char)data[1] == 0xb5);
    char *text = decompress(data, len);
    assert_trace_text(text, before, after);
    free(text);
    free(data);
}

typedef struct worker_args {
    mlps_kv_trace *trace;
    int index;
} worker_args;

#define THREADS 4
#define OPS_PER_THREAD 20000

static void *trace_from_thread(void *arg)
{
    worker_args *a = arg;
    char key[32];
    snprintf(key, sizeof key, "thread_%d", a->index);
    for (int i = 0; i < OPS_PER_THREAD; i++)
        mlps_kv_trace_op(a->trace, i % 2, (uint64_t)i, MLPS_KV_TIER_CPU, key,
                         MLPS_KV_PHASE_DECODE);
    return NULL;
}

/* Many threads, a large compressed trace: every row arrives whole. */
static void rows_from_many_threads_are_all_whole(void **state)
{
    (void)state;
    char path[PATH_MAX];
    in_scratch(path, "threads.csv.zst");
    mlps_kv_trace *t;
    assert_int_equal(mlps_kv_trace_open(path, &t, NULL), 0);
    pthread_t threads[THREADS];
    worker_args args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_args){t, i};
        assert_int_equal(pthread_create(&threads[i], NULL, trace_from_thread, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(mlps_kv_trace_rows(t), THREADS * OPS_PER_THREAD);
    assert_int_equal(mlps_kv_trace_close(t, NULL), 0);
    size_t len;
    char *data = read_file(path, &len);
    char *text = decompress(data, len);
    size_t per_thread[THREADS] = {0}, lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        if (lines == 0)
            continue;
        int thread = -1;
        char *key = strstr(line, ",thread_");
        assert_non_null(key);
        assert_int_equal(sscanf(key, ",thread_%d,Decode", &thread), 1);
        assert_true(thread >= 0 && thread < THREADS);
        assert_non_null(strstr(line, ",Tier-1,"));
        per_thread[thread]++;
    }
    assert_int_equal(lines, 1 + THREADS * OPS_PER_THREAD);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(per_thread[i], OPS_PER_THREAD);
    free(text);
    free(data);
}

static void abandoned_trace_leaves_nothing(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX];
    in_scratch(dir, "abandoned");
    in_scratch(path, "abandoned/ops.csv.zst");
    mlps_kv_trace *t;
    assert_int_equal(mlps_kv_trace_open(path, &t, NULL), 0);
    write_sample_ops(t);
    assert_int_equal(count_entries(dir), 1); /* only the temporary file */
    assert_int_equal(access(path, F_OK), -1);
    mlps_kv_trace_abandon(t);
    assert_int_equal(count_entries(dir), 0);
}

static void unwritable_place_is_refused_naming_the_flag(void **state)
{
    (void)state;
    char blocker[PATH_MAX], path[PATH_MAX];
    in_scratch(blocker, "a_file");
    FILE *f = fopen(blocker, "w");
    assert_non_null(f);
    fclose(f);
    in_scratch(path, "a_file/ops.csv");
    mlps_kv_trace *t = (mlps_kv_trace *)1;
    mlps_error err;
    mlps_error_clear(&err);
    assert_true(mlps_kv_trace_open(path, &t, &err) < 0);
    assert_null(t);
    assert_non_null(strstr(err.message, "--io-trace-log"));
    assert_non_null(strstr(err.message, "a_file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_trace_has_the_header_and_exact_rows),
        cmocka_unit_test(zst_trace_decompresses_to_the_same_rows),
        cmocka_unit_test(rows_from_many_threads_are_all_whole),
        cmocka_unit_test(abandoned_trace_leaves_nothing),
        cmocka_unit_test(unwritable_place_is_refused_naming_the_flag),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
