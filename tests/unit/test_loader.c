/* The training loader over real files: datasets written by the format writers into a file://
 * store, read back by mlps_loader with a simple sample order. Checks the bytes of every batch
 * against the extents the format itself reports, the counters, the in-order hand-off for several
 * thread and prefetch settings, the read-ahead bound (seen from the order callback, which tells
 * which batches have been claimed), direct:// padding, and the errors of missing and truncated
 * files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <time.h>

#include "formats/format.h"
#include "io/store.h"
#include "io_test_util.h"
#include "training/layout.h"
#include "training/loader.h"

#define FILES 12
#define SAMPLES_PER_FILE 4
#define BATCH 3
#define BATCHES 12 /* 36 samples of the 48: an epoch shift of up to 12 stays inside the dataset */
#define EPOCH_SHIFT 5
#define TRANSFER 4096
#define DEPTH 2

/* --- a dataset on disk --- */

typedef struct dataset {
    char dir[1024];
    char uri[1100];
    const mlps_format *format;
    mlps_format_params params;
    mlps_sample_extent extents[FILES][SAMPLES_PER_FILE]; /* as the format locates them */
    uint64_t sizes[FILES];
} dataset;

static int name_file(void *ctx, uint64_t file, char *out, size_t size, uint64_t *file_size,
                     mlps_error *err)
{
    const dataset *d = ctx;
    *file_size = d->sizes[file];
    int len = snprintf(out, size, "img_%" PRIu64 ".%s", file, d->format->extension);
    if (len < 0 || (size_t)len >= size)
        return mlps_fail(err, -ENAMETOOLONG, "file name %" PRIu64 " too long", file);
    return 0;
}

static void write_through_store(mlps_store *store, const char *name, const void *data,
                                size_t size)
{
    mlps_file *file = NULL;
    mlps_error err = {0};
    if (mlps_file_open(store, name, MLPS_OPEN_WRITE | MLPS_OPEN_CREATE | MLPS_OPEN_TRUNCATE,
                       &file, &err) ||
        mlps_file_pwrite_full(file, data, size, 0, &err) || mlps_file_close(file, &err))
        fail_msg("writing %s: %s", name, err.message);
}

/* Files of distinct sizes growing with the index (so every batch's byte count tells which batch
 * it is), none a multiple of 4096 (so direct:// pads). */
static void make_dataset(dataset *d, const char *format, const char *tag)
{
    memset(d, 0, sizeof *d);
    io_test_make_dir(tag, d->dir, sizeof d->dir);
    snprintf(d->uri, sizeof d->uri, "file://%s", d->dir);
    d->format = mlps_format_find(format);
    assert_non_null(d->format);
    d->params = (mlps_format_params){.samples_per_file = SAMPLES_PER_FILE, .element_bytes = 1,
                                     .element_type = "uint8", .compression = "none", .seed = 11};
    mlps_store *store = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open(d->uri, NULL, &store, &err), 0);
    for (uint64_t i = 0; i < FILES; i++) {
        mlps_format_file file = {.index = i, .d1 = 1, .d2 = 3000 + 517 * i};
        mlps_memory_sink memory;
        mlps_sink sink;
        mlps_memory_sink_init(&sink, &memory);
        assert_int_equal(d->format->write(&d->params, &file, &sink, &err), 0);
        mlps_source source;
        mlps_memory_source_init(&source, memory.data, memory.size, "memory");
        assert_int_equal(d->format->locate_samples(&d->params, &source, d->extents[i], &err), 0);
        d->sizes[i] = memory.size;
        char name[64];
        uint64_t listed = 0;
        assert_int_equal(name_file(d, i, name, sizeof name, &listed, &err), 0);
        assert_int_equal(listed, memory.size);
        write_through_store(store, name, memory.data, memory.size);
        mlps_memory_sink_free(&memory);
    }
    mlps_store_close(store);
}

static void remove_dataset(dataset *d)
{
    io_test_remove_tree(d->dir);
}

/* --- the sample order, and what it tells about claims --- */

typedef struct order_log {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    const dataset *data;
    uint64_t epoch;           /* the epoch being watched */
    uint64_t batches_seen;    /* 1 + the highest batch index asked about in that epoch */
    uint64_t taking;          /* the consumer has asked for (or taken) this many batches */
    unsigned window;          /* the documented read-ahead bound */
    unsigned beyond_window;   /* samples asked for beyond consumed + window */
    uint64_t calls;
} order_log;

static void order_coordinates(uint64_t epoch, uint64_t k, uint64_t *file, uint64_t *sample)
{
    uint64_t g = (k + epoch * EPOCH_SHIFT) % (FILES * SAMPLES_PER_FILE);
    *file = g / SAMPLES_PER_FILE;
    *sample = g % SAMPLES_PER_FILE;
}

static int logged_order(void *ctx, uint64_t epoch, uint64_t k, uint64_t *file, uint64_t *sample,
                        mlps_error *err)
{
    (void)err;
    order_log *log = ctx;
    order_coordinates(epoch, k, file, sample);
    uint64_t batch = k / BATCH;
    pthread_mutex_lock(&log->lock);
    log->calls++;
    if (epoch == log->epoch) {
        /* consumed <= taking while the consumer waits, so a claim must lie below this. */
        if (batch >= log->taking + log->window)
            log->beyond_window++;
        if (batch + 1 > log->batches_seen) {
            log->batches_seen = batch + 1;
            pthread_cond_broadcast(&log->changed);
        }
    }
    pthread_mutex_unlock(&log->lock);
    return 0;
}

static void order_log_init(order_log *log, const dataset *data, unsigned window)
{
    memset(log, 0, sizeof *log);
    pthread_mutex_init(&log->lock, NULL);
    pthread_cond_init(&log->changed, NULL);
    log->data = data;
    log->window = window;
}

static void order_log_destroy(order_log *log)
{
    pthread_mutex_destroy(&log->lock);
    pthread_cond_destroy(&log->changed);
}

static void watch_epoch(order_log *log, uint64_t epoch)
{
    pthread_mutex_lock(&log->lock);
    log->epoch = epoch;
    log->batches_seen = 0;
    log->taking = 0;
    pthread_mutex_unlock(&log->lock);
}

static void about_to_take(order_log *log, uint64_t batch)
{
    pthread_mutex_lock(&log->lock);
    log->taking = batch + 1;
    pthread_mutex_unlock(&log->lock);
}

/* Waits (up to a generous deadline, so a broken loader fails instead of hanging) until batch
 * `batch` has been asked about; returns batches_seen. */
static uint64_t wait_until_claimed(order_log *log, uint64_t batch)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&log->lock);
    while (log->batches_seen <= batch) {
        if (pthread_cond_timedwait(&log->changed, &log->lock, &deadline) != 0)
            break;
    }
    uint64_t seen = log->batches_seen;
    pthread_mutex_unlock(&log->lock);
    return seen;
}

/* --- what a batch should cost --- */

typedef struct expected_io {
    uint64_t sample_bytes, bytes_read, requests, samples;
} expected_io;

static uint64_t round_down(uint64_t x, uint64_t a) { return x - x % a; }
static uint64_t round_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* One span read: aligned for the store, cut at the end of the file, in requests that end at
 * multiples of the transfer size in the file. */
static void expect_span(const dataset *d, uint64_t file, uint64_t offset, uint64_t end_offset,
                        size_t alignment, expected_io *io)
{
    uint64_t start = round_down(offset, alignment);
    uint64_t end = round_up(end_offset, alignment);
    uint64_t transfer = round_up(TRANSFER, alignment);
    io->bytes_read += (end < d->sizes[file] ? end : d->sizes[file]) - start;
    io->requests += (end - 1) / transfer - start / transfer + 1;
}

/* Samples [first, end) of a batch read by one thread: consecutive samples with the same extent
 * of the same file are read once, and extents that touch (the next starts where the last
 * ended) are read as one span. */
static void expect_part(const dataset *d, uint64_t epoch, uint64_t first, uint64_t end,
                        size_t alignment, expected_io *io)
{
    uint64_t last_file = UINT64_MAX, span_start = 0, span_end = 0;
    mlps_sample_extent last = {0};
    for (uint64_t k = first; k < end; k++) {
        uint64_t file, sample;
        order_coordinates(epoch, k, &file, &sample);
        mlps_sample_extent e = d->extents[file][sample];
        io->samples++;
        if (file == last_file && e.offset == last.offset && e.length == last.length)
            continue;
        io->sample_bytes += e.length;
        if (file == last_file && e.offset == span_end) {
            span_end += e.length;
        } else {
            if (last_file != UINT64_MAX)
                expect_span(d, last_file, span_start, span_end, alignment, io);
            span_start = e.offset;
            span_end = e.offset + e.length;
        }
        last_file = file;
        last = e;
    }
    if (last_file != UINT64_MAX)
        expect_span(d, last_file, span_start, span_end, alignment, io);
}

/* A batch cut into `parts` runs of consecutive samples (as evenly as they go), each read on its
 * own; returns the batch's sample bytes. */
static uint64_t expect_batch(const dataset *d, uint64_t epoch, uint64_t batch, unsigned parts,
                             size_t alignment, expected_io *io)
{
    uint64_t before = io->sample_bytes;
    for (unsigned p = 0; p < parts; p++)
        expect_part(d, epoch, batch * BATCH + BATCH * p / parts,
                    batch * BATCH + BATCH * (p + 1) / parts, alignment, io);
    return io->sample_bytes - before;
}

static bool batch_reads_file(uint64_t epoch, uint64_t batch, uint64_t wanted)
{
    for (uint64_t k = batch * BATCH; k < (batch + 1) * BATCH; k++) {
        uint64_t file, sample;
        order_coordinates(epoch, k, &file, &sample);
        if (file == wanted)
            return true;
    }
    return false;
}

/* --- a loader over a dataset --- */

typedef struct rig {
    mlps_store *store;
    mlps_layout_cache *layouts;
    mlps_loader *loader;
    order_log log;
    size_t alignment;
    unsigned parts; /* per batch */
} rig;

static unsigned window_of(unsigned threads, unsigned prefetch)
{
    return threads * ((prefetch + threads - 1) / threads);
}

static void rig_open_parts(rig *r, dataset *d, const char *uri, unsigned threads,
                           unsigned prefetch, unsigned parts)
{
    memset(r, 0, sizeof *r);
    r->parts = parts;
    mlps_error err = {0};
    if (mlps_store_open(uri, NULL, &r->store, &err) ||
        mlps_layout_cache_create(r->store, d->format, &d->params, FILES, name_file, d,
                                 &r->layouts, &err))
        fail_msg("%s", err.message);
    r->alignment = mlps_store_alignment(r->store);
    order_log_init(&r->log, d, window_of(threads, prefetch));
    mlps_loader_config config = {
        .store = r->store, .layouts = r->layouts, .order = logged_order, .order_ctx = &r->log,
        .batch_size = BATCH, .batches_per_epoch = BATCHES, .read_threads = threads,
        .prefetch_size = prefetch, .queue_depth = DEPTH, .transfer_size = TRANSFER,
        .parts_per_batch = parts};
    if (mlps_loader_create(&config, &r->loader, &err))
        fail_msg("%s", err.message);
}

static void rig_open(rig *r, dataset *d, const char *uri, unsigned threads, unsigned prefetch)
{
    rig_open_parts(r, d, uri, threads, prefetch, 1);
}

static void rig_close(rig *r)
{
    mlps_loader_destroy(r->loader);
    mlps_layout_cache_destroy(r->layouts);
    mlps_store_close(r->store);
    order_log_destroy(&r->log);
}

static void start_epoch(rig *r, uint64_t epoch)
{
    mlps_error err = {0};
    watch_epoch(&r->log, epoch);
    assert_int_equal(mlps_loader_start_epoch(r->loader, epoch, &err), 0);
}

static void expect_stats(rig *r, const expected_io *io)
{
    mlps_loader_stats stats;
    mlps_loader_stats_merged(r->loader, &stats);
    assert_int_equal(stats.sample_bytes, io->sample_bytes);
    assert_int_equal(stats.bytes_read, io->bytes_read);
    assert_true(stats.bytes_read >= stats.sample_bytes);
    assert_int_equal(stats.samples, io->samples);
    assert_int_equal(stats.requests, io->requests);
    assert_true(stats.requests > 0);
    assert_int_equal(stats.read_latency_ns.count, stats.requests);
}

static bool samples_have_own_extents(const dataset *d)
{
    return d->extents[0][0].offset != d->extents[0][1].offset;
}

/* Consumes a whole epoch checking every batch's bytes, in order, and the read-ahead: before
 * batch b is taken the loader has claimed exactly up to b + window - 1 (it reads ahead as far as
 * allowed, and no further). */
static void consume_epoch(rig *r, const dataset *d, uint64_t epoch, expected_io *io)
{
    start_epoch(r, epoch);
    uint64_t previous = 0;
    for (uint64_t b = 0; b < BATCHES; b++) {
        uint64_t last_allowed = b + r->log.window - 1;
        if (last_allowed > BATCHES - 1)
            last_allowed = BATCHES - 1;
        assert_int_equal(wait_until_claimed(&r->log, last_allowed), last_allowed + 1);
        about_to_take(&r->log, b);
        uint64_t bytes = 0;
        mlps_error err = {0};
        if (mlps_loader_next_batch(r->loader, &bytes, &err))
            fail_msg("batch %" PRIu64 ": %s", b, err.message);
        assert_int_equal(bytes, expect_batch(d, epoch, b, r->parts, r->alignment, io));
        /* With one extent per sample the order makes batches grow: none came out of turn. */
        if (samples_have_own_extents(d))
            assert_true(bytes > previous);
        previous = bytes;
    }
    mlps_error err = {0};
    uint64_t bytes = 0;
    assert_int_equal(mlps_loader_next_batch(r->loader, &bytes, &err), -ERANGE);
    mlps_loader_end_epoch(r->loader);
    assert_int_equal(r->log.beyond_window, 0);
}

/* --- tests --- */

static void check_settings(const char *format, unsigned threads, unsigned prefetch,
                           unsigned parts)
{
    dataset d;
    make_dataset(&d, format, "loader");
    rig r;
    rig_open_parts(&r, &d, d.uri, threads, prefetch, parts);
    expected_io io = {0};
    consume_epoch(&r, &d, 1, &io);
    consume_epoch(&r, &d, 2, &io);
    expect_stats(&r, &io);
    assert_int_equal(io.bytes_read, io.sample_bytes); /* file:// reads exactly the samples */
    rig_close(&r);
    remove_dataset(&d);
}

static void test_batches_in_order_for_every_thread_and_prefetch_setting(void **state)
{
    (void)state;
    static const unsigned threads[] = {1, 3, 8}, prefetch[] = {1, 2, 5};
    for (size_t t = 0; t < 3; t++)
        for (size_t p = 0; p < 3; p++)
            check_settings("indexed_binary", threads[t], prefetch[p], 1);
}

/* npy: every sample of a file is the one array, so consecutive samples of a file are read once
 * per batch. */
static void test_samples_sharing_an_extent_are_read_once_per_batch(void **state)
{
    (void)state;
    check_settings("npy", 3, 2, 1);
}

/* Batches cut into parts that any free thread reads (TensorFlow's readers): still in order,
 * exact bytes, and the read-ahead bound holds in batches. Parts of 1 sample (3 parts of a batch
 * of 3) and of 1 or 2 (2 parts); more parts than samples are capped at one per sample. */
static void test_batches_in_parts_for_every_thread_setting(void **state)
{
    (void)state;
    static const unsigned threads[] = {1, 2, 3, 8}, parts[] = {2, 3, 5};
    for (size_t t = 0; t < 4; t++)
        for (size_t p = 0; p < 3; p++)
            check_settings("indexed_binary", threads[t], 2, parts[p]);
}

static int fixed_order(void *ctx, uint64_t epoch, uint64_t k, uint64_t *file, uint64_t *sample,
                       mlps_error *err)
{
    (void)ctx, (void)epoch, (void)err;
    static const uint64_t files[BATCH] = {0, 1, 0}; /* file 0, then 1, then 0 again */
    *file = files[k % BATCH];
    *sample = k % BATCH;
    return 0;
}

/* Reads batch 0 of epoch 1 of d in `order` with one reader thread; its bytes and the counters. */
static uint64_t read_one_batch(const dataset *d, mlps_sample_order order, uint64_t batch_size,
                               mlps_loader_stats *stats)
{
    mlps_store *store = NULL;
    mlps_layout_cache *layouts = NULL;
    mlps_loader *loader = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_store_open(d->uri, NULL, &store, &err), 0);
    assert_int_equal(mlps_layout_cache_create(store, d->format, &d->params, FILES, name_file,
                                              (void *)d, &layouts, &err), 0);
    mlps_loader_config config = {.store = store, .layouts = layouts, .order = order,
                                 .batch_size = batch_size, .batches_per_epoch = 1,
                                 .read_threads = 1, .prefetch_size = 1, .queue_depth = DEPTH,
                                 .transfer_size = TRANSFER};
    assert_int_equal(mlps_loader_create(&config, &loader, &err), 0);
    assert_int_equal(mlps_loader_start_epoch(loader, 1, &err), 0);
    uint64_t bytes = 0;
    if (mlps_loader_next_batch(loader, &bytes, &err))
        fail_msg("%s", err.message);
    mlps_loader_end_epoch(loader);
    mlps_loader_stats_merged(loader, stats);
    mlps_loader_destroy(loader);
    mlps_layout_cache_destroy(layouts);
    mlps_store_close(store);
    return bytes;
}

/* Only consecutive samples are merged: file 0, file 1, file 0 reads file 0's array twice. */
static void test_only_consecutive_shared_extents_are_merged(void **state)
{
    (void)state;
    dataset d;
    make_dataset(&d, "npy", "loader-merge");
    mlps_loader_stats stats;
    uint64_t bytes = read_one_batch(&d, fixed_order, BATCH, &stats);
    assert_int_equal(bytes, 2 * d.extents[0][0].length + d.extents[1][0].length);
    assert_int_equal(stats.samples, BATCH);
    assert_int_equal(stats.sample_bytes, bytes);
    remove_dataset(&d);
}

static int first_file_in_order(void *ctx, uint64_t epoch, uint64_t k, uint64_t *file,
                               uint64_t *sample, mlps_error *err)
{
    (void)ctx, (void)epoch, (void)err;
    *file = 0;
    *sample = k % SAMPLES_PER_FILE;
    return 0;
}

/* Adjacent samples (the four 3000-byte records of indexed_binary file 0, bytes 0..12000) are
 * read as a stream reads them: requests end at multiples of the transfer size (4096), so three
 * requests (4096, 4096, 3808 bytes) rather than one per sample. */
static void test_adjacent_samples_are_read_in_whole_transfers(void **state)
{
    (void)state;
    dataset d;
    make_dataset(&d, "indexed_binary", "loader-adjacent");
    assert_int_equal(d.extents[0][1].offset, d.extents[0][0].offset + d.extents[0][0].length);
    mlps_loader_stats stats;
    uint64_t bytes = read_one_batch(&d, first_file_in_order, SAMPLES_PER_FILE, &stats);
    assert_int_equal(bytes, 12000);
    assert_int_equal(stats.bytes_read, 12000);
    assert_int_equal(stats.requests, 3);
    assert_int_equal(stats.samples, 4);
    remove_dataset(&d);
}

static void test_direct_reads_count_alignment_padding(void **state)
{
    (void)state;
    dataset d;
    make_dataset(&d, "indexed_binary", "loader-direct");
    if (!io_test_dir_takes_o_direct(d.dir)) {
        remove_dataset(&d);
        skip();
    }
    char uri[1100];
    snprintf(uri, sizeof uri, "direct://%s", d.dir);
    rig r;
    rig_open(&r, &d, uri, 3, 2);
    assert_true(r.alignment > 1);
    expected_io io = {0};
    consume_epoch(&r, &d, 1, &io);
    expect_stats(&r, &io);
    assert_true(io.bytes_read > io.sample_bytes); /* the padding is there, and counted */
    rig_close(&r);
    remove_dataset(&d);
}

/* Consumes an epoch in which the batches reading `broken` fail with a message holding every
 * string of `expected` and the others come out right. */
static void expect_failures_on_file(rig *r, const dataset *d, uint64_t epoch, uint64_t broken,
                                    const char *const *expected, size_t count)
{
    start_epoch(r, epoch);
    unsigned failures = 0;
    expected_io io = {0};
    for (uint64_t b = 0; b < BATCHES; b++) {
        uint64_t bytes = 0;
        mlps_error err = {0};
        int rc = mlps_loader_next_batch(r->loader, &bytes, &err);
        if (!batch_reads_file(epoch, b, broken)) {
            if (rc)
                fail_msg("batch %" PRIu64 " failed: %s", b, err.message);
            assert_int_equal(bytes, expect_batch(d, epoch, b, r->parts, r->alignment, &io));
            continue;
        }
        failures++;
        assert_true(rc < 0);
        assert_int_equal(err.code, rc);
        assert_null(strchr(err.message, '\n'));
        for (size_t i = 0; i < count; i++)
            if (!strstr(err.message, expected[i]))
                fail_msg("batch %" PRIu64 ": '%s' lacks '%s'", b, err.message, expected[i]);
    }
    assert_true(failures > 0);
    mlps_loader_end_epoch(r->loader);
}

static void test_missing_file_fails_its_batches_naming_it(void **state)
{
    (void)state;
    dataset d;
    make_dataset(&d, "indexed_binary", "loader-missing");
    char path[1200];
    snprintf(path, sizeof path, "%s/img_4.indexed_binary", d.dir);
    assert_int_equal(unlink(path), 0);
    rig r;
    rig_open(&r, &d, d.uri, 3, 2);
    const char *expected[] = {"img_4.indexed_binary"};
    expect_failures_on_file(&r, &d, 1, 4, expected, 1);
    rig_close(&r);
    remove_dataset(&d);
}

/* A file cut short before the run: its structure no longer fits, said with the offset. */
static void test_truncated_file_fails_naming_file_and_offset(void **state)
{
    (void)state;
    dataset d;
    make_dataset(&d, "npy", "loader-truncated");
    char path[1200];
    snprintf(path, sizeof path, "%s/img_3.npy", d.dir);
    assert_int_equal(truncate(path, 1000), 0);
    rig r;
    rig_open(&r, &d, d.uri, 3, 2);
    const char *expected[] = {"img_3.npy", "offset"};
    expect_failures_on_file(&r, &d, 1, 3, expected, 2);
    rig_close(&r);
    remove_dataset(&d);
}

/* A file cut short after its layout was learned (between epochs): the short read is an error
 * naming the file and the offset, not the end of the file. */
static void test_file_truncated_during_the_run_is_a_short_read(void **state)
{
    (void)state;
    dataset d;
    make_dataset(&d, "indexed_binary", "loader-shrunk");
    rig r;
    rig_open(&r, &d, d.uri, 3, 2);
    expected_io io = {0};
    consume_epoch(&r, &d, 1, &io); /* learns every layout */
    char path[1200];
    snprintf(path, sizeof path, "%s/img_5.indexed_binary", d.dir);
    assert_int_equal(truncate(path, d.extents[5][1].offset + 100), 0);
    const char *expected[] = {"img_5.indexed_binary", "short read at offset"};
    expect_failures_on_file(&r, &d, 2, 5, expected, 2);
    rig_close(&r);
    remove_dataset(&d);
}

/* The consumer stops after two batches; the next epoch starts clean (no batch of the abandoned
 * one comes out) and nothing is left running or allocated. */
static void test_epoch_ended_early_then_a_full_one(void **state)
{
    (void)state;
    dataset d;
    make_dataset(&d, "indexed_binary", "loader-early");
    rig r;
    rig_open(&r, &d, d.uri, 3, 5);
    start_epoch(&r, 1);
    expected_io ignored = {0};
    for (uint64_t b = 0; b < 2; b++) {
        about_to_take(&r.log, b);
        uint64_t bytes = 0;
        mlps_error err = {0};
        assert_int_equal(mlps_loader_next_batch(r.loader, &bytes, &err), 0);
        assert_int_equal(bytes, expect_batch(&d, 1, b, 1, 1, &ignored));
    }
    mlps_loader_end_epoch(r.loader);
    mlps_loader_stats stats;
    mlps_loader_stats_merged(r.loader, &stats);
    /* What was read ahead and dropped is counted, within the window. */
    assert_true(stats.samples >= 2 * BATCH);
    assert_true(stats.samples <= (2 + (uint64_t)r.log.window) * BATCH);
    assert_int_equal(stats.read_latency_ns.count, stats.requests);
    assert_int_equal(r.log.beyond_window, 0);

    expected_io io = {0};
    consume_epoch(&r, &d, 2, &io);
    rig_close(&r);
    remove_dataset(&d);
}

static void test_destroy_without_an_epoch(void **state)
{
    (void)state;
    dataset d;
    make_dataset(&d, "indexed_binary", "loader-idle");
    rig r;
    rig_open(&r, &d, d.uri, 8, 5);
    assert_int_equal(r.log.calls, 0);
    mlps_loader_stats stats;
    mlps_loader_stats_merged(r.loader, &stats);
    assert_int_equal(stats.requests, 0);
    rig_close(&r);
    remove_dataset(&d);
}

static void test_next_batch_outside_an_epoch_is_an_error(void **state)
{
    (void)state;
    dataset d;
    make_dataset(&d, "indexed_binary", "loader-outside");
    rig r;
    rig_open(&r, &d, d.uri, 1, 1);
    uint64_t bytes = 0;
    mlps_error err = {0};
    assert_int_equal(mlps_loader_next_batch(r.loader, &bytes, &err), -ERANGE);
    assert_non_null(strstr(err.message, "no batch left"));
    rig_close(&r);
    remove_dataset(&d);
}

static void test_zero_threads_batch_or_depth_is_a_usage_error(void **state)
{
    (void)state;
    mlps_loader_config config = {.batch_size = 4, .read_threads = 0, .queue_depth = 2,
                                 .batches_per_epoch = 1};
    mlps_loader *loader = NULL;
    mlps_error err = {0};
    assert_int_equal(mlps_loader_create(&config, &loader, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    assert_non_null(strstr(err.message, "read_threads"));
    assert_null(loader);
}

static void test_buffer_bytes_are_threads_depth_and_aligned_transfer(void **state)
{
    (void)state;
    mlps_loader_config config = {.read_threads = 3, .queue_depth = 4, .transfer_size = 5000};
    assert_int_equal(mlps_loader_buffer_bytes(&config, 1), 3 * 4 * 5000);
    assert_int_equal(mlps_loader_buffer_bytes(&config, 4096), 3 * 4 * 8192);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_in_order_for_every_thread_and_prefetch_setting),
        cmocka_unit_test(test_samples_sharing_an_extent_are_read_once_per_batch),
        cmocka_unit_test(test_batches_in_parts_for_every_thread_setting),
        cmocka_unit_test(test_only_consecutive_shared_extents_are_merged),
        cmocka_unit_test(test_adjacent_samples_are_read_in_whole_transfers),
        cmocka_unit_test(test_direct_reads_count_alignment_padding),
        cmocka_unit_test(test_missing_file_fails_its_batches_naming_it),
        cmocka_unit_test(test_truncated_file_fails_naming_file_and_offset),
        cmocka_unit_test(test_file_truncated_during_the_run_is_a_short_read),
        cmocka_unit_test(test_epoch_ended_early_then_a_full_one),
        cmocka_unit_test(test_destroy_without_an_epoch),
        cmocka_unit_test(test_next_batch_outside_an_epoch_is_an_error),
        cmocka_unit_test(test_zero_threads_batch_or_depth_is_a_usage_error),
        cmocka_unit_test(test_buffer_bytes_are_threads_depth_and_aligned_transfer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
