/* Writing the checkpoints of a training run; see train_ckpt.h. Each writing rank streams its
 * file through a sequential writer (bounded buffers whatever model.model_size_bytes is) that
 * publishes it atomically and fsyncs it on close. */
#include "training/train_ckpt.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "core/clock.h"
#include "core/comm_agree.h"
#include "core/log.h"
#include "io/seqwriter.h"

/* Write requests of at most 8 MiB, 4 in flight: 32 MiB per writing rank at most. */
#define CKPT_WRITE_CHUNK ((uint64_t)8 << 20)
#define CKPT_WRITE_DEPTH 4u

static int open_folder(const mlps_comm *comm, const char *folder, mlps_store **store,
                       mlps_error *err)
{
    int rc = mlps_store_open(folder, NULL, store, err);
    if (!rc && comm->rank == 0)
        rc = mlps_store_mkdirs(*store, "", err);
    if (rc)
        mlps_error_prefix(err, "checkpoint.checkpoint_folder %s: ", folder);
    if (rc && err)
        err->exit_status = MLPS_EXIT_USAGE;
    return rc;
}

int mlps_train_ckpt_writer_open(const mlps_comm *comm, const mlps_workload *w,
                                const mlps_train_ckpt_schedule *schedule,
                                mlps_train_ckpt_writer *writer, mlps_error *err)
{
    *writer = (mlps_train_ckpt_writer){.comm = comm};
    if (!schedule->enabled)
        return 0;
    bool all_ranks = w->checkpoint.type == MLPS_CHECKPOINT_ALL_RANKS;
    writer->model_bytes = w->model_size_bytes;
    writer->writing_ranks = all_ranks ? (uint32_t)comm->size : 1;
    writer->this_rank_writes = all_ranks || comm->rank == 0;
    writer->extension = w->framework == MLPS_FRAMEWORK_PYTORCH ? "pt" : "pb";
    writer->seed = w->train.seed;
    int rc = open_folder(comm, w->checkpoint.folder, &writer->store, err);
    rc = mlps_comm_agree(comm, rc, err);
    if (rc)
        mlps_train_ckpt_writer_close(writer);
    return rc;
}

void mlps_train_ckpt_writer_close(mlps_train_ckpt_writer *writer)
{
    if (writer->store)
        mlps_store_close(writer->store);
    writer->store = NULL;
}

uint64_t mlps_train_ckpt_bytes(const mlps_train_ckpt_writer *writer)
{
    return writer->store ? writer->model_bytes * writer->writing_ranks : 0;
}

int mlps_train_ckpt_file_path(const mlps_train_ckpt_writer *writer, uint64_t epoch, uint64_t step,
                              int rank, char *out, size_t size, mlps_error *err)
{
    int n = snprintf(out, size, "global_epoch%" PRIu64 "_step%" PRIu64 "/model_states-%d.%s",
                     epoch, step, rank, writer->extension ? writer->extension : "pt");
    if (n < 0 || (size_t)n >= size)
        return mlps_fail(err, -ENAMETOOLONG, "checkpoint file name of epoch %" PRIu64 " step %"
                         PRIu64 " is too long", epoch, step);
    return 0;
}

/* Different bytes in every file, so nothing below can deduplicate one checkpoint into another. */
static uint64_t stream_of(uint64_t epoch, uint64_t step, int rank)
{
    return epoch * 0x9E3779B97F4A7C15ull ^ step * 0xC2B2AE3D27D4EB4Full ^ (uint64_t)rank;
}

/* Requests are whole multiples of the store's alignment (direct:// needs it); a checkpoint
 * smaller than one chunk is written with one request. */
static size_t chunk_for(const mlps_train_ckpt_writer *writer)
{
    uint64_t alignment = mlps_store_alignment(writer->store);
    uint64_t chunk = writer->model_bytes < CKPT_WRITE_CHUNK ? writer->model_bytes
                                                            : CKPT_WRITE_CHUNK;
    return (size_t)((chunk + alignment - 1) / alignment * alignment);
}

static int write_own_file(const mlps_train_ckpt_writer *writer, uint64_t epoch, uint64_t step,
                          mlps_error *err)
{
    char path[PATH_MAX];
    int rank = writer->comm->rank;
    int rc = mlps_train_ckpt_file_path(writer, epoch, step, rank, path, sizeof path, err);
    mlps_seqwriter *out = NULL;
    size_t chunk = chunk_for(writer);
    if (!rc)
        rc = mlps_seqwriter_open(writer->store, path, MLPS_OPEN_ATOMIC, chunk, CKPT_WRITE_DEPTH,
                                 &out, err);
    if (!rc)
        mlps_seqwriter_write_behind(out, MLPS_WRITE_BEHIND_DEFAULT);
    uint64_t stream = stream_of(epoch, step, rank);
    for (uint64_t offset = 0; !rc && offset < writer->model_bytes; offset += chunk) {
        uint64_t left = writer->model_bytes - offset;
        rc = mlps_seqwriter_write_random(out, left < chunk ? left : chunk, writer->seed, stream,
                                         offset, err);
    }
    if (out && rc)
        mlps_seqwriter_abort(out);
    else if (out)
        rc = mlps_seqwriter_close(out, err);
    return rc;
}

int mlps_train_ckpt_save(const mlps_train_ckpt_writer *writer, uint64_t epoch, uint64_t step,
                         mlps_train_ckpt_record *record, mlps_error *err)
{
    record->epoch = epoch;
    record->step = step;
    record->bytes = mlps_train_ckpt_bytes(writer);
    int rc = mlps_comm_barrier(writer->comm, err);
    if (rc)
        return rc;
    uint64_t start_ns = mlps_monotonic_ns();
    record->start_wall_ns = mlps_wall_ns();
    rc = writer->this_rank_writes ? write_own_file(writer, epoch, step, err) : 0;
    rc = mlps_comm_agree(writer->comm, rc, err);
    record->seconds = mlps_ns_to_seconds(mlps_monotonic_ns() - start_ns);
    record->end_wall_ns = mlps_wall_ns();
    if (rc) {
        mlps_error_prefix(err, "checkpoint global_epoch%" PRIu64 "_step%" PRIu64 " in %s: ",
                          epoch, step, mlps_store_uri(writer->store));
        return rc;
    }
    if (writer->comm->rank == 0)
        mlps_debug("checkpoint global_epoch%" PRIu64 "_step%" PRIu64 ": %" PRIu64
                   " bytes in %.3f s, %.4f GiB/s", epoch, step, record->bytes, record->seconds,
                   mlps_train_ckpt_gib_per_second(record));
    return 0;
}
