/* A split's layout cache and loader; see split_reader.h. */
#include "training/split_reader.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "core/log.h"
#include "core/units.h"

static int name_listed_file(void *ctx, uint64_t file, char *out, size_t size,
                            uint64_t *file_size, mlps_error *err)
{
    const mlps_split_reader *reader = ctx;
    if (file >= reader->files->count)
        return mlps_fail(err, -EINVAL, "data file %" PRIu64 " does not exist: the run reads %"
                         PRIu64 " files of this split", file, reader->files->count);
    *file_size = reader->files->sizes[file]; /* as listed */
    const char *path = reader->files->paths[file];
    int written = snprintf(out, size, "%s", path);
    if (written < 0 || (size_t)written >= size)
        return mlps_fail(err, -ENAMETOOLONG, "dataset path %s does not fit in %zu bytes", path,
                         size);
    return 0;
}

static int planned_sample(void *ctx, uint64_t epoch, uint64_t k, uint64_t *file,
                          uint64_t *sample, mlps_error *err)
{
    (void)err;
    const mlps_split_reader *reader = ctx;
    mlps_sample_ref ref = mlps_plan_sample(reader->plan, epoch, reader->rank, k);
    *file = ref.file;
    *sample = ref.sample;
    return 0;
}

mlps_loader_config mlps_split_reader_config(const mlps_workload *w, const mlps_plan *plan,
                                            unsigned queue_depth)
{
    return (mlps_loader_config){
        .batch_size = plan->params.batch_size,
        .batches_per_epoch = plan->steps_per_epoch,
        .read_threads = (unsigned)w->reader.read_threads,
        .prefetch_size = (unsigned)w->reader.prefetch_size,
        .queue_depth = queue_depth ? queue_depth : 4,
        .transfer_size = w->reader.transfer_size ? (size_t)w->reader.transfer_size
                                                 : (size_t)1 << 20,
        /* TensorFlow's readers all feed the batch being built; PyTorch's worker reads a whole
         * batch (spec 10 §2.2). */
        .parts_per_batch = w->reader.data_loader == MLPS_FRAMEWORK_TENSORFLOW
                               ? (unsigned)w->reader.read_threads
                               : 1,
    };
}

int mlps_split_reader_open(mlps_split_reader *reader, mlps_store *store,
                           const mlps_format *format, const mlps_format_params *params,
                           const mlps_loader_config *config, const mlps_dataset_files *files,
                           const mlps_plan *plan, uint32_t rank, mlps_error *err)
{
    *reader = (mlps_split_reader){.files = files, .plan = plan, .rank = rank};
    int rc = mlps_layout_cache_create(store, format, params, files->count, name_listed_file,
                                      reader, &reader->layouts, err);
    if (rc)
        return rc;
    mlps_loader_config full = *config;
    full.store = store;
    full.layouts = reader->layouts;
    full.order = planned_sample;
    full.order_ctx = reader;
    return mlps_loader_create(&full, &reader->loader, err);
}

void mlps_split_reader_close(mlps_split_reader *reader)
{
    mlps_loader_destroy(reader->loader);
    mlps_layout_cache_destroy(reader->layouts);
    *reader = (mlps_split_reader){0};
}

void mlps_split_reader_say_memory(const char *split, const mlps_loader_config *config,
                                  size_t alignment)
{
    char bytes[32];
    mlps_format_bytes(mlps_loader_buffer_bytes(config, alignment), bytes, sizeof bytes);
    mlps_info("%s: each rank reads with %u threads x %u requests of %zu bytes: %s of buffers",
              split, config->read_threads, config->queue_depth, config->transfer_size, bytes);
}
