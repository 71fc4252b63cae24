/* Driver for bench/format_b.sh: how fast the jpeg, png, hdf5 and parquet writers produce files
 * of the shapes the training workloads use, into a memory sink (so the storage is out of the
 * picture), next to the peer every writer needs anyway: generating the same number of random
 * bytes with mlps_fill_random_at. Prints one "result" line of key=value pairs per case.
 *
 * Usage: format_b_bench [--seconds S] (time spent per case, default 1) */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/fill.h"
#include "formats/format.h"

typedef struct bench_case {
    const char *name;
    const char *format;
    mlps_format_params params;
    mlps_format_file file;
} bench_case;

/* Keeps the compiler from discarding writes to a buffer nobody reads. */
static void bench_clobber(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static json_t *dlrm_columns(void)
{
    json_t *columns = json_array();
    for (int i = 0; i < 200; i++) {
        const char *dtype = i < 56 ? "float32" : i < 106 ? "float16" : i < 155 ? "float64"
                                                                                : "int8";
        char name[32];
        snprintf(name, sizeof name, "feature_%03d", i);
        json_array_append_new(columns, json_pack("{s:s, s:s}", "name", name, "dtype", dtype));
    }
    return columns;
}

static json_t *flux_columns(void)
{
    return json_pack("[{s:s, s:s, s:i}, {s:s, s:s, s:i}, {s:s, s:s, s:i}, {s:s, s:s, s:i},"
                     " {s:s, s:s, s:i}]",
                     "name", "t5_encodings", "dtype", "float32", "size", 524328,
                     "name", "clip_encodings", "dtype", "float32", "size", 409,
                     "name", "mean", "dtype", "float32", "size", 8232,
                     "name", "logvar", "dtype", "float32", "size", 8232,
                     "name", "timestamp", "dtype", "float32", "size", 7);
}

/* Writes files of the case for at least `seconds` (and 3 files); returns bytes per second. */
static double measure_writer(const bench_case *c, double seconds, uint64_t *bytes_per_file,
                             uint64_t *files)
{
    const mlps_format *format = mlps_format_find(c->format);
    mlps_memory_sink memory;
    mlps_sink sink;
    mlps_memory_sink_init(&sink, &memory);
    uint64_t total = 0, count = 0, start = 0, deadline = 0;
    for (;;) {
        memory.size = 0; /* keep the buffer: measure the writer, not the allocator */
        sink.written = 0;
        mlps_format_file file = c->file;
        file.index = count;
        mlps_error err = {0};
        if (format->write(&c->params, &file, &sink, &err)) {
            fprintf(stderr, "%s: %s\n", c->name, err.message);
            exit(1);
        }
        bench_clobber(memory.data);
        if (!start) { /* the first file warms the buffer up and is not counted */
            start = mlps_monotonic_ns();
            deadline = start + mlps_seconds_to_ns(seconds);
            *bytes_per_file = memory.size;
            continue;
        }
        total += memory.size;
        count++;
        uint64_t now = mlps_monotonic_ns();
        if (count >= 3 && now >= deadline) {
            *files = count;
            mlps_memory_sink_free(&memory);
            return (double)total / mlps_ns_to_seconds(now - start);
        }
    }
}

/* The peer: generating the same bytes, in 1 MiB pieces into one buffer. */
static double measure_fill(uint64_t bytes, double seconds)
{
    size_t piece = 1 << 20;
    unsigned char *buffer = malloc(piece);
    if (!buffer)
        exit(1);
    uint64_t total = 0, start = mlps_monotonic_ns();
    uint64_t deadline = start + mlps_seconds_to_ns(seconds);
    for (uint64_t pass = 0;; pass++) {
        for (uint64_t done = 0; done < bytes; done += piece) {
            size_t len = bytes - done < piece ? (size_t)(bytes - done) : piece;
            mlps_fill_random_at(buffer, len, 1, pass, done);
            bench_clobber(buffer);
        }
        total += bytes;
        uint64_t now = mlps_monotonic_ns();
        if (pass >= 2 && now >= deadline) {
            free(buffer);
            return (double)total / mlps_ns_to_seconds(now - start);
        }
    }
}

int main(int argc, char **argv)
{
    double seconds = 1.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: format_b_bench [--seconds S]\n");
            return 2;
        }
    }
    json_t *dlrm = dlrm_columns(), *flux = flux_columns();
    const mlps_format_params image = {.samples_per_file = 1, .seed = 1};
    const bench_case cases[] = {
        {"jpeg_retinanet_568x568", "jpeg", image, {.d1 = 568, .d2 = 568}},
        {"png_retinanet_568x568", "png", image, {.d1 = 568, .d2 = 568}},
        {"hdf5_16x1024x1024", "hdf5",
         {.samples_per_file = 16, .element_bytes = 1, .element_type = "uint8", .seed = 1},
         {.d1 = 1024, .d2 = 1024}},
        {"hdf5_gzip_16x1024x1024", "hdf5",
         {.samples_per_file = 16, .element_bytes = 1, .element_type = "uint8",
          .compression = "gzip", .seed = 1},
         {.d1 = 1024, .d2 = 1024}},
        {"parquet_dlrm_65536_rows", "parquet",
         {.samples_per_file = 65536, .parquet_columns = dlrm, .parquet_row_group_size = 8192,
          .seed = 1},
         {.d1 = 1, .d2 = 1}},
        {"parquet_flux_24_rows", "parquet",
         {.samples_per_file = 24, .parquet_columns = flux, .parquet_row_group_size = 1024,
          .seed = 1},
         {.d1 = 1, .d2 = 1}},
        {"parquet_legacy_64x338x338", "parquet",
         {.samples_per_file = 64, .parquet_row_group_size = 16, .seed = 1},
         {.d1 = 338, .d2 = 338}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t bytes_per_file = 0, files = 0;
        double writer = measure_writer(&cases[i], seconds, &bytes_per_file, &files);
        double fill = measure_fill(bytes_per_file, seconds / 2);
        printf("result name=%s format=%s bytes_per_file=%llu files=%llu writer_mbps=%.1f "
               "fill_mbps=%.1f ratio=%.3f\n",
               cases[i].name, cases[i].format, (unsigned long long)bytes_per_file,
               (unsigned long long)files, writer / 1e6, fill / 1e6, writer / fill);
        fflush(stdout);
    }
    json_decref(dlrm);
    json_decref(flux);
    return 0;
}
