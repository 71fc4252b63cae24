/* The --io-trace-log writer (trace.h): one CSV row per cache operation, staged in memory under
 * a lock and written in large pieces, through a zstd level-3 stream when the path ends in
 * ".zst". The file grows under "<path>.tmp.<pid>" and is renamed to path only by a successful
 * close; the first write error is kept and reported by close. */
#include "kvcache/trace.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "core/clock.h"
#include "core/mkdirs.h"

#define TRACE_STAGING_BYTES (256u * 1024u)
#define TRACE_ZSTD_LEVEL 3
#define TRACE_HEADER "Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase\n"

struct mlps_kv_trace {
    pthread_mutex_t lock;
    char path[PATH_MAX], temp_path[PATH_MAX];
    FILE *file;
    ZSTD_CCtx *zstd; /* NULL: plain CSV */
    char *staging;
    size_t staged;
    char *compressed;
    size_t compressed_capacity;
    uint64_t rows;
    int error; /* first failure, negative errno */
    const char *failed_step;
};

static void remember_error(mlps_kv_trace *t, int code, const char *step)
{
    if (t->error == 0) {
        t->error = code;
        t->failed_step = step;
    }
}

static void write_out(mlps_kv_trace *t, const void *data, size_t len)
{
    if (len && fwrite(data, 1, len, t->file) != len)
        remember_error(t, errno ? -errno : -EIO, "write");
}

/* Pushes staged text through the compressor; mode ZSTD_e_end also closes the frame. */
static void compress_staged(mlps_kv_trace *t, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {t->staging, t->staged, 0};
    size_t remaining;
    do {
        ZSTD_outBuffer out = {t->compressed, t->compressed_capacity, 0};
        remaining = ZSTD_compressStream2(t->zstd, &out, &in, mode);
        if (ZSTD_isError(remaining)) {
            remember_error(t, -EIO, "compress");
            return;
        }
        write_out(t, t->compressed, out.pos);
    } while (mode == ZSTD_e_end ? remaining != 0 : in.pos < in.size);
}

static void flush_staged(mlps_kv_trace *t, bool finish)
{
    if (t->error == 0) {
        if (t->zstd)
            compress_staged(t, finish ? ZSTD_e_end : ZSTD_e_continue);
        else
            write_out(t, t->staging, t->staged);
    }
    t->staged = 0;
}

static void stage(mlps_kv_trace *t, const char *text, size_t len)
{
    while (len > 0) {
        if (t->staged == TRACE_STAGING_BYTES)
            flush_staged(t, false);
        size_t room = TRACE_STAGING_BYTES - t->staged;
        size_t piece = len < room ? len : room;
        memcpy(t->staging + t->staged, text, piece);
        t->staged += piece;
        text += piece;
        len -= piece;
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int make_parent(const char *path, mlps_error *err)
{
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (!slash || slash == parent)
        return 0;
    *slash = '\0';
    return mlps_mkdirs(parent, 0755, err);
}

static void trace_free(mlps_kv_trace *t)
{
    if (t->file)
        fclose(t->file);
    ZSTD_freeCCtx(t->zstd);
    free(t->staging);
    free(t->compressed);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static int start_compressor(mlps_kv_trace *t)
{
    t->zstd = ZSTD_createCCtx();
    t->compressed_capacity = ZSTD_CStreamOutSize();
    t->compressed = malloc(t->compressed_capacity);
    if (!t->zstd || !t->compressed)
        return -ENOMEM;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(t->zstd, ZSTD_c_compressionLevel, TRACE_ZSTD_LEVEL)))
        return -EINVAL;
    return 0;
}

int mlps_kv_trace_open(const char *path, mlps_kv_trace **out, mlps_error *err)
{
    *out = NULL;
    mlps_kv_trace *t = calloc(1, sizeof *t);
    if (!t)
        return mlps_fail(err, -ENOMEM, "--io-trace-log %s: out of memory", path);
    pthread_mutex_init(&t->lock, NULL);
    int n = snprintf(t->temp_path, sizeof t->temp_path, "%s.tmp.%d", path, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof t->temp_path) {
        trace_free(t);
        return mlps_fail(err, -ENAMETOOLONG, "--io-trace-log %s: path too long", path);
    }
    snprintf(t->path, sizeof t->path, "%s", path);
    int rc = make_parent(path, err);
    if (rc) {
        trace_free(t);
        mlps_error_prefix(err, "--io-trace-log %s: ", path);
        return rc;
    }
    t->staging = malloc(TRACE_STAGING_BYTES);
    rc = t->staging ? 0 : -ENOMEM;
    if (rc == 0 && ends_with(path, ".zst"))
        rc = start_compressor(t);
    if (rc) {
        trace_free(t);
        return mlps_fail(err, rc, "--io-trace-log %s: cannot set up the writer: %s", path,
                         strerror(-rc));
    }
    t->file = fopen(t->temp_path, "we");
    if (!t->file) {
        rc = -errno;
        trace_free(t);
        return mlps_fail(err, rc, "--io-trace-log %s: cannot create %s: %s", path, path,
                         strerror(-rc));
    }
    stage(t, TRACE_HEADER, strlen(TRACE_HEADER));
    *out = t;
    return 0;
}

static const char *phase_name(mlps_kv_phase phase)
{
    switch (phase) {
    case MLPS_KV_PHASE_PREFILL:
        return "Prefill";
    case MLPS_KV_PHASE_DECODE:
        return "Decode";
    default:
        return "Evict";
    }
}

/* A key with a comma, quote or line break is quoted as CSV requires. */
static void stage_key(mlps_kv_trace *t, const char *key)
{
    if (!strpbrk(key, ",\"\r\n")) {
        stage(t, key, strlen(key));
        return;
    }
    stage(t, "\"", 1);
    for (const char *c = key; *c; c++)
        stage(t, *c == '"' ? "\"\"" : c, *c == '"' ? 2 : 1);
    stage(t, "\"", 1);
}

void mlps_kv_trace_op(mlps_kv_trace *trace, bool write, uint64_t bytes, mlps_kv_tier tier,
                      const char *key, mlps_kv_phase phase)
{
    char head[96], tail[32];
    pthread_mutex_lock(&trace->lock);
    /* the clock is read under the lock so rows are in time order */
    uint64_t now = mlps_wall_ns();
    int head_len = snprintf(head, sizeof head, "%llu.%06llu,%s,%llu,Tier-%d,",
                            (unsigned long long)(now / 1000000000u),
                            (unsigned long long)(now % 1000000000u / 1000u),
                            write ? "Write" : "Read", (unsigned long long)bytes, (int)tier);
    int tail_len = snprintf(tail, sizeof tail, ",%s\n", phase_name(phase));
    stage(trace, head, (size_t)head_len);
    stage_key(trace, key ? key : "");
    stage(trace, tail, (size_t)tail_len);
    trace->rows++;
    pthread_mutex_unlock(&trace->lock);
}

uint64_t mlps_kv_trace_rows(mlps_kv_trace *trace)
{
    pthread_mutex_lock(&trace->lock);
    uint64_t rows = trace->rows;
    pthread_mutex_unlock(&trace->lock);
    return rows;
}

static void finish_file(mlps_kv_trace *t)
{
    flush_staged(t, true);
    if (t->error == 0 && fflush(t->file) != 0)
        remember_error(t, -errno, "flush");
    if (t->error == 0 && fsync(fileno(t->file)) != 0)
        remember_error(t, -errno, "fsync");
    if (fclose(t->file) != 0)
        remember_error(t, -errno, "close");
    t->file = NULL;
    if (t->error == 0 && rename(t->temp_path, t->path) != 0)
        remember_error(t, -errno, "rename into place");
}

int mlps_kv_trace_close(mlps_kv_trace *trace, mlps_error *err)
{
    if (!trace)
        return 0;
    finish_file(trace);
    int rc = trace->error;
    if (rc) {
        unlink(trace->temp_path);
        mlps_fail(err, rc, "--io-trace-log %s: cannot %s the trace: %s", trace->path,
                  trace->failed_step, strerror(-rc));
    }
    trace_free(trace);
    return rc;
}

void mlps_kv_trace_abandon(mlps_kv_trace *trace)
{
    if (!trace)
        return;
    fclose(trace->file);
    trace->file = NULL;
    unlink(trace->temp_path);
    trace_free(trace);
}
