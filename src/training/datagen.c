/* Dataset generation; see datagen.h. Rank 0 prepares the folders (and clears temporaries that
 * an interrupted run left), then every rank writes its share; ranks agree on the outcome.
 * A rank hands each finished file to its closer, which flushes and publishes it while the rank
 * writes the next one: on a disk the flush takes about as long as the writing, and the two now
 * overlap. The rank's time ends when its last file is durable. */
#include "training/datagen.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "core/clock.h"
#include "core/comm_agree.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/units.h"
#include "formats/sink_seqwriter.h"
#include "io/closer.h"
#include "io/seqwriter.h"
#include "io/storage_config.h"

/* Files a rank has finished writing that may still be flushing: one overlaps the flush with the
 * next file's writing, and bounds what an object store's last part keeps in memory. */
#define FILES_BEING_CLOSED 1

typedef struct generator {
    const mlps_workload *workload;
    const mlps_format *format;
    mlps_format_params params;
    mlps_dataset_layout layout;
    mlps_sample_dims dims;
    mlps_store *store;
    mlps_closer *closer;
    size_t block_size;
    unsigned depth;
    mlps_progress progress;
    uint64_t written, present, bytes;
} generator;

void mlps_datagen_layout(const mlps_workload *workload, const mlps_format *format,
                         mlps_dataset_layout *layout)
{
    *layout = (mlps_dataset_layout){
        .file_prefix = workload->dataset.file_prefix,
        .extension = format->extension,
        .num_files_train = workload->dataset.num_files_train,
        .num_files_eval = workload->dataset.num_files_eval,
        .num_subfolders_train = workload->dataset.num_subfolders_train,
        .num_subfolders_eval = workload->dataset.num_subfolders_eval,
    };
}

/* Creates a directory and clears what an interrupted run left in it. */
static int prepare_directory(generator *g, const char *path, uint64_t *removed, mlps_error *err)
{
    int rc = mlps_store_mkdirs(g->store, path, err);
    return rc ? rc : mlps_store_remove_partials(g->store, path, removed, err);
}

static int prepare_split(generator *g, mlps_split split, uint64_t *removed, mlps_error *err)
{
    int rc = prepare_directory(g, mlps_split_directory(split), removed, err);
    uint64_t subfolders = mlps_plan_subfolder_count(&g->layout, split);
    for (uint64_t j = 0; !rc && j < subfolders; j++) {
        char path[PATH_MAX];
        rc = mlps_plan_subfolder_path(&g->layout, split, j, path, sizeof path, err);
        if (!rc)
            rc = prepare_directory(g, path, removed, err);
    }
    return rc;
}

/* Writes one file (data or companion) through a sequential writer and hands it to the closer,
 * which publishes it atomically. */
static int write_one(generator *g, const char *path, const mlps_format_file *file, int companion,
                     mlps_error *err)
{
    mlps_seqwriter *writer = NULL;
    int rc = mlps_seqwriter_open(g->store, path, MLPS_OPEN_ATOMIC, g->block_size, g->depth,
                                 &writer, err);
    if (rc)
        return rc;
    mlps_sink sink;
    mlps_seqwriter_sink(writer, &sink);
    rc = companion < 0
             ? g->format->write(&g->params, file, &sink, err)
             : g->format->write_companion(&g->params, file, (unsigned)companion, &sink, err);
    if (rc) {
        mlps_seqwriter_abort(writer);
        return rc;
    }
    g->bytes += mlps_seqwriter_bytes(writer);
    mlps_file *finished = NULL;
    rc = mlps_seqwriter_release(writer, &finished, err);
    return rc ? rc : mlps_closer_close(g->closer, finished, err);
}

/* A file already published under its name is complete (and of this dataset when its size is
 * the one the format predicts). */
static bool already_present(generator *g, const char *path, const mlps_format_file *file)
{
    mlps_stat st;
    if (mlps_store_stat(g->store, path, &st, NULL) != 0 || st.is_dir)
        return false;
    uint64_t expected = g->format->file_size ? g->format->file_size(&g->params, file) : 0;
    if (expected && st.size != expected) {
        mlps_warn("%s has %" PRIu64 " bytes, not the %" PRIu64 " this workload writes: "
                  "writing it again", path, st.size, expected);
        return false;
    }
    return true;
}

static int generate_file(generator *g, uint64_t generation_index, mlps_error *err)
{
    mlps_split split;
    uint64_t index;
    mlps_plan_generation_file(&g->layout, generation_index, &split, &index);
    char path[PATH_MAX];
    int rc = mlps_plan_file_path(&g->layout, split, index, path, sizeof path, err);
    if (rc)
        return rc;
    mlps_format_file file = {.index = generation_index};
    mlps_sample_dims_of_file(&g->dims, generation_index, &file.d1, &file.d2);
    if (already_present(g, path, &file)) {
        g->present++;
        return 0;
    }
    rc = write_one(g, path, &file, -1, err);
    for (unsigned c = 0; !rc && c < g->format->companion_count; c++) {
        char companion[PATH_MAX];
        rc = g->format->companion_path(c, mlps_split_directory(split), path, companion,
                                       sizeof companion, err);
        if (!rc)
            rc = write_one(g, companion, &file, (int)c, err);
    }
    if (!rc)
        g->written++;
    return rc;
}

/* The progress line's bytes and rate next to the file count. */
static void bytes_detail(void *ctx, char *out, size_t size)
{
    const generator *g = ctx;
    double elapsed = mlps_ns_to_seconds(mlps_monotonic_ns() - g->progress.start_ns);
    char bytes[32], rate[48];
    mlps_format_bytes(g->bytes, bytes, sizeof bytes);
    mlps_format_rate(elapsed > 0 ? (double)g->bytes / elapsed : 0, rate, sizeof rate);
    snprintf(out, size, "%s written by rank 0, %s", bytes, rate);
}

/* Waits until the closer has published every file handed over: a rank's share is done when its
 * last file is durable. A writing failure is reported before a closing one. */
static int finish_closing(generator *g, int rc, mlps_error *err)
{
    mlps_error closing;
    mlps_error_clear(&closing);
    int closed = mlps_closer_finish(g->closer, &closing);
    g->closer = NULL;
    if (rc == 0 && closed < 0 && err)
        *err = closing;
    return rc ? rc : closed;
}

static int generate_share(generator *g, const mlps_comm *comm, mlps_error *err)
{
    uint64_t total = mlps_plan_generation_count(&g->layout);
    uint64_t mine = total / (uint64_t)comm->size + ((uint64_t)comm->rank < total % (uint64_t)comm->size);
    int rc = mlps_closer_start(FILES_BEING_CLOSED, &g->closer, err);
    if (rc)
        return rc;
    mlps_progress_start(&g->progress, "datagen (rank 0)", MLPS_PROGRESS_ITEMS, "files", mine,
                        comm->rank == 0, -1);
    g->progress.detail = bytes_detail;
    g->progress.detail_ctx = g;
    for (uint64_t i = (uint64_t)comm->rank; i < total && !rc; i += (uint64_t)comm->size) {
        rc = generate_file(g, i, err);
        mlps_progress_add(&g->progress, 1);
        mlps_progress_tick(&g->progress);
    }
    rc = finish_closing(g, rc, err);
    if (!rc)
        mlps_progress_finish(&g->progress);
    return rc;
}

static int open_data_folder(generator *g, uint32_t rank, uint32_t ranks, mlps_error *err)
{
    const char *folder = g->workload->dataset.data_folder;
    mlps_store_options options;
    int rc = mlps_storage_options_read(g->workload->config, rank, &options, err);
    options.ranks = ranks;
    if (!rc)
        rc = mlps_store_open(folder, &options, &g->store, err);
    if (rc)
        mlps_error_prefix(err, "dataset.data_folder: ");
    return rc;
}

static int init_generator(generator *g, const mlps_comm *comm, const mlps_workload *workload,
                          const mlps_datagen_options *options, mlps_error *err)
{
    memset(g, 0, sizeof *g);
    g->workload = workload;
    int rc = mlps_workload_require_format(workload, &g->format, err);
    if (rc)
        return rc;
    mlps_workload_format_params(workload, &g->params);
    mlps_datagen_layout(workload, g->format, &g->layout);
    mlps_sample_dims_init(&g->dims, workload->dataset.record_length_bytes,
                          workload->dataset.record_length_bytes_stdev, g->params.seed);
    g->block_size = options && options->block_size ? options->block_size : (size_t)1 << 20;
    g->depth = options && options->depth ? options->depth : 4;
    return open_data_folder(g, (uint32_t)comm->rank, (uint32_t)comm->size, err);
}

int mlps_datagen_run(const mlps_comm *comm, const mlps_workload *workload,
                     const mlps_datagen_options *options, mlps_datagen_result *result,
                     mlps_error *err)
{
    memset(result, 0, sizeof *result);
    generator g;
    int rc = init_generator(&g, comm, workload, options, err);
    uint64_t removed = 0;
    if (!rc && comm->rank == 0) {
        rc = prepare_split(&g, MLPS_SPLIT_TRAIN, &removed, err);
        if (!rc)
            rc = prepare_split(&g, MLPS_SPLIT_VALID, &removed, err);
    }
    rc = mlps_comm_agree(comm, rc, err);
    uint64_t start = mlps_monotonic_ns();
    if (!rc)
        rc = generate_share(&g, comm, err);
    double seconds = mlps_ns_to_seconds(mlps_monotonic_ns() - start);
    rc = mlps_comm_agree(comm, rc, err);
    uint64_t counts[4] = {g.written, g.present, g.bytes, removed};
    if (!rc)
        rc = mlps_comm_sum_u64(comm, counts, 4, err);
    if (!rc)
        rc = mlps_comm_max_double(comm, &seconds, 1, err);
    *result = (mlps_datagen_result){.files_written = counts[0], .files_present = counts[1],
                                    .bytes_written = counts[2], .partials_removed = counts[3],
                                    .seconds = seconds};
    if (g.store)
        mlps_store_close(g.store);
    return rc;
}

json_t *mlps_datagen_result_json(const mlps_datagen_result *result)
{
    double rate = result->seconds > 0 ? (double)result->bytes_written / result->seconds : 0;
    return json_pack("{s:I, s:I, s:I, s:I, s:f, s:f, s:f}", "files_written",
                     (json_int_t)result->files_written, "files_already_present",
                     (json_int_t)result->files_present, "bytes_written",
                     (json_int_t)result->bytes_written, "partial_files_removed",
                     (json_int_t)result->partials_removed, "seconds", result->seconds,
                     "write_GiB_per_second", rate / 1073741824.0, "write_GB_per_second",
                     rate / 1e9);
}
