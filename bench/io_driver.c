/* io_driver: reads or writes one file sequentially through the public storage API only, keeping
 * one queue per thread at the given depth, and prints one machine-readable line
 *   bytes=<n> seconds=<s> MiBps=<m> engine=<name>
 * for bench/io_vs_fio.sh to set beside fio on the same file. Timing runs from the first
 * submission to the end of mlps_file_close, which fsyncs written files (as fio's end_fsync).
 * With --seqwriter a write goes through the sequential writer instead (io/seqwriter.h), as the
 * benchmarks write files: `copy` appends a prepared block again and again, `random` generates
 * the data into the writer's buffers; timing runs from opening the writer to the end of its
 * close (fsync included). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "io/bufpool.h"
#include "io/seqwriter.h"
#include "io/store.h"

typedef struct options {
    const char *uri;
    bool write;
    bool overwrite; /* write into the existing file instead of truncating it first */
    size_t block_size;
    unsigned depth;
    uint64_t size; /* 0: the whole file (reads) */
    unsigned threads;
    mlps_io_engine engine;
    const char *seqwriter; /* NULL, "copy" or "random" */
} options;

typedef struct worker {
    const options *opt;
    mlps_store *store;
    mlps_file *file;
    mlps_bufpool *pool;
    uint64_t start, end;
    const char *engine;
    mlps_error err;
    int rc;
} worker;

static const char usage[] =
    "usage: io_driver --uri URI --rw read|write --size N [--bs N] [--iodepth N] [--threads N]\n"
    "                 [--engine auto|io_uring|sync] [--overwrite] [--seqwriter copy|random]\n"
    "       sizes take K, M, G, T (powers of 1024); --overwrite writes into the existing file\n"
    "       instead of truncating it; --seqwriter writes a fresh file through the sequential\n"
    "       writer (one thread), copying a prepared block or generating random data\n";

/* "1M" -> 1048576; 0 when the text is not a size. */
static uint64_t parse_size(const char *text)
{
    if (!text)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || end == text)
        return 0;
    const char *units = "KMGT";
    const char *unit = *end ? strchr(units, *end & ~0x20) : NULL;
    if (*end && (!unit || end[1]))
        return 0;
    for (const char *u = units; unit && u <= unit; u++)
        value *= 1024;
    return value;
}

static int parse_engine(const char *text, mlps_io_engine *out)
{
    if (strcmp(text, "auto") == 0)
        *out = MLPS_ENGINE_AUTO;
    else if (strcmp(text, "io_uring") == 0)
        *out = MLPS_ENGINE_URING;
    else if (strcmp(text, "sync") == 0)
        *out = MLPS_ENGINE_SYNC;
    else
        return -1;
    return 0;
}

static int bad_option(const char *name, const char *value, const char *valid)
{
    fprintf(stderr, "io_driver: --%s '%s' is not valid; expected %s\n%s", name, value, valid,
            usage);
    return -1;
}

/* Converts one option's text; -1 (after saying why) when it is not valid. */
static int apply_option(int c, const char *value, options *opt, const char **rw)
{
    uint64_t n = parse_size(value);
    switch (c) {
    case 'u': opt->uri = value; return 0;
    case 'o': opt->overwrite = true; return 0;
    case 'r': *rw = value; return 0;
    case 'b': opt->block_size = n; return n ? 0 : bad_option("bs", value, "a size such as 1M");
    case 'd':
        opt->depth = (unsigned)n;
        return n && n <= 4096 ? 0 : bad_option("iodepth", value, "1..4096");
    case 's': opt->size = n; return n ? 0 : bad_option("size", value, "a size such as 2G");
    case 't':
        opt->threads = (unsigned)n;
        return n && n <= 256 ? 0 : bad_option("threads", value, "1..256");
    case 'w':
        opt->seqwriter = value;
        return strcmp(value, "copy") == 0 || strcmp(value, "random") == 0
                   ? 0
                   : bad_option("seqwriter", value, "copy or random");
    case 'e':
        return parse_engine(value, &opt->engine) ? bad_option("engine", value,
                                                               "auto, io_uring or sync")
                                                 : 0;
    }
    fputs(usage, stderr);
    return -1;
}

static int parse_options(int argc, char **argv, options *opt)
{
    static const struct option longopts[] = {
        {"uri", required_argument, 0, 'u'},    {"rw", required_argument, 0, 'r'},
        {"bs", required_argument, 0, 'b'},     {"iodepth", required_argument, 0, 'd'},
        {"size", required_argument, 0, 's'},   {"threads", required_argument, 0, 't'},
        {"engine", required_argument, 0, 'e'}, {"overwrite", no_argument, 0, 'o'},
        {"seqwriter", required_argument, 0, 'w'}, {0, 0, 0, 0},
    };
    *opt = (options){.block_size = 1 << 20, .depth = 16, .threads = 1};
    const char *rw = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
        if (apply_option(c, optarg, opt, &rw) < 0)
            return -1;
    if (!opt->uri || !rw) {
        fprintf(stderr, "io_driver: --uri and --rw are required\n%s", usage);
        return -1;
    }
    if (strcmp(rw, "read") && strcmp(rw, "write"))
        return bad_option("rw", rw, "read or write");
    opt->write = strcmp(rw, "write") == 0;
    if (opt->write && !opt->size) {
        fprintf(stderr, "io_driver: --size is required for --rw write\n%s", usage);
        return -1;
    }
    if (opt->seqwriter && (!opt->write || opt->overwrite || opt->threads != 1)) {
        fprintf(stderr, "io_driver: --seqwriter writes one fresh file: it needs --rw write, one "
                        "thread and no --overwrite\n%s", usage);
        return -1;
    }
    return 0;
}

/* Gives each thread a contiguous, block-aligned part of the file. */
static void split_range(worker *workers, const options *opt, uint64_t size)
{
    uint64_t blocks = (size + opt->block_size - 1) / opt->block_size;
    uint64_t per_thread = (blocks + opt->threads - 1) / opt->threads * opt->block_size;
    for (unsigned t = 0; t < opt->threads; t++) {
        uint64_t start = t * per_thread;
        workers[t].start = start < size ? start : size;
        workers[t].end = start + per_thread < size ? start + per_thread : size;
    }
}

/* Refills the queue from the free requests; returns how many were submitted or -errno. */
static int top_up(worker *w, mlps_ioq *q, mlps_io_req **spare, unsigned *spare_count,
                  uint64_t *next)
{
    mlps_io_req *batch[4096];
    unsigned n = 0;
    while (*spare_count > 0 && *next < w->end) {
        mlps_io_req *req = spare[--*spare_count];
        req->offset = *next;
        req->len = w->end - *next < w->opt->block_size ? w->end - *next : w->opt->block_size;
        *next += req->len;
        batch[n++] = req;
    }
    return n ? mlps_ioq_submit(q, batch, n, &w->err) : 0;
}

static int drive(worker *w, mlps_ioq *q, mlps_io_req *reqs)
{
    unsigned depth = w->opt->depth, spare_count = depth;
    mlps_io_req *spare[4096], *done[4096];
    for (unsigned i = 0; i < depth; i++)
        spare[i] = &reqs[i];
    uint64_t next = w->start;
    while (next < w->end || mlps_ioq_inflight(q) > 0) {
        int rc = top_up(w, q, spare, &spare_count, &next);
        if (rc < 0)
            return rc;
        int got = mlps_ioq_reap(q, done, depth, 1, &w->err);
        if (got < 0)
            return got;
        for (int i = 0; i < got; i++) {
            if (done[i]->result < 0)
                return mlps_io_req_fail(done[i], &w->err);
            if ((uint64_t)done[i]->result != done[i]->len)
                return mlps_fail(&w->err, -ENODATA, "read %s at offset %" PRIu64
                                 ": end of file; the file is shorter than --size",
                                 mlps_file_uri(w->file), done[i]->offset);
            spare[spare_count++] = done[i];
        }
    }
    return 0;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    unsigned depth = w->opt->depth;
    mlps_io_req *reqs = calloc(depth, sizeof *reqs);
    mlps_ioq *q = NULL;
    w->rc = reqs ? mlps_ioq_create(w->store, depth, &q, &w->err)
                 : mlps_fail(&w->err, -ENOMEM, "out of memory");
    if (w->rc == 0) {
        w->engine = mlps_ioq_engine(q);
        for (unsigned i = 0; i < depth; i++)
            reqs[i] = (mlps_io_req){.file = w->file, .buf = mlps_bufpool_get(w->pool),
                                    .op = w->opt->write ? MLPS_IO_WRITE : MLPS_IO_READ};
        w->rc = drive(w, q, reqs);
        mlps_ioq_destroy(q);
        for (unsigned i = 0; i < depth; i++)
            mlps_bufpool_put(w->pool, reqs[i].buf);
    }
    free(reqs);
    return NULL;
}

/* Pseudo-random, so no layer below can shortcut zero pages or compress the data. */
static void fill_buffers(mlps_bufpool *pool)
{
    unsigned count = mlps_bufpool_count(pool);
    void *bufs[count];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (unsigned i = 0; i < count; i++) {
        bufs[i] = mlps_bufpool_get(pool);
        uint64_t *words = bufs[i];
        for (size_t j = 0; j < mlps_bufpool_buffer_size(pool) / 8; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            words[j] = x;
        }
    }
    for (unsigned i = 0; i < count; i++)
        mlps_bufpool_put(pool, bufs[i]);
}

static int run_threads(worker *workers, unsigned threads, mlps_error *err)
{
    pthread_t ids[threads];
    for (unsigned t = 0; t < threads; t++)
        if (pthread_create(&ids[t], NULL, run_worker, &workers[t]) != 0)
            return mlps_fail(err, -EAGAIN, "cannot start thread %u", t);
    int rc = 0;
    for (unsigned t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        if (workers[t].rc < 0 && rc == 0) {
            rc = workers[t].rc;
            *err = workers[t].err;
        }
    }
    return rc;
}

static void print_result(uint64_t bytes, uint64_t started, const char *engine)
{
    double seconds = mlps_ns_to_seconds(mlps_monotonic_ns() - started);
    printf("bytes=%" PRIu64 " seconds=%.6f MiBps=%.1f engine=%s\n", bytes, seconds,
           (double)bytes / 1048576.0 / seconds, engine);
}

/* Appends opt->size bytes in block-size pieces: copies of one prepared block, or generated. */
static int append_all(const options *opt, mlps_seqwriter *w, const void *block, mlps_error *err)
{
    bool random = strcmp(opt->seqwriter, "random") == 0;
    int rc = 0;
    for (uint64_t done = 0; done < opt->size && rc == 0;) {
        size_t len = opt->size - done < opt->block_size ? opt->size - done : opt->block_size;
        rc = random ? mlps_seqwriter_write_random(w, len, 1, 0, done, err)
                    : mlps_seqwriter_write(w, block, len, err);
        done += len;
    }
    return rc;
}

static int run_seqwriter(const options *opt, mlps_store *store, mlps_error *err)
{
    void *block = malloc(opt->block_size);
    if (!block)
        return mlps_fail(err, -ENOMEM, "out of memory for a %zu-byte block", opt->block_size);
    uint64_t *words = block;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t j = 0; j < opt->block_size / 8; j++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        words[j] = x;
    }
    uint64_t started = mlps_monotonic_ns();
    mlps_seqwriter *w = NULL;
    int rc = mlps_seqwriter_open(store, "", 0, opt->block_size, opt->depth, &w, err);
    const char *engine = rc == 0 ? mlps_seqwriter_engine(w) : "";
    if (rc == 0)
        rc = append_all(opt, w, block, err);
    if (rc == 0)
        rc = mlps_seqwriter_close(w, err);
    else
        mlps_seqwriter_abort(w);
    if (rc == 0)
        print_result(opt->size, started, engine);
    free(block);
    return rc;
}

static int run(const options *opt, mlps_error *err)
{
    mlps_store_options store_opts = {.engine = opt->engine};
    mlps_store *store = NULL;
    mlps_file *file = NULL;
    mlps_bufpool *pool = NULL;
    int flags = MLPS_OPEN_SEQUENTIAL |
                (!opt->write      ? MLPS_OPEN_READ
                 : opt->overwrite ? MLPS_OPEN_WRITE | MLPS_OPEN_CREATE
                                  : MLPS_OPEN_WRITE | MLPS_OPEN_CREATE | MLPS_OPEN_TRUNCATE);
    int rc = mlps_store_open(opt->uri, &store_opts, &store, err);
    if (rc == 0 && opt->seqwriter) {
        rc = run_seqwriter(opt, store, err);
        mlps_store_close(store);
        return rc;
    }
    if (rc == 0)
        rc = mlps_file_open(store, "", flags, &file, err);
    uint64_t size = opt->size ? opt->size : (file ? mlps_file_size(file) : 0);
    if (rc == 0 && size == MLPS_SIZE_UNKNOWN)
        rc = mlps_fail_usage(err, -EINVAL, "--size is needed: the size of %s is unknown",
                             opt->uri);
    if (rc == 0 && !opt->write && size > mlps_file_size(file))
        rc = mlps_fail_usage(err, -EINVAL, "--size %" PRIu64 " exceeds %s, which holds %" PRIu64
                             " bytes", size, opt->uri, mlps_file_size(file));
    if (rc == 0)
        rc = mlps_bufpool_create(opt->block_size, opt->depth * opt->threads,
                                 mlps_store_alignment(store), &pool, err);
    if (rc < 0) {
        mlps_file_abort(file);
        mlps_store_close(store);
        return rc;
    }
    fill_buffers(pool);
    worker workers[opt->threads];
    for (unsigned t = 0; t < opt->threads; t++)
        workers[t] = (worker){.opt = opt, .store = store, .file = file, .pool = pool};
    split_range(workers, opt, size);

    uint64_t started = mlps_monotonic_ns();
    rc = run_threads(workers, opt->threads, err);
    if (rc == 0)
        rc = mlps_file_close(file, err);
    else
        mlps_file_abort(file);
    if (rc == 0)
        print_result(size, started, workers[0].engine);
    mlps_bufpool_destroy(pool);
    mlps_store_close(store);
    return rc;
}

int main(int argc, char **argv)
{
    options opt;
    if (parse_options(argc, argv, &opt) < 0)
        return MLPS_EXIT_USAGE;
    mlps_error err = {0};
    if (run(&opt, &err) < 0) {
        fprintf(stderr, "io_driver: %s\n", err.message);
        return err.exit_status ? err.exit_status : MLPS_EXIT_RUN_FAILED;
    }
    return 0;
}
