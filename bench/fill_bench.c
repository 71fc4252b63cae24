/* Driver for bench/fill.sh: measures buffer-fill throughput (incompressible, compressible,
 * and multi-threaded through mlps_fill_parallel) next to memset and memcpy of the same
 * buffer as peers. Prints one "result" line of key=value pairs per measurement.
 *
 * Usage: fill_bench [--buffer-mib N] [--total-mib N] [--threads N] [--ratio R] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/fill.h"

typedef struct bench_options {
    size_t buffer_bytes;
    uint64_t total_bytes;
    unsigned threads;
    double ratio;
} bench_options;

typedef struct bench_buffers {
    uint8_t *dst;
    uint8_t *src;
    size_t len;
} bench_buffers;

typedef void (*bench_pass_fn)(const bench_options *opts, bench_buffers *bufs, uint64_t pass);

/* Keeps the compiler from discarding writes to a buffer nobody reads. */
static void bench_clobber(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static void pass_fill_random(const bench_options *opts, bench_buffers *bufs, uint64_t pass)
{
    (void)opts;
    mlps_fill_random(bufs->dst, bufs->len, 42, pass);
}

static void pass_fill_compressible(const bench_options *opts, bench_buffers *bufs,
                                   uint64_t pass)
{
    mlps_fill_compressible(bufs->dst, bufs->len, opts->ratio, 42, pass);
}

static void pass_fill_parallel(const bench_options *opts, bench_buffers *bufs, uint64_t pass)
{
    mlps_error err = {0};
    if (mlps_fill_parallel(bufs->dst, bufs->len, 42 + pass, opts->threads, 1.0, &err) != 0) {
        fprintf(stderr, "fill_bench: %s\n", err.message);
        exit(1);
    }
}

static void pass_memset(const bench_options *opts, bench_buffers *bufs, uint64_t pass)
{
    (void)opts;
    memset(bufs->dst, (int)(pass & 0xff), bufs->len);
}

static void pass_memcpy(const bench_options *opts, bench_buffers *bufs, uint64_t pass)
{
    (void)opts;
    (void)pass;
    memcpy(bufs->dst, bufs->src, bufs->len);
}

static void bench_run(const char *name, unsigned threads, bench_pass_fn fn,
                      const bench_options *opts, bench_buffers *bufs)
{
    fn(opts, bufs, 0); /* warm-up: faults the pages in and settles the clocks */
    bench_clobber(bufs->dst);
    uint64_t done = 0, pass = 1;
    uint64_t start = mlps_monotonic_ns();
    while (done < opts->total_bytes) {
        fn(opts, bufs, pass++);
        bench_clobber(bufs->dst);
        done += bufs->len;
    }
    double seconds = mlps_ns_to_seconds(mlps_monotonic_ns() - start);
    double gbps = (double)done / seconds / 1e9;
    printf("result name=%s threads=%u bytes=%llu seconds=%.6f gbps=%.3f gbps_per_core=%.3f\n",
           name, threads, (unsigned long long)done, seconds, gbps, gbps / threads);
    fflush(stdout);
}

static int parse_options(int argc, char **argv, bench_options *opts)
{
    opts->buffer_bytes = (size_t)64 << 20;
    opts->total_bytes = (uint64_t)1 << 30;
    opts->threads = 2;
    opts->ratio = 2.0;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (i + 1 >= argc) {
            fprintf(stderr, "fill_bench: %s needs a value\n", argv[i]);
            return -EINVAL;
        }
        const char *flag = argv[i], *value = argv[++i];
        errno = 0;
        if (strcmp(flag, "--ratio") == 0) {
            opts->ratio = strtod(value, &end);
        } else {
            unsigned long long n = strtoull(value, &end, 10);
            if (strcmp(flag, "--buffer-mib") == 0 && n > 0)
                opts->buffer_bytes = (size_t)n << 20;
            else if (strcmp(flag, "--total-mib") == 0 && n > 0)
                opts->total_bytes = (uint64_t)n << 20;
            else if (strcmp(flag, "--threads") == 0 && n > 0 && n <= MLPS_FILL_MAX_THREADS)
                opts->threads = (unsigned)n;
            else
                end = NULL;
        }
        if (errno != 0 || end == NULL || *end != '\0') {
            fprintf(stderr,
                    "fill_bench: bad %s '%s'; valid: --buffer-mib N>0, --total-mib N>0, "
                    "--threads 1..%u, --ratio R\n",
                    flag, value, MLPS_FILL_MAX_THREADS);
            return -EINVAL;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_options opts;
    if (parse_options(argc, argv, &opts) != 0)
        return 2;
    bench_buffers bufs = {.dst = malloc(opts.buffer_bytes), .src = malloc(opts.buffer_bytes),
                          .len = opts.buffer_bytes};
    if (bufs.dst == NULL || bufs.src == NULL) {
        fprintf(stderr, "fill_bench: cannot allocate two %zu-byte buffers\n", opts.buffer_bytes);
        return 1;
    }
    memset(bufs.src, 0x5a, bufs.len);
    printf("config buffer_bytes=%zu total_bytes=%llu threads=%u ratio=%.3f\n",
           opts.buffer_bytes, (unsigned long long)opts.total_bytes, opts.threads, opts.ratio);
    bench_run("fill_random", 1, pass_fill_random, &opts, &bufs);
    bench_run("fill_compressible", 1, pass_fill_compressible, &opts, &bufs);
    /* A buffer of fewer chunks than threads keeps some threads idle; count only the busy. */
    size_t chunks = (opts.buffer_bytes + MLPS_FILL_CHUNK_BYTES - 1) / MLPS_FILL_CHUNK_BYTES;
    unsigned busy = chunks < opts.threads ? (unsigned)chunks : opts.threads;
    bench_run("fill_parallel", busy, pass_fill_parallel, &opts, &bufs);
    bench_run("memset", 1, pass_memset, &opts, &bufs);
    bench_run("memcpy", 1, pass_memcpy, &opts, &bufs);
    free(bufs.dst);
    free(bufs.src);
    return 0;
}
