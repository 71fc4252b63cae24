/* The checkpointing run; see run.h. */
#include "checkpoint/run.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/comm_agree.h"
#include "core/hist_reduce.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/units.h"
#include "io/s3.h"
#include "io/storage_config.h"

typedef struct checkpointer {
    mlps_progress progress; /* rank 0's own bytes over the phase */
    mlps_hist *file_latency;
    const mlps_comm *comm;
    const mlps_checkpoint_workload *workload;
    const mlps_stream_options *streams;
    mlps_checkpoint_result *result;
    mlps_store *store;
    mlps_stream_writer *writer; /* made before the first timed write */
    mlps_stream_reader *reader; /* made before the first timed read */
    mlps_checkpoint_file *files; /* this rank's files, in write order */
    uint64_t file_count;
} checkpointer;

static int collect_file(const mlps_checkpoint_file *file, void *context)
{
    checkpointer *c = context;
    c->files[c->file_count++] = *file;
    return 0;
}

static int list_files(checkpointer *c, mlps_error *err)
{
    uint64_t rank = (uint64_t)c->comm->rank;
    uint64_t count = mlps_checkpoint_rank_file_count(&c->result->layout, rank);
    c->files = calloc(count ? count : 1, sizeof *c->files);
    if (!c->files)
        return mlps_fail(err, -ENOMEM, "out of memory for %" PRIu64 " file names", count);
    return mlps_checkpoint_rank_files(&c->result->layout, rank, collect_file, c);
}

static int phase_alloc(mlps_checkpoint_phase *phase, size_t count, uint64_t bytes,
                       mlps_error *err)
{
    phase->count = count;
    phase->bytes = bytes;
    mlps_hist_init(&phase->latency_ns);
    mlps_hist_init(&phase->file_latency_ns);
    size_t n = count ? count : 1;
    phase->seconds = calloc(n, sizeof *phase->seconds);
    phase->own_seconds = calloc(n, sizeof *phase->own_seconds);
    phase->start_wall_ns = calloc(n, sizeof *phase->start_wall_ns);
    phase->end_wall_ns = calloc(n, sizeof *phase->end_wall_ns);
    if (!phase->seconds || !phase->own_seconds || !phase->start_wall_ns || !phase->end_wall_ns)
        return mlps_fail(err, -ENOMEM, "out of memory");
    return 0;
}

static void phase_free(mlps_checkpoint_phase *phase)
{
    free(phase->seconds);
    free(phase->own_seconds);
    free(phase->start_wall_ns);
    free(phase->end_wall_ns);
}

static int file_path(uint64_t step, const char *name, char *out, size_t size, mlps_error *err)
{
    char folder[64];
    int rc = mlps_checkpoint_step_name(step, folder, sizeof folder);
    if (!rc && snprintf(out, size, "%s/%s", folder, name) >= (int)size)
        rc = mlps_fail(err, -ENAMETOOLONG, "checkpoint file name too long: %s", name);
    return rc;
}

/* --- one checkpoint --- */

/* One file streamed whole: its time into the per-file histogram, its bytes into the progress. */
static void file_done(checkpointer *c, uint64_t bytes, uint64_t ns)
{
    mlps_hist_record(c->file_latency, ns);
    mlps_progress_add(&c->progress, bytes);
    mlps_progress_tick(&c->progress);
}

/* This rank's files of one checkpoint, in order, each timed as a whole too; the checkpoint is
 * saved when every file is durable: the flush waits for the last fsyncs. */
static int save_files(checkpointer *c, uint64_t step, mlps_hist *latency, mlps_error *err)
{
    int rc = 0;
    for (uint64_t i = 0; i < c->file_count && !rc; i++) {
        char path[PATH_MAX];
        uint64_t start = mlps_monotonic_ns();
        rc = file_path(step, c->files[i].name, path, sizeof path, err);
        if (!rc)
            rc = mlps_stream_writer_write(c->writer, path, c->files[i].bytes, latency, err);
        if (!rc)
            file_done(c, c->files[i].bytes, mlps_monotonic_ns() - start);
    }
    int flushed = mlps_stream_writer_flush(c->writer, rc ? NULL : err);
    return rc ? rc : flushed;
}

/* The rank's files of the checkpoint being loaded, as the reader asks for them. */
typedef struct load_list {
    checkpointer *c;
    uint64_t step;
} load_list;

static int load_list_file(void *ctx, size_t index, char *path, size_t path_size, uint64_t *bytes,
                          mlps_error *err)
{
    const load_list *l = ctx;
    *bytes = l->c->files[index].bytes;
    return file_path(l->step, l->c->files[index].name, path, path_size, err);
}

static void load_list_done(void *ctx, size_t index, uint64_t ns)
{
    const load_list *l = ctx;
    file_done(l->c, l->c->files[index].bytes, ns);
}

/* The same files read back in one stream: the reader keeps its reads in flight across files. */
static int load_files(checkpointer *c, uint64_t step, mlps_hist *latency, mlps_error *err)
{
    load_list l = {.c = c, .step = step};
    const mlps_stream_file_list list = {.count = c->file_count, .file = load_list_file,
                                        .done = load_list_done, .ctx = &l};
    return mlps_stream_reader_read_list(c->reader, &list, latency, err);
}

/* Out of the page cache before a timed read (so it reads storage) and after it (so the next
 * checkpoint's reads do not compete with these pages); never inside the timed window. */
static void evict_checkpoint(checkpointer *c, uint64_t step)
{
    for (uint64_t i = 0; i < c->file_count; i++) {
        char path[PATH_MAX];
        if (file_path(step, c->files[i].name, path, sizeof path, NULL) == 0)
            mlps_stream_evict(c->store, path);
    }
}

/* Rank 0's progress over a phase: its own bytes of every checkpoint of the phase. */
static void start_progress(checkpointer *c, mlps_checkpoint_phase *phase, const char *verb)
{
    uint64_t mine = 0;
    for (uint64_t i = 0; i < c->file_count; i++)
        mine += c->files[i].bytes;
    char label[48];
    snprintf(label, sizeof label, "%s (rank 0's files)", verb);
    mlps_progress_start(&c->progress, label, MLPS_PROGRESS_BYTES, NULL, mine * phase->count,
                        c->comm->rank == 0 && phase->count > 0, -1);
    c->file_latency = &phase->file_latency_ns;
}

/* Rank 0, after every rank wrote the checkpoint: what it holds, for readers to check. */
static int mark_complete(checkpointer *c, uint64_t step, mlps_error *err)
{
    mlps_checkpoint_marker marker = {.model_name = c->workload->model_name,
                                     .processes = c->comm->size,
                                     .files = c->result->totals.files,
                                     .bytes = c->result->totals.bytes};
    return mlps_checkpoint_mark_complete(c->store, step, &marker, err);
}

typedef int (*checkpoint_action)(checkpointer *c, uint64_t step, mlps_hist *latency,
                                 mlps_error *err);

/* Pause, start together, act, end when the slowest rank ends. */
static int timed_checkpoint(checkpointer *c, mlps_checkpoint_phase *phase, const char *verb,
                            uint64_t k, checkpoint_action action, mlps_error *err)
{
    mlps_sleep_until_ns(mlps_monotonic_ns() +
                        mlps_seconds_to_ns(c->workload->checkpoint.time_between_seconds));
    int rc = mlps_comm_barrier(c->comm, err);
    if (rc)
        return rc;
    uint64_t start = mlps_monotonic_ns();
    phase->start_wall_ns[k - 1] = mlps_wall_ns();
    rc = action(c, k, &phase->latency_ns, err);
    uint64_t own_end = mlps_monotonic_ns();
    rc = mlps_comm_agree(c->comm, rc, err);
    uint64_t end = mlps_monotonic_ns();
    phase->end_wall_ns[k - 1] = mlps_wall_ns();
    phase->own_seconds[k - 1] = mlps_ns_to_seconds(own_end - start);
    phase->seconds[k - 1] = mlps_ns_to_seconds(end - start);
    if (rc) {
        mlps_error_prefix(err, "%s of checkpoint %" PRIu64 " failed: ", verb, k);
        return rc;
    }
    if (c->comm->rank == 0) {
        double gib = (double)phase->bytes / 1073741824.0;
        mlps_info("%s %" PRIu64 "/%zu: %.2f GiB in %.2f s, %.2f GiB/s", verb, k, phase->count, gib,
                  phase->seconds[k - 1], gib / phase->seconds[k - 1]);
    }
    return 0;
}

static int save_checkpoints(checkpointer *c, mlps_checkpoint_phase *phase, mlps_error *err)
{
    start_progress(c, phase, "save");
    for (uint64_t k = 1; k <= phase->count; k++) {
        int rc = timed_checkpoint(c, phase, "save", k, save_files, err);
        mlps_stream_writer_evict(c->writer); /* after the clock stopped */
        if (rc) {
            mlps_error_prefix(err, "checkpoint global_epoch1_step%" PRIu64 " is incomplete (not "
                                   "marked complete, never read): ", k);
            return rc;
        }
        rc = c->comm->rank == 0 ? mark_complete(c, k, err) : 0;
        if ((rc = mlps_comm_agree(c->comm, rc, err)))
            return rc;
    }
    return 0;
}

/* The write buffers live for the phase only, so that the read buffers never sit beside them. */
static int save_phase(checkpointer *c, mlps_error *err)
{
    mlps_checkpoint_phase *phase = &c->result->save;
    if (phase->count == 0)
        return 0;
    int rc = mlps_comm_agree(c->comm, mlps_stream_writer_create(c->store, c->streams, &c->writer,
                                                                err), err);
    if (!rc)
        rc = save_checkpoints(c, phase, err);
    mlps_stream_writer_destroy(c->writer);
    c->writer = NULL;
    return rc;
}

/* Before timing any read: every checkpoint to read is marked complete (rank 0 wrote the markers,
 * so rank 0 looks, and a missing one is reported once), then every rank's files have their sizes. */
static int check_readable(checkpointer *c, mlps_error *err)
{
    uint64_t steps = c->result->load.count;
    int rc = c->comm->rank == 0 ? mlps_checkpoint_check_marked(c->store, steps, err) : 0;
    if ((rc = mlps_comm_agree(c->comm, rc, err)))
        return rc;
    rc = mlps_checkpoint_check_rank_files(c->store, &c->result->layout, (uint64_t)c->comm->rank,
                                          steps, err);
    return mlps_comm_agree(c->comm, rc, err);
}

static int load_phase(checkpointer *c, mlps_error *err)
{
    if (c->result->load.count == 0)
        return 0;
    int rc = check_readable(c, err);
    if (!rc)
        rc = mlps_comm_agree(c->comm, mlps_stream_reader_create(c->store, c->streams, &c->reader,
                                                                err), err);
    start_progress(c, &c->result->load, "load");
    for (uint64_t k = 1; k <= c->result->load.count && !rc; k++) {
        evict_checkpoint(c, k);
        rc = timed_checkpoint(c, &c->result->load, "load", k, load_files, err);
        evict_checkpoint(c, k);
    }
    return rc;
}

/* --- the run --- */

static int open_folder(checkpointer *c, mlps_error *err)
{
    const char *folder = c->workload->checkpoint.folder;
    mlps_store_options options;
    int rc = mlps_storage_options_read(c->workload->config, (uint32_t)c->comm->rank, &options,
                                       err);
    options.ranks = (uint32_t)c->comm->size;
    if (!rc)
        rc = mlps_store_open(folder, &options, &c->store, err);
    if (!rc && c->comm->rank == 0 && c->result->save.count > 0)
        rc = mlps_store_mkdirs(c->store, "", err);
    if (rc)
        mlps_error_prefix(err, "checkpoint.checkpoint_folder: ");
    return mlps_comm_agree(c->comm, rc, err);
}

static int prepare(checkpointer *c, mlps_error *err)
{
    const mlps_checkpoint_workload *w = c->workload;
    mlps_checkpoint_result *result = c->result;
    int rc = mlps_checkpoint_workload_validate(w, (uint64_t)c->comm->size, err);
    if (!rc)
        rc = mlps_checkpoint_layout_init(&result->layout, &w->params, (uint64_t)c->comm->size, err);
    if (!rc) {
        mlps_checkpoint_totals_compute(&result->layout, &result->totals);
        rc = list_files(c, err);
    }
    if (!rc)
        rc = phase_alloc(&result->save, w->checkpoint.num_write, result->totals.bytes, err);
    if (!rc)
        rc = phase_alloc(&result->load, w->checkpoint.num_read, result->totals.bytes, err);
    return rc;
}

/* file:// only: how much of a file being written the page cache holds. */
static void state_page_cache(const checkpointer *c)
{
    if (strcmp(mlps_store_scheme(c->store), "file") != 0)
        return;
    uint64_t window = c->streams->write_behind;
    char bytes[32];
    mlps_format_bytes(window, bytes, sizeof bytes);
    if (window)
        mlps_info("write-behind: each file goes to storage as it is written, at most %s of it "
                  "in the page cache (checkpoint.write_behind_mib)", bytes);
    else
        mlps_info("plain buffered writes (checkpoint.write_behind_mib=0): each file stays in the "
                  "page cache until its fsync");
}

static void state_memory(const checkpointer *c)
{
    if (c->comm->rank != 0)
        return;
    char write[32], read[32], size[32];
    mlps_format_bytes(mlps_stream_write_memory(c->streams), write, sizeof write);
    mlps_format_bytes(mlps_stream_read_memory(c->streams, c->store), read, sizeof read);
    mlps_format_bytes(c->result->totals.bytes, size, sizeof size);
    char parts[96] = "";
    uint64_t per_object = mlps_store_s3_part_buffer_bytes(c->store);
    if (per_object) {
        char bytes[32];
        mlps_format_bytes(per_object, bytes, sizeof bytes);
        snprintf(parts, sizeof parts, ", plus %s of part buffers per object being uploaded",
                 bytes);
    }
    mlps_info("checkpoint of %s in %" PRIu64 " files in %s; each rank streams through %s of "
              "write buffers and %s of read buffers%s, whatever the size",
              size, c->result->totals.files, mlps_store_uri(c->store), write, read, parts);
    state_page_cache(c);
}

static int reduce(checkpointer *c, mlps_error *err)
{
    int rc = mlps_hist_reduce(c->comm, &c->result->save.latency_ns, err);
    if (!rc)
        rc = mlps_hist_reduce(c->comm, &c->result->load.latency_ns, err);
    if (!rc)
        rc = mlps_hist_reduce(c->comm, &c->result->save.file_latency_ns, err);
    if (!rc)
        rc = mlps_hist_reduce(c->comm, &c->result->load.file_latency_ns, err);
    uint64_t retries = mlps_store_s3_retries(c->store);
    if (!rc)
        rc = mlps_comm_sum_u64(c->comm, &retries, 1, err);
    c->result->s3_retries = retries;
    c->result->folder_on_s3 = strcmp(mlps_store_scheme(c->store), "s3") == 0;
    if (!rc && c->result->folder_on_s3)
        rc = mlps_store_s3_endpoints_gather(c->comm, c->store, &c->result->s3_endpoints, err);
    if (!rc && c->result->folder_on_s3)
        rc = mlps_store_s3_requests_reduce(c->comm, c->store, &c->result->s3_requests, err);
    return rc;
}

int mlps_checkpoint_run(const mlps_comm *comm, const mlps_checkpoint_workload *workload,
                        const mlps_stream_options *streams, mlps_checkpoint_result *result,
                        mlps_error *err)
{
    memset(result, 0, sizeof *result);
    checkpointer c = {.comm = comm, .workload = workload, .streams = streams, .result = result};
    int rc = mlps_comm_agree(comm, prepare(&c, err), err);
    if (!rc)
        rc = open_folder(&c, err);
    if (!rc)
        state_memory(&c);
    result->start_wall_ns = mlps_wall_ns();
    if (!rc)
        rc = save_phase(&c, err);
    if (!rc)
        rc = load_phase(&c, err);
    result->end_wall_ns = mlps_wall_ns();
    if (!rc)
        rc = reduce(&c, err);
    free(c.files);
    mlps_stream_writer_destroy(c.writer);
    mlps_stream_reader_destroy(c.reader);
    if (c.store)
        mlps_store_close(c.store);
    return rc;
}

void mlps_checkpoint_result_free(mlps_checkpoint_result *result)
{
    phase_free(&result->save);
    phase_free(&result->load);
    json_decref(result->s3_endpoints);
    json_decref(result->s3_requests);
    memset(result, 0, sizeof *result);
}
