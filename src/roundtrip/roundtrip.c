/* The storage round trip; see roundtrip.h. Each phase (write, then read) runs the same loop: keep
 * the queue full with block-sized requests, reap completions, record their latency, and for reads
 * compare the bytes with what the seed says they must be. Ranks start each phase together and
 * agree on its outcome afterwards, so a failure on one rank stops all of them cleanly. */
#include "roundtrip/roundtrip.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/comm_agree.h"
#include "core/fill.h"
#include "core/hist_reduce.h"
#include "core/log.h"
#include "core/pagecache.h"
#include "core/progress.h"
#include "core/units.h"
#include "io/bufpool.h"
#include "io/store.h"

typedef struct phase_run {
    const mlps_roundtrip_options *opts;
    int rank;
    int op;
    mlps_file *file;
    mlps_ioq *queue;
    mlps_bufpool *pool;
    mlps_io_req *requests;
    mlps_io_req **idle;  /* requests not in flight */
    unsigned idle_count;
    uint64_t next_offset;
    uint64_t done_bytes;
    uint64_t verified_bytes;
    void *expected;      /* scratch block for verification */
    mlps_hist *latency;
    mlps_progress *progress;
    char *engine; /* receives the queue's engine name */
} phase_run;

static int check_alignment(const mlps_store *store, const mlps_roundtrip_options *opts,
                           mlps_error *err)
{
    size_t alignment = mlps_store_alignment(store);
    if (alignment <= 1)
        return 0;
    if (opts->block_size % alignment || opts->file_size % alignment)
        return mlps_fail_usage(err, -EINVAL,
                               "%s needs --block-size and --file-size in multiples of %zu bytes "
                               "(got %" PRIu64 " and %" PRIu64 ")",
                               mlps_store_uri(store), alignment, opts->block_size, opts->file_size);
    return 0;
}

int mlps_roundtrip_validate(const mlps_roundtrip_options *opts, mlps_error *err)
{
    if (opts->file_size == 0)
        return mlps_fail_usage(err, -EINVAL, "--file-size must be greater than 0");
    if (opts->block_size == 0 || opts->block_size > (1ull << 30))
        return mlps_fail_usage(err, -EINVAL, "--block-size must be between 1 byte and 1 GiB");
    if (opts->iodepth == 0 || opts->iodepth > 4096)
        return mlps_fail_usage(err, -EINVAL, "--iodepth must be between 1 and 4096, got %u",
                               opts->iodepth);
    /* The URI and the alignment it needs are checked here too, so a bad --uri or a misaligned
     * size is a usage error before any run starts; the run checks the alignment again, as the
     * target may look different from where the ranks run. */
    mlps_store *store = NULL;
    int rc = mlps_store_open(opts->uri, NULL, &store, err);
    if (!rc)
        rc = check_alignment(store, opts, err);
    if (store)
        mlps_store_close(store);
    return rc;
}

static void file_name(const mlps_roundtrip_options *opts, int rank, char *out, size_t size)
{
    snprintf(out, size, "roundtrip_%s_rank%d.dat", opts->file_tag, rank);
}

static int start_phase(phase_run *run, mlps_store *store, int open_flags, mlps_error *err)
{
    char name[PATH_MAX];
    file_name(run->opts, run->rank, name, sizeof name);
    unsigned depth = run->opts->iodepth;
    int rc = mlps_file_open(store, name, open_flags | MLPS_OPEN_SEQUENTIAL, &run->file, err);
    if (!rc)
        rc = mlps_ioq_create(store, depth, &run->queue, err);
    if (!rc)
        rc = mlps_bufpool_create(run->opts->block_size, depth, mlps_store_alignment(store),
                                 &run->pool, err);
    if (rc)
        return rc;
    snprintf(run->engine, MLPS_ROUNDTRIP_ENGINE_NAME_MAX, "%s",
             mlps_ioq_engine(run->queue));
    run->requests = calloc(depth, sizeof *run->requests);
    run->idle = calloc(depth, sizeof *run->idle);
    if (!run->requests || !run->idle)
        return mlps_fail(err, -ENOMEM, "out of memory for %u requests", depth);
    for (unsigned i = 0; i < depth; i++)
        run->idle[run->idle_count++] = &run->requests[i];
    return 0;
}

static void end_phase(phase_run *run)
{
    if (run->queue)
        mlps_ioq_destroy(run->queue);
    for (unsigned i = 0; i < run->opts->iodepth && run->requests; i++)
        if (run->requests[i].buf)
            mlps_bufpool_put(run->pool, run->requests[i].buf);
    if (run->pool)
        mlps_bufpool_destroy(run->pool);
    if (run->file)
        mlps_file_abort(run->file);
    free(run->requests);
    free(run->idle);
    run->queue = NULL;
    run->pool = NULL;
    run->file = NULL;
    run->requests = NULL;
    run->idle = NULL;
}

/* Takes idle requests for the next blocks, fills write buffers, submits them in one call. */
static int submit_more(phase_run *run, mlps_error *err)
{
    mlps_io_req *batch[run->opts->iodepth];
    unsigned count = 0;
    while (run->idle_count > 0 && run->next_offset < run->opts->file_size) {
        mlps_io_req *req = run->idle[--run->idle_count];
        uint64_t left = run->opts->file_size - run->next_offset;
        req->file = run->file;
        req->op = run->op;
        req->offset = run->next_offset;
        req->len = (size_t)(left < run->opts->block_size ? left : run->opts->block_size);
        req->buf = mlps_bufpool_get(run->pool);
        if (run->op == MLPS_IO_WRITE)
            mlps_fill_random_at(req->buf, req->len, run->opts->seed, (uint64_t)run->rank,
                                req->offset);
        run->next_offset += req->len;
        batch[count++] = req;
    }
    return count ? mlps_ioq_submit(run->queue, batch, count, err) : 0;
}

static int verify_block(phase_run *run, const mlps_io_req *req, mlps_error *err)
{
    mlps_fill_random_at(run->expected, req->len, run->opts->seed, (uint64_t)run->rank,
                        req->offset);
    if (memcmp(run->expected, req->buf, req->len) != 0) {
        const unsigned char *got = req->buf, *want = run->expected;
        size_t at = 0;
        while (got[at] == want[at])
            at++;
        return mlps_fail(err, -EIO, "%s: data read back differs from data written at byte %" PRIu64,
                         mlps_file_uri(run->file), req->offset + at);
    }
    run->verified_bytes += req->len;
    return 0;
}

static int complete(phase_run *run, mlps_io_req *req, mlps_error *err)
{
    int rc = 0;
    if (req->result < 0 || (size_t)req->result != req->len)
        rc = req->result < 0 ? mlps_io_req_fail(req, err)
                             : mlps_fail(err, -EIO, "%s %s at offset %" PRIu64 ": short transfer "
                                         "(%" PRId64 " of %zu bytes)", mlps_io_op_name(req->op),
                                         mlps_file_uri(run->file), req->offset, req->result,
                                         req->len);
    else if (run->expected)
        rc = verify_block(run, req, err);
    mlps_hist_record(run->latency, req->complete_ns - req->submit_ns);
    run->done_bytes += req->len;
    mlps_progress_add(run->progress, req->len);
    mlps_bufpool_put(run->pool, req->buf);
    req->buf = NULL;
    run->idle[run->idle_count++] = req;
    return rc;
}

static int pump(phase_run *run, mlps_error *err)
{
    mlps_io_req *done[run->opts->iodepth];
    while (run->done_bytes < run->opts->file_size) {
        int rc = submit_more(run, err);
        if (rc)
            return rc;
        int reaped = mlps_ioq_reap(run->queue, done, run->opts->iodepth, 1, err);
        if (reaped < 0)
            return reaped;
        for (int i = 0; i < reaped; i++)
            if ((rc = complete(run, done[i], err)))
                return rc;
        mlps_progress_tick(run->progress);
    }
    return 0;
}

/* One rank's part of a phase; *seconds runs from the first request to the durable close. */
static int run_phase(phase_run *run, mlps_store *store, double *seconds, mlps_error *err)
{
    bool writing = run->op == MLPS_IO_WRITE;
    int flags = writing ? MLPS_OPEN_WRITE | MLPS_OPEN_CREATE | MLPS_OPEN_TRUNCATE : MLPS_OPEN_READ;
    uint64_t start = mlps_monotonic_ns();
    int rc = start_phase(run, store, flags, err);
    if (!rc)
        rc = pump(run, err);
    if (!rc) {
        mlps_ioq_destroy(run->queue);
        run->queue = NULL;
        mlps_file *file = run->file;
        run->file = NULL;
        rc = mlps_file_close(file, err);
    }
    *seconds = mlps_ns_to_seconds(mlps_monotonic_ns() - start);
    end_phase(run);
    return rc;
}

/* Evicts the written file from the page cache, so the read phase measures the storage. */
static void drop_written_file(mlps_store *store, const mlps_roundtrip_options *opts, int rank)
{
    if (strcmp(mlps_store_scheme(store), "file") != 0)
        return;
    char name[PATH_MAX], path[PATH_MAX + 64];
    file_name(opts, rank, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", mlps_store_uri(store) + strlen("file://"), name);
    mlps_error err = {0};
    if (mlps_drop_file_cache(path, &err))
        mlps_warn("the read phase may be served from the page cache: %s", err.message);
}

static int reduce_phase(const mlps_comm *comm, mlps_roundtrip_phase *phase, uint64_t bytes,
                        double seconds, mlps_error *err)
{
    double slowest = seconds, fastest = seconds;
    phase->bytes = bytes;
    int rc = mlps_comm_sum_u64(comm, &phase->bytes, 1, err);
    if (!rc)
        rc = mlps_comm_max_double(comm, &slowest, 1, err);
    if (!rc)
        rc = mlps_comm_min_double(comm, &fastest, 1, err);
    if (!rc)
        rc = mlps_hist_reduce(comm, &phase->latency_ns, err);
    phase->seconds = slowest;
    phase->fastest_seconds = fastest;
    return rc;
}

static int timed_phase(const mlps_comm *comm, mlps_store *store, const mlps_roundtrip_options *opts,
                       int op, mlps_roundtrip_result *result, uint64_t *verified, mlps_error *err)
{
    const char *name = op == MLPS_IO_WRITE ? "write" : "read";
    mlps_progress progress;
    mlps_progress_start(&progress, name, MLPS_PROGRESS_BYTES, NULL, opts->file_size,
                        comm->rank == 0, -1);
    mlps_roundtrip_phase *phase = op == MLPS_IO_WRITE ? &result->write : &result->read;
    mlps_hist_init(&phase->latency_ns);
    phase_run run = {.opts = opts, .rank = comm->rank, .op = op, .latency = &phase->latency_ns,
                     .progress = &progress, .engine = result->engine};
    bool verifying = op == MLPS_IO_READ && opts->verify && strcmp(mlps_store_scheme(store), "null");
    if (verifying && !(run.expected = malloc(opts->block_size)))
        return mlps_fail(err, -ENOMEM, "out of memory for a %" PRIu64 "-byte block", opts->block_size);
    double seconds = 0;
    int rc = mlps_comm_barrier(comm, err);
    if (!rc)
        rc = run_phase(&run, store, &seconds, err);
    free(run.expected);
    if (rc == 0)
        mlps_progress_finish(&progress);
    rc = mlps_comm_agree(comm, rc, err);
    if (!rc)
        rc = reduce_phase(comm, phase, run.done_bytes, seconds, err);
    *verified = run.verified_bytes;
    return rc;
}

static void remove_file(mlps_store *store, const mlps_roundtrip_options *opts, int rank)
{
    char name[PATH_MAX];
    file_name(opts, rank, name, sizeof name);
    mlps_error err = {0};
    mlps_stat st;
    if (mlps_store_stat(store, name, &st, NULL) == 0 && mlps_store_remove(store, name, &err))
        mlps_warn("could not remove %s: %s", name, err.message);
}

int mlps_roundtrip_run(const mlps_comm *comm, const mlps_roundtrip_options *opts,
                       mlps_roundtrip_result *result, mlps_error *err)
{
    memset(result, 0, sizeof *result);
    mlps_store *store = NULL;
    int rc = mlps_store_open(opts->uri, NULL, &store, err);
    if (!rc)
        rc = check_alignment(store, opts, err);
    if (!rc)
        rc = mlps_store_mkdirs(store, "", err);
    rc = mlps_comm_agree(comm, rc, err);
    uint64_t verified = 0;
    if (!rc)
        rc = timed_phase(comm, store, opts, MLPS_IO_WRITE, result, &verified, err);
    if (!rc) {
        drop_written_file(store, opts, comm->rank);
        rc = timed_phase(comm, store, opts, MLPS_IO_READ, result, &verified, err);
    }
    if (!rc) {
        result->verified_bytes = verified;
        rc = mlps_comm_sum_u64(comm, &result->verified_bytes, 1, err);
    }
    if (store && (rc || !opts->keep_files))
        remove_file(store, opts, comm->rank);
    if (store)
        mlps_store_close(store);
    return rc;
}

static json_t *phase_json(const mlps_roundtrip_phase *phase)
{
    double rate = phase->seconds > 0 ? (double)phase->bytes / phase->seconds : 0;
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:o}", "bytes", (json_int_t)phase->bytes,
                     "seconds", phase->seconds, "fastest_rank_seconds", phase->fastest_seconds,
                     "throughput_GiB_per_second", rate / (double)MLPS_GiB,
                     "throughput_MiB_per_second", rate / (double)MLPS_MiB,
                     "latency", mlps_hist_to_json(&phase->latency_ns, 1e-6, "_ms"));
}

json_t *mlps_roundtrip_summary_json(const mlps_comm *comm, const mlps_roundtrip_options *opts,
                                    const mlps_roundtrip_result *result)
{
    return json_pack("{s:s, s:s, s:i, s:I, s:I, s:i, s:I, s:s, s:o, s:o, s:b, s:I}", "workload",
                     "storage_roundtrip", "uri", opts->uri, "num_processes", comm->size,
                     "file_size_bytes", (json_int_t)opts->file_size, "block_size_bytes",
                     (json_int_t)opts->block_size, "iodepth", (int)opts->iodepth, "seed",
                     (json_int_t)opts->seed, "engine", result->engine, "write",
                     phase_json(&result->write), "read", phase_json(&result->read), "verified",
                     result->verified_bytes == result->read.bytes && result->verified_bytes > 0,
                     "verified_bytes", (json_int_t)result->verified_bytes);
}
