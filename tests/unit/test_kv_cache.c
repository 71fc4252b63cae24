/* The multi-tier KV cache: .npy files on the storage tier, the cpu → storage waterfall with
 * spill counted, the terminal tier filling to 100 % and deleting its oldest files, reads that
 * never promote, exact accounting under threads, the simulated gpu's latency, trace mode, the
 * start-up cleanup of cache_dir and O_DIRECT round trips. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "kvcache/cache.h"
#include "kvcache/cache_internal.h"
#include "kvcache/entry.h"
#include "kvcache/model.h"
#include "kvcache/trace.h"
#include "scratch_dir.h"

#define TEN_TOKENS 245760u /* tiny-1b: 10 × 24,576 */
#define MIB (1024u * 1024u)

/* ---- a fake trace writer: the real one is another part of the program; this one keeps the
 * rows in memory so the tests can read them. ---- */
typedef struct fake_row {
    bool write;
    uint64_t bytes;
    mlps_kv_tier tier;
    char key[64];
    mlps_kv_phase phase;
} fake_row;

struct mlps_kv_trace {
    pthread_mutex_t lock;
    fake_row rows[256];
    uint64_t count;
};

void mlps_kv_trace_op(mlps_kv_trace *trace, bool write, uint64_t bytes, mlps_kv_tier tier,
                      const char *key, mlps_kv_phase phase)
{
    pthread_mutex_lock(&trace->lock);
    if (trace->count < 256) {
        fake_row *r = &trace->rows[trace->count];
        *r = (fake_row){.write = write, .bytes = bytes, .tier = tier, .phase = phase};
        snprintf(r->key, sizeof r->key, "%s", key);
    }
    trace->count++;
    pthread_mutex_unlock(&trace->lock);
}

uint64_t mlps_kv_trace_rows(mlps_kv_trace *trace) { return trace->count; }

/* ---- helpers ---- */
static mlps_kv_model tiny_model;
static char cache_dir[PATH_MAX];
static int dir_serial;

static mlps_kv_cache_params base_params(void)
{
    return (mlps_kv_cache_params){
        .model = &tiny_model,
        .tensor_parallel = 1,
        .seed = 42,
        .gpu_bandwidth_gib_s = 64,
        .cache_dir = cache_dir,
    };
}

static int setup_case(void **state)
{
    (void)state;
    char name[32];
    snprintf(name, sizeof name, "cache%d", dir_serial++);
    in_scratch(cache_dir, name);
    return mkdir(cache_dir, 0755);
}

static mlps_kv_cache *new_cache(const mlps_kv_cache_params *p)
{
    mlps_kv_cache *c = NULL;
    mlps_error err = {0};
    if (mlps_kv_cache_new(p, &c, &err) != 0)
        fail_msg("cache_new: %s", err.message);
    return c;
}

static mlps_kv_op_result allocate(mlps_kv_cache *c, const char *key, uint64_t tokens)
{
    mlps_kv_op_result r;
    mlps_error err = {0};
    if (mlps_kv_cache_allocate(c, key, tokens, MLPS_KV_PHASE_PREFILL, &r, &err) != 0)
        fail_msg("allocate %s: %s", key, err.message);
    assert_true(r.ok);
    return r;
}

static mlps_kv_op_result access_key(mlps_kv_cache *c, const char *key, mlps_kv_phase phase)
{
    mlps_kv_op_result r;
    mlps_error err = {0};
    if (mlps_kv_cache_access(c, key, phase, MLPS_KV_READ_MULTI_TURN, &r, &err) != 0)
        fail_msg("access %s: %s", key, err.message);
    return r;
}

static mlps_kv_cache_counters counters_of(mlps_kv_cache *c)
{
    mlps_kv_cache_counters k;
    mlps_kv_cache_counters_get(c, &k);
    return k;
}

static size_t npy_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strlen(e->d_name) > 4 && strcmp(e->d_name + strlen(e->d_name) - 4, ".npy") == 0;
    closedir(d);
    return n;
}

static off_t file_size(const char *key)
{
    char path[PATH_MAX + 80];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s.npy", cache_dir, key);
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* The file's data part equals the generator's bytes for the key. */
static void assert_file_holds_entry(const char *key, uint64_t bytes)
{
    char path[PATH_MAX + 80];
    snprintf(path, sizeof path, "%s/%s.npy", cache_dir, key);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *got = malloc(128 + bytes), *want = malloc(bytes);
    assert_int_equal(fread(got, 1, 128 + bytes, f), 128 + bytes);
    fclose(f);
    mlps_kv_entry_gen gen;
    mlps_kv_entry_gen_init(&gen, 42, key, bytes);
    mlps_kv_entry_fill(&gen, want, bytes, 0);
    assert_memory_equal(got + 128, want, bytes);
    free(got);
    free(want);
}

/* ---- tests ---- */

static void test_storage_entry_is_a_npy_file(void **state)
{
    (void)state;
    mlps_kv_cache_params p = base_params();
    mlps_kv_cache *c = new_cache(&p);
    mlps_kv_cache_counters k = counters_of(c);
    assert_true(k.tier_present[MLPS_KV_TIER_STORAGE]);
    assert_false(k.tier_present[MLPS_KV_TIER_CPU]);
    assert_false(k.tier_present[MLPS_KV_TIER_GPU]);
    assert_true(k.tier_limit_bytes[MLPS_KV_TIER_STORAGE] > 0 &&
                k.tier_limit_bytes[MLPS_KV_TIER_STORAGE] < UINT64_MAX); /* 0.95 × statvfs */

    mlps_kv_op_result r = allocate(c, "conv_user_0001_turn_1", 10);
    assert_int_equal(r.tier, MLPS_KV_TIER_STORAGE);
    assert_int_equal(r.bytes, TEN_TOKENS);
    assert_int_equal(file_size("conv_user_0001_turn_1"), 128 + TEN_TOKENS);
    assert_file_holds_entry("conv_user_0001_turn_1", TEN_TOKENS);

    char cmd[PATH_MAX + 200], line[128] = "";
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import numpy, sys; a = numpy.load(sys.argv[1]); "
             "print(a.shape, a.dtype)\" '%s/conv_user_0001_turn_1.npy'",
             cache_dir);
    FILE *py = popen(cmd, "r");
    assert_non_null(py);
    assert_non_null(fgets(line, sizeof line, py));
    assert_int_equal(pclose(py), 0);
    assert_string_equal(line, "(12, 2, 10, 4, 128) float16\n");

    /* An existing key: ok, no I/O, nothing counted. */
    r = allocate(c, "conv_user_0001_turn_1", 10);
    assert_true(r.seconds == 0.0);
    r = access_key(c, "conv_user_0001_turn_1", MLPS_KV_PHASE_DECODE);
    assert_true(r.ok);
    assert_int_equal(r.tier, MLPS_KV_TIER_STORAGE);
    k = counters_of(c);
    assert_int_equal(k.write_operations, 1);
    assert_int_equal(k.prefill_writes, 1);
    assert_int_equal(k.offloads_storage, 1);
    assert_int_equal(k.storage_tokens_processed, 20); /* written, then read */
    assert_int_equal(k.tier_bytes_written[MLPS_KV_TIER_STORAGE], TEN_TOKENS);
    assert_int_equal(k.tier_bytes_read[MLPS_KV_TIER_STORAGE], TEN_TOKENS);
    assert_int_equal(k.decode_reads, 1);
    assert_int_equal(k.multi_turn_hits, 1);
    mlps_kv_cache_latencies *l = mlps_kv_cache_latencies_of(c);
    assert_int_equal(mlps_kv_samples_count(&l->storage_write_device), 1);
    assert_int_equal(mlps_kv_samples_count(&l->storage_read_device), 1);
    assert_int_equal(mlps_kv_samples_count(&l->spill_write), 0);

    mlps_kv_cache_free(c);
    assert_int_equal(npy_files(cache_dir), 0); /* the cache deletes what it wrote */
}

static void test_waterfall_demotes_cpu_lru_to_storage(void **state)
{
    (void)state;
    mlps_kv_cache_params p = base_params();
    p.cpu_limit_bytes = MIB;
    mlps_kv_cache *c = new_cache(&p);
    for (int i = 0; i < 7; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        mlps_kv_op_result r = allocate(c, key, 10);
        assert_int_equal(r.tier, MLPS_KV_TIER_CPU);
        mlps_kv_cache_counters k = counters_of(c);
        uint64_t demoted = i < 3 ? 0 : (uint64_t)i - 2;
        assert_int_equal(k.tier_entries[MLPS_KV_TIER_CPU], i < 3 ? i + 1 : 3);
        assert_int_equal(k.tier_used_bytes[MLPS_KV_TIER_CPU], (i < 3 ? i + 1 : 3) * TEN_TOKENS);
        assert_int_equal(k.tier_entries[MLPS_KV_TIER_STORAGE], demoted);
        assert_int_equal(k.tier_used_bytes[MLPS_KV_TIER_STORAGE], demoted * TEN_TOKENS);
        assert_int_equal(k.offloads_cpu, i + 1);
        assert_int_equal(k.offloads_storage, demoted);
        assert_int_equal(k.evictions, demoted);
        assert_int_equal(k.spill_operations, demoted);
        /* Spill is counted where it lands, and on its own. */
        assert_int_equal(k.tier_bytes_written[MLPS_KV_TIER_STORAGE], demoted * TEN_TOKENS);
        assert_int_equal(k.spill_bytes_written[MLPS_KV_TIER_STORAGE], demoted * TEN_TOKENS);
        assert_int_equal(k.tier_bytes_read[MLPS_KV_TIER_CPU], demoted * TEN_TOKENS);
        assert_int_equal(k.spill_bytes_read[MLPS_KV_TIER_CPU], demoted * TEN_TOKENS);
        assert_int_equal(k.tier_bytes_written[MLPS_KV_TIER_CPU], (i + 1) * TEN_TOKENS);
        assert_int_equal(k.storage_tokens_processed, demoted * 10);
        assert_int_equal(k.write_operations, i + 1);
        assert_int_equal(npy_files(cache_dir), demoted);
    }
    /* The oldest went first. */
    assert_int_equal(file_size("k0"), 128 + TEN_TOKENS);
    assert_int_equal(file_size("k3"), 128 + TEN_TOKENS);
    assert_int_equal(file_size("k4"), -1);
    assert_file_holds_entry("k2", TEN_TOKENS); /* the cpu copy was written out intact */
    mlps_kv_cache_latencies *l = mlps_kv_cache_latencies_of(c);
    assert_int_equal(mlps_kv_samples_count(&l->spill_write), 4);
    assert_int_equal(mlps_kv_samples_count(&l->write[MLPS_KV_TIER_STORAGE]), 4);
    assert_int_equal(mlps_kv_samples_count(&l->storage_write_host), 4);
    assert_int_equal(mlps_kv_samples_count(&l->write[MLPS_KV_TIER_CPU]), 7);
    mlps_kv_cache_free(c);
    assert_int_equal(npy_files(cache_dir), 0);
}

static void test_reads_never_promote(void **state)
{
    (void)state;
    mlps_kv_cache_params p = base_params();
    p.cpu_limit_bytes = MIB;
    mlps_kv_cache *c = new_cache(&p);
    for (int i = 0; i < 4; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        allocate(c, key, 10);
    }
    mlps_kv_cache_reset_stats(c);
    for (int round = 0; round < 3; round++) {
        mlps_kv_op_result r = access_key(c, "k0", round == 0 ? MLPS_KV_PHASE_DECODE
                                                             : MLPS_KV_PHASE_PREFILL);
        assert_true(r.ok);
        assert_int_equal(r.tier, MLPS_KV_TIER_STORAGE);
        assert_int_equal(r.bytes, TEN_TOKENS);
    }
    mlps_kv_op_result miss = access_key(c, "never_written", MLPS_KV_PHASE_DECODE);
    assert_false(miss.ok);
    assert_int_equal(miss.tier, MLPS_KV_TIER_NONE);
    assert_true(miss.seconds == 0.0);
    mlps_kv_cache_counters k = counters_of(c);
    assert_int_equal(k.tier_entries[MLPS_KV_TIER_CPU], 3);
    assert_int_equal(k.tier_entries[MLPS_KV_TIER_STORAGE], 1);
    assert_int_equal(k.tier_bytes_read[MLPS_KV_TIER_STORAGE], 3 * TEN_TOKENS);
    assert_int_equal(k.tier_bytes_read[MLPS_KV_TIER_CPU], 0);
    assert_int_equal(k.tier_bytes_written[MLPS_KV_TIER_CPU], 0); /* nothing moved up */
    assert_int_equal(k.cache_hits, 3);
    assert_int_equal(k.cache_misses, 1);
    assert_int_equal(k.multi_turn_hits, 3);
    assert_int_equal(k.decode_reads, 1);
    assert_int_equal(k.read_operations, 3);
    assert_int_equal(k.total_read_bytes, 3 * TEN_TOKENS);
    assert_int_equal(k.evictions, 0); /* reset, and nothing moved since */
    mlps_kv_cache_latencies *l = mlps_kv_cache_latencies_of(c);
    assert_int_equal(mlps_kv_samples_count(&l->read[MLPS_KV_TIER_STORAGE]), 3);
    assert_int_equal(mlps_kv_samples_count(&l->storage_read_device), 3);
    assert_int_equal(mlps_kv_samples_count(&l->write[MLPS_KV_TIER_CPU]), 0);
    mlps_kv_cache_free(c);
}

/* NVMe only, 2 MiB: the terminal tier fills to 100 % (8 entries of 245,760 B, where 80 %
 * would hold 6) and deletes its least recently used files. */
static void test_storage_only_fills_to_the_limit_and_deletes_oldest(void **state)
{
    (void)state;
    mlps_kv_cache_params p = base_params();
    p.storage_limit_bytes = 2 * MIB;
    mlps_kv_cache *c = new_cache(&p);
    for (int i = 0; i < 50; i++) {
        char key[16];
        snprintf(key, sizeof key, i < 30 ? "a%d" : "b%d", i < 30 ? i : i - 30);
        assert_int_equal(allocate(c, key, 10).tier, MLPS_KV_TIER_STORAGE);
        mlps_kv_cache_counters k = counters_of(c);
        uint64_t entries = k.tier_entries[MLPS_KV_TIER_STORAGE];
        assert_int_equal(entries, i < 8 ? i + 1 : 8);
        assert_int_equal(k.tier_used_bytes[MLPS_KV_TIER_STORAGE], entries * TEN_TOKENS);
        assert_true(k.tier_used_bytes[MLPS_KV_TIER_STORAGE] <= 2 * MIB);
        assert_int_equal(npy_files(cache_dir), entries);
    }
    mlps_kv_cache_counters k = counters_of(c);
    assert_int_equal(k.evictions, 42);
    assert_int_equal(k.storage_deletions, 42);
    assert_int_equal(k.offloads_storage, 50);
    assert_false(mlps_kv_cache_contains(c, "a0"));
    assert_false(mlps_kv_cache_contains(c, "b11"));
    assert_true(mlps_kv_cache_contains(c, "b12"));
    assert_true(mlps_kv_cache_contains(c, "b19"));
    assert_int_equal(file_size("a0"), -1);
    assert_false(access_key(c, "a5", MLPS_KV_PHASE_DECODE).ok);
    assert_true(access_key(c, "b19", MLPS_KV_PHASE_DECODE).ok);
    mlps_kv_cache_free(c);
}

typedef struct worker {
    mlps_kv_cache *cache;
    int id;
    int failures;
} worker;

static void *allocate_and_read(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 25; i++) {
        char key[32], previous[32];
        mlps_kv_op_result r;
        mlps_error err = {0};
        snprintf(key, sizeof key, "t%d_req_%02d", w->id, i);
        if (mlps_kv_cache_allocate(w->cache, key, 10, MLPS_KV_PHASE_PREFILL, &r, &err) != 0 || !r.ok)
            w->failures++;
        snprintf(previous, sizeof previous, "t%d_req_%02d", (w->id + 1) % 4, i > 0 ? i - 1 : 0);
        if (mlps_kv_cache_access(w->cache, previous, MLPS_KV_PHASE_DECODE, MLPS_KV_READ_USER, &r,
                                 &err) != 0)
            w->failures++;
    }
    return NULL;
}

static void test_four_threads_keep_exact_accounting(void **state)
{
    (void)state;
    mlps_kv_cache_params p = base_params();
    p.gpu_simulated = true;
    p.gpu_limit_bytes = MIB;
    p.cpu_limit_bytes = MIB;
    p.storage_limit_bytes = 2 * MIB;
    p.max_concurrent_allocs = 2;
    mlps_kv_cache *c = new_cache(&p);
    pthread_t threads[4];
    worker workers[4];
    for (int t = 0; t < 4; t++) {
        workers[t] = (worker){.cache = c, .id = t};
        assert_int_equal(pthread_create(&threads[t], NULL, allocate_and_read, &workers[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(threads[t], NULL);
        assert_int_equal(workers[t].failures, 0);
    }
    mlps_kv_cache_counters k = counters_of(c);
    assert_int_equal(k.write_operations, 100);
    assert_int_equal(k.total_write_bytes, 100 * TEN_TOKENS);
    assert_int_equal(k.cache_hits + k.cache_misses, 100);
    uint64_t entries = 0;
    for (int t = 0; t < MLPS_KV_TIER_COUNT; t++) {
        assert_int_equal(k.tier_used_bytes[t], k.tier_entries[t] * TEN_TOKENS);
        entries += k.tier_entries[t];
    }
    assert_int_equal(entries + k.storage_deletions, 100);
    assert_int_equal(npy_files(cache_dir), k.tier_entries[MLPS_KV_TIER_STORAGE]);
    assert_true(k.storage_deletions > 0);
    assert_true(k.offloads_cpu > 0);
    mlps_kv_cache_free(c);
    assert_int_equal(npy_files(cache_dir), 0);
}

static void test_simulated_gpu_latency_is_bytes_over_bandwidth(void **state)
{
    (void)state;
    mlps_kv_cache_params p = base_params();
    p.gpu_simulated = true;
    p.gpu_limit_bytes = MIB;
    p.gpu_bandwidth_gib_s = 64;
    mlps_kv_cache *c = new_cache(&p);
    double expected = (double)TEN_TOKENS / (64.0 * 1073741824.0);
    mlps_kv_op_result r = allocate(c, "g0", 10);
    assert_int_equal(r.tier, MLPS_KV_TIER_GPU);
    assert_true(r.seconds == expected);
    r = access_key(c, "g0", MLPS_KV_PHASE_DECODE);
    assert_int_equal(r.tier, MLPS_KV_TIER_GPU);
    assert_true(r.seconds == expected);
    for (int i = 1; i < 4; i++) {
        char key[8];
        snprintf(key, sizeof key, "g%d", i);
        allocate(c, key, 10);
    }
    /* No cpu tier: the gpu's LRU entry went straight to storage, its bytes re-created. */
    mlps_kv_cache_counters k = counters_of(c);
    assert_true(k.gpu_simulated);
    assert_int_equal(k.tier_entries[MLPS_KV_TIER_GPU], 3);
    assert_int_equal(k.tier_entries[MLPS_KV_TIER_STORAGE], 1);
    assert_int_equal(k.spill_bytes_read[MLPS_KV_TIER_GPU], TEN_TOKENS);
    assert_int_equal(npy_files(cache_dir), 1);
    assert_file_holds_entry("g0", TEN_TOKENS);
    mlps_kv_cache_free(c);
}

static void test_trace_mode_moves_nothing_and_logs_every_operation(void **state)
{
    (void)state;
    mlps_kv_trace trace = {.lock = PTHREAD_MUTEX_INITIALIZER};
    mlps_kv_cache_params p = base_params();
    p.cache_dir = NULL;
    p.trace = &trace;
    p.gpu_limit_bytes = MIB; /* present in trace mode although not simulated */
    p.cpu_limit_bytes = MIB;
    mlps_kv_cache *c = new_cache(&p);
    for (int i = 0; i < 4; i++) {
        char key[8];
        snprintf(key, sizeof key, "r%d", i);
        mlps_kv_op_result r = allocate(c, key, 10);
        assert_int_equal(r.tier, MLPS_KV_TIER_GPU);
        assert_true(r.seconds == 0.0);
    }
    mlps_kv_op_result r = access_key(c, "r0", MLPS_KV_PHASE_DECODE);
    assert_int_equal(r.tier, MLPS_KV_TIER_CPU);
    assert_int_equal(mlps_kv_trace_rows(&trace), 7);
    fake_row expected[7] = {
        {true, TEN_TOKENS, MLPS_KV_TIER_GPU, "r0", MLPS_KV_PHASE_PREFILL},
        {true, TEN_TOKENS, MLPS_KV_TIER_GPU, "r1", MLPS_KV_PHASE_PREFILL},
        {true, TEN_TOKENS, MLPS_KV_TIER_GPU, "r2", MLPS_KV_PHASE_PREFILL},
        {false, TEN_TOKENS, MLPS_KV_TIER_GPU, "r0", MLPS_KV_PHASE_EVICT},
        {true, TEN_TOKENS, MLPS_KV_TIER_CPU, "r0", MLPS_KV_PHASE_EVICT},
        {true, TEN_TOKENS, MLPS_KV_TIER_GPU, "r3", MLPS_KV_PHASE_PREFILL},
        {false, TEN_TOKENS, MLPS_KV_TIER_CPU, "r0", MLPS_KV_PHASE_DECODE},
    };
    for (int i = 0; i < 7; i++) {
        assert_int_equal(trace.rows[i].write, expected[i].write);
        assert_int_equal(trace.rows[i].bytes, expected[i].bytes);
        assert_int_equal(trace.rows[i].tier, expected[i].tier);
        assert_string_equal(trace.rows[i].key, expected[i].key);
        assert_int_equal(trace.rows[i].phase, expected[i].phase);
    }
    mlps_kv_cache_counters k = counters_of(c);
    assert_true(k.tier_present[MLPS_KV_TIER_GPU]);
    assert_false(k.gpu_simulated);
    assert_int_equal(k.tier_limit_bytes[MLPS_KV_TIER_STORAGE], UINT64_MAX);
    assert_int_equal(k.offloads_cpu, 1);
    assert_int_equal(npy_files(cache_dir), 0);
    mlps_kv_cache_free(c);
}

static void touch(const char *relative)
{
    char path[PATH_MAX + 80];
    snprintf(path, sizeof path, "%s/%s", cache_dir, relative);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("keep", f);
    fclose(f);
}

static bool exists(const char *relative)
{
    char path[PATH_MAX + 80];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", cache_dir, relative);
    return lstat(path, &st) == 0;
}

static void test_start_removes_only_npy_files(void **state)
{
    (void)state;
    char sub[PATH_MAX + 80];
    snprintf(sub, sizeof sub, "%s/sub", cache_dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(sub, sizeof sub, "%s/dir.npy", cache_dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    touch("old_entry.npy");
    touch("foo.txt");
    touch("notes.npy.txt");
    touch("sub/nested.npy");
    mlps_kv_cache_params p = base_params();
    mlps_kv_cache *c = new_cache(&p);
    assert_false(exists("old_entry.npy"));
    assert_true(exists("foo.txt"));
    assert_true(exists("notes.npy.txt"));
    assert_true(exists("sub/nested.npy"));
    assert_true(exists("dir.npy"));
    assert_int_equal(count_entries(cache_dir), 4);
    allocate(c, "fresh", 1);
    mlps_kv_cache_free(c);
    assert_false(exists("fresh.npy"));
    assert_true(exists("foo.txt"));
    assert_true(exists("sub/nested.npy"));
}

static void test_direct_io_round_trip(void **state)
{
    (void)state;
    mlps_kv_cache_params p = base_params();
    p.direct_io = true;
    mlps_kv_cache *c = NULL;
    mlps_error err = {0};
    if (mlps_kv_cache_new(&p, &c, &err) != 0) {
        assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
        assert_non_null(strstr(err.message, "O_DIRECT"));
        skip(); /* this filesystem has no O_DIRECT */
    }
    assert_int_equal(npy_files(cache_dir), 0); /* the probe file is gone */
    /* 3 tokens: 128 + 73,728 bytes, not a multiple of 4 KiB: the padded tail is cut off. */
    mlps_kv_op_result r = allocate(c, "direct0", 3);
    assert_int_equal(r.tier, MLPS_KV_TIER_STORAGE);
    assert_int_equal(file_size("direct0"), 128 + 3 * 24576);
    assert_file_holds_entry("direct0", 3 * 24576);
    r = access_key(c, "direct0", MLPS_KV_PHASE_DECODE);
    assert_true(r.ok);
    allocate(c, "direct1", 200); /* more than one 4 MiB piece */
    assert_file_holds_entry("direct1", 200 * 24576);
    assert_true(access_key(c, "direct1", MLPS_KV_PHASE_DECODE).ok);
    mlps_kv_cache_free(c);
}

static void test_bad_keys_and_missing_dir_are_refused(void **state)
{
    (void)state;
    mlps_kv_cache_params p = base_params();
    mlps_kv_cache *c = new_cache(&p);
    mlps_kv_op_result r;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_cache_allocate(c, "a/b", 1, MLPS_KV_PHASE_PREFILL, &r, &err), -EINVAL);
    assert_false(r.ok);
    assert_int_equal(mlps_kv_cache_allocate(c, "", 1, MLPS_KV_PHASE_PREFILL, &r, &err), -EINVAL);
    mlps_kv_cache_free(c);

    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/absent", cache_dir);
    p.cache_dir = missing;
    assert_int_equal(mlps_kv_cache_new(&p, &c, &err), -ENOENT);
    assert_non_null(strstr(err.message, "absent"));
}

/* An s3:// cache is told apart from a directory, and refused before any request when it has no
 * capacity (no free space to ask an object store for) or asks for O_DIRECT. */
static void test_object_store_needs_a_limit_and_no_direct_io(void **state)
{
    (void)state;
    assert_true(mlps_kv_cache_dir_is_object_store("s3://bucket/kv"));
    assert_false(mlps_kv_cache_dir_is_object_store("/tmp/s3://x"));
    assert_false(mlps_kv_cache_dir_is_object_store("s3:/bucket"));
    assert_false(mlps_kv_cache_dir_is_object_store(NULL));
    mlps_kv_cache_params p = base_params();
    p.cache_dir = "s3://bucket/kv";
    p.storage_limit_bytes = 0;
    mlps_kv_cache *c = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_cache_new(&p, &c, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message, "--cache-dir s3://bucket/kv: an object store needs "
                                     "--storage-capacity-gb (its free space cannot be asked for)");
    p.storage_limit_bytes = 1 << 20;
    p.direct_io = true;
    assert_int_equal(mlps_kv_cache_new(&p, &c, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_string_equal(err.message,
                        "--direct-io: not possible with --cache-dir s3://bucket/kv (files only)");
    assert_null(c);
}

/* ---- a device that fills up: the real storage backend behind a byte budget, so a full disk
 * can be met without a small filesystem. ---- */
typedef struct small_disk {
    mlps_kv_backend base;
    mlps_kv_backend *real;
    uint64_t capacity, stored;
} small_disk;

static int small_write(mlps_kv_backend *b, const mlps_kv_tier_op *op, const mlps_kv_source *src,
                       mlps_kv_io_time *time, double *source_seconds, mlps_error *err)
{
    small_disk *d = (small_disk *)b;
    if (d->stored + op->shape->bytes > d->capacity)
        return mlps_fail(err, -ENOSPC, "small disk: full");
    int rc = d->real->ops->write(d->real, op, src, time, source_seconds, err);
    if (rc == 0)
        d->stored += op->shape->bytes;
    return rc;
}

static int small_read(mlps_kv_backend *b, const mlps_kv_tier_op *op, mlps_kv_io_time *time,
                      mlps_error *err)
{
    small_disk *d = (small_disk *)b;
    return d->real->ops->read(d->real, op, time, err);
}

static mlps_kv_source small_source(mlps_kv_backend *b, const mlps_kv_tier_op *op)
{
    small_disk *d = (small_disk *)b;
    return d->real->ops->source(d->real, op);
}

static void small_remove(mlps_kv_backend *b, const mlps_kv_tier_op *op)
{
    small_disk *d = (small_disk *)b;
    d->real->ops->remove(d->real, op);
    d->stored -= op->shape->bytes;
}

static void small_destroy(mlps_kv_backend *b)
{
    small_disk *d = (small_disk *)b;
    d->real->ops->destroy(d->real);
}

static const mlps_kv_backend_ops small_ops = {
    .write = small_write,
    .read = small_read,
    .source = small_source,
    .remove = small_remove,
    .destroy = small_destroy,
};

/* The device fills before the tier's limit: the oldest stored entries are deleted until the
 * write fits; an entry bigger than the device fails naming cache_dir and the bytes, with no
 * file and no reservation left behind. */
static void test_full_device_deletes_oldest_then_fails_cleanly(void **state)
{
    (void)state;
    mlps_kv_cache_params p = base_params();
    p.storage_limit_bytes = 8 * MIB;
    mlps_kv_cache *c = new_cache(&p);
    small_disk disk = {.base = {&small_ops, MLPS_KV_TIER_STORAGE},
                       .real = c->tiers[MLPS_KV_TIER_STORAGE].backend,
                       .capacity = 3 * TEN_TOKENS};
    c->tiers[MLPS_KV_TIER_STORAGE].backend = &disk.base;
    for (int i = 0; i < 5; i++) {
        char key[8];
        snprintf(key, sizeof key, "f%d", i);
        allocate(c, key, 10);
    }
    mlps_kv_cache_counters k = counters_of(c);
    assert_int_equal(k.tier_entries[MLPS_KV_TIER_STORAGE], 3);
    assert_int_equal(k.tier_used_bytes[MLPS_KV_TIER_STORAGE], 3 * TEN_TOKENS);
    assert_int_equal(k.storage_deletions, 2);
    assert_false(mlps_kv_cache_contains(c, "f1"));
    assert_true(mlps_kv_cache_contains(c, "f2"));
    assert_int_equal(npy_files(cache_dir), 3);

    allocate(c, "twenty", 20); /* two more go */
    k = counters_of(c);
    assert_int_equal(k.tier_entries[MLPS_KV_TIER_STORAGE], 2);
    assert_int_equal(k.tier_used_bytes[MLPS_KV_TIER_STORAGE], 3 * TEN_TOKENS);

    mlps_kv_op_result r;
    mlps_error err = {0};
    assert_int_equal(mlps_kv_cache_allocate(c, "forty", 40, MLPS_KV_PHASE_PREFILL, &r, &err),
                     -ENOSPC);
    assert_false(r.ok);
    assert_non_null(strstr(err.message, cache_dir));
    assert_non_null(strstr(err.message, "983040 bytes"));
    k = counters_of(c);
    assert_int_equal(k.tier_entries[MLPS_KV_TIER_STORAGE], 0);
    assert_int_equal(k.tier_used_bytes[MLPS_KV_TIER_STORAGE], 0);
    assert_false(mlps_kv_cache_contains(c, "forty"));
    assert_int_equal(npy_files(cache_dir), 0);
    mlps_kv_cache_free(c);
}

static int setup(void **state)
{
    (void)state;
    mlps_kv_model_set set;
    mlps_error err = {0};
    if (mlps_kv_models_init(&set, NULL, &err) != 0)
        return -1;
    tiny_model = *mlps_kv_models_find(&set, "tiny-1b");
    mlps_kv_models_free(&set);
    return scratch_create("test_kv_cache");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_storage_entry_is_a_npy_file, setup_case),
        cmocka_unit_test_setup(test_waterfall_demotes_cpu_lru_to_storage, setup_case),
        cmocka_unit_test_setup(test_reads_never_promote, setup_case),
        cmocka_unit_test_setup(test_storage_only_fills_to_the_limit_and_deletes_oldest, setup_case),
        cmocka_unit_test_setup(test_four_threads_keep_exact_accounting, setup_case),
        cmocka_unit_test_setup(test_simulated_gpu_latency_is_bytes_over_bandwidth, setup_case),
        cmocka_unit_test_setup(test_trace_mode_moves_nothing_and_logs_every_operation, setup_case),
        cmocka_unit_test_setup(test_start_removes_only_npy_files, setup_case),
        cmocka_unit_test_setup(test_direct_io_round_trip, setup_case),
        cmocka_unit_test_setup(test_bad_keys_and_missing_dir_are_refused, setup_case),
        cmocka_unit_test_setup(test_object_store_needs_a_limit_and_no_direct_io, setup_case),
        cmocka_unit_test_setup(test_full_device_deletes_oldest_then_fails_cleanly, setup_case),
    };
    return cmocka_run_group_tests(tests, setup, remove_scratch);
}
