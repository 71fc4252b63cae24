/* Driver measuring how fast each dataset format writes files into memory: the format's own
 * cost (headers, checksums, framing, text) on top of generating the random content, which is
 * measured alone as the reference line "fill". The memory sink is sized once up front, so
 * growing it is not counted. One "result" line of key=value pairs per format; MB/s means 10^6
 * bytes per second on one core.
 *
 * Usage: format_bench [--format NAME] [--total-mib N] [--file-mib N]
 *   Shapes: npz and npy one sample of side sqrt(file) per file (unet3d-like), tfrecord
 *   338 x 338 records (resnet50-like), csv and indexed_binary 64 KiB samples. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/fill.h"
#include "formats/format.h"

typedef struct bench_options {
    const char *only;
    uint64_t total_bytes;
    uint64_t file_bytes;
} bench_options;

typedef struct bench_case {
    const char *format;
    mlps_format_params params;
    mlps_format_file file;
} bench_case;

static void bench_clobber(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static int parse_options(int argc, char **argv, bench_options *opts)
{
    *opts = (bench_options){.total_bytes = UINT64_C(2048) << 20, .file_bytes = UINT64_C(64) << 20};
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!value) {
            fprintf(stderr, "format_bench: %s needs a value\n", argv[i]);
            return -EINVAL;
        }
        if (strcmp(argv[i], "--format") == 0)
            opts->only = value;
        else if (strcmp(argv[i], "--total-mib") == 0)
            opts->total_bytes = strtoull(value, NULL, 10) << 20;
        else if (strcmp(argv[i], "--file-mib") == 0)
            opts->file_bytes = strtoull(value, NULL, 10) << 20;
        else {
            fprintf(stderr, "format_bench: unknown option %s (valid: --format, --total-mib, "
                            "--file-mib)\n", argv[i]);
            return -EINVAL;
        }
        i++;
    }
    if (!opts->file_bytes || opts->total_bytes < opts->file_bytes) {
        fprintf(stderr, "format_bench: --file-mib must be >= 1 and <= --total-mib\n");
        return -EINVAL;
    }
    return 0;
}

static bench_case make_case(const char *format, const bench_options *opts)
{
    bench_case c = {.format = format,
                    .params = {.samples_per_file = 1, .element_bytes = 1, .element_type = "uint8",
                               .compression = "none", .seed = 1}};
    uint64_t side = (uint64_t)sqrt((double)opts->file_bytes);
    c.file = (mlps_format_file){.d1 = side, .d2 = side};
    if (strcmp(format, "tfrecord") == 0) {
        c.file.d1 = c.file.d2 = 338;
        c.params.samples_per_file = opts->file_bytes / (338 * 338);
    } else if (strcmp(format, "csv") == 0 || strcmp(format, "indexed_binary") == 0) {
        c.file.d1 = c.file.d2 = 256;
        c.params.samples_per_file = opts->file_bytes / (256 * 256);
        if (strcmp(format, "csv") == 0)
            c.params.samples_per_file /= 4; /* about 3.6 text bytes per value */
    }
    if (!c.params.samples_per_file)
        c.params.samples_per_file = 1;
    return c;
}

static int write_files(const bench_case *c, const bench_options *opts, uint64_t *bytes,
                       uint64_t *files, uint64_t *ns)
{
    const mlps_format *format = mlps_format_find(c->format);
    mlps_memory_sink memory;
    mlps_sink sink;
    mlps_error err = {0};
    mlps_memory_sink_init(&sink, &memory);
    uint64_t size = format->file_size(&c->params, &c->file);
    memory.capacity = (size_t)(size ? size : opts->file_bytes * 2);
    memory.data = malloc(memory.capacity);
    if (!memory.data)
        return -ENOMEM;
    memset(memory.data, 0, memory.capacity); /* fault the pages in before timing */
    *bytes = *files = 0;
    uint64_t start = mlps_monotonic_ns();
    for (uint64_t i = 0; *bytes < opts->total_bytes; i++) {
        mlps_format_file file = c->file;
        file.index = i;
        memory.size = 0;
        int rc = format->write(&c->params, &file, &sink, &err);
        if (rc) {
            fprintf(stderr, "format_bench: %s: %s\n", c->format, err.message);
            mlps_memory_sink_free(&memory);
            return rc;
        }
        bench_clobber(memory.data);
        *bytes += memory.size;
        (*files)++;
    }
    *ns = mlps_monotonic_ns() - start;
    mlps_memory_sink_free(&memory);
    return 0;
}

static void fill_reference(const bench_options *opts)
{
    size_t len = (size_t)opts->file_bytes;
    unsigned char *buf = malloc(len);
    if (!buf)
        return;
    memset(buf, 0, len);
    uint64_t done = 0, start = mlps_monotonic_ns();
    for (uint64_t i = 0; done < opts->total_bytes; i++, done += len) {
        mlps_fill_random_at(buf, len, 1, i, 0);
        bench_clobber(buf);
    }
    uint64_t ns = mlps_monotonic_ns() - start;
    printf("result name=fill bytes=%llu seconds=%.3f mb_per_s=%.0f\n", (unsigned long long)done,
           (double)ns / 1e9, (double)done / ((double)ns / 1e9) / 1e6);
    free(buf);
}

int main(int argc, char **argv)
{
    bench_options opts;
    if (parse_options(argc, argv, &opts))
        return 2;
    static const char *const formats[] = {"npz", "npy", "tfrecord", "indexed_binary", "csv"};
    if (!opts.only)
        fill_reference(&opts);
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (opts.only && strcmp(opts.only, formats[i]) != 0)
            continue;
        bench_case c = make_case(formats[i], &opts);
        uint64_t bytes, files, ns;
        if (write_files(&c, &opts, &bytes, &files, &ns))
            return 1;
        double seconds = (double)ns / 1e9;
        printf("result name=%s files=%llu samples_per_file=%llu d1=%llu d2=%llu bytes=%llu "
               "seconds=%.3f mb_per_s=%.0f\n",
               c.format, (unsigned long long)files,
               (unsigned long long)c.params.samples_per_file, (unsigned long long)c.file.d1,
               (unsigned long long)c.file.d2, (unsigned long long)bytes, seconds,
               (double)bytes / seconds / 1e6);
    }
    return 0;
}
