/* Checkpoint completion on storage; see complete.h. */
#include "checkpoint/complete.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/seqwriter.h"

/* The marker is a few dozen bytes: one block, rounded to what direct:// needs. */
#define MARKER_BLOCK ((size_t)4096)

static int step_path(uint64_t step, const char *name, char *out, size_t size, mlps_error *err)
{
    char folder[64];
    int rc = mlps_checkpoint_step_name(step, folder, sizeof folder);
    if (!rc && snprintf(out, size, "%s/%s", folder, name) >= (int)size)
        rc = mlps_fail(err, -ENAMETOOLONG, "checkpoint file name too long: %s", name);
    return rc;
}

int mlps_checkpoint_mark_complete(mlps_store *store, uint64_t step,
                                  const mlps_checkpoint_marker *marker, mlps_error *err)
{
    char path[PATH_MAX];
    int rc = step_path(step, MLPS_CHECKPOINT_COMPLETE_MARKER, path, sizeof path, err);
    if (rc)
        return rc;
    char *text = NULL;
    int len = asprintf(&text, "{\"model\": \"%s\", \"processes\": %d, \"files\": %" PRIu64
                       ", \"bytes\": %" PRIu64 "}\n", marker->model_name, marker->processes,
                       marker->files, marker->bytes);
    if (len < 0)
        return mlps_fail(err, -ENOMEM, "out of memory");
    /* The sequential writer pads and truncates for direct://, which refuses a plain write of an
     * unaligned buffer. */
    size_t alignment = mlps_store_alignment(store);
    size_t block = (MARKER_BLOCK + alignment - 1) / alignment * alignment;
    mlps_seqwriter *writer = NULL;
    rc = mlps_seqwriter_open(store, path, MLPS_OPEN_ATOMIC, block, 1, &writer, err);
    if (!rc && (rc = mlps_seqwriter_write(writer, text, (size_t)len, err)))
        mlps_seqwriter_abort(writer);
    else if (!rc)
        rc = mlps_seqwriter_close(writer, err);
    free(text);
    return rc;
}

int mlps_checkpoint_check_marked(mlps_store *store, uint64_t steps, mlps_error *err)
{
    mlps_stat st;
    if (steps > 0 && mlps_store_stat(store, "", &st, NULL) != 0)
        return mlps_fail_usage(err, -ENOENT,
                               "checkpoint folder %s does not exist: write checkpoints first "
                               "(-ncw %" PRIu64 " or more)", mlps_store_uri(store), steps);
    for (uint64_t k = 1; k <= steps; k++) {
        char path[PATH_MAX];
        int rc = step_path(k, MLPS_CHECKPOINT_COMPLETE_MARKER, path, sizeof path, err);
        if (rc)
            return rc;
        if (mlps_store_stat(store, path, &st, NULL) != 0)
            return mlps_fail_usage(err, -ENOENT,
                                   "%s/global_epoch1_step%" PRIu64 " is not a complete checkpoint "
                                   "(no %s): write it first (-ncw %" PRIu64 " or more)",
                                   mlps_store_uri(store), k, MLPS_CHECKPOINT_COMPLETE_MARKER,
                                   steps);
    }
    return 0;
}

typedef struct file_check {
    mlps_store *store;
    uint64_t step;
    mlps_error *err;
} file_check;

static int check_file(const mlps_checkpoint_file *file, void *context)
{
    const file_check *c = context;
    char path[PATH_MAX];
    mlps_stat st;
    int rc = step_path(c->step, file->name, path, sizeof path, c->err);
    if (rc)
        return rc;
    if (mlps_store_stat(c->store, path, &st, NULL) != 0)
        return mlps_fail_usage(c->err, -ENOENT, "%s/%s is missing: the checkpoint is incomplete "
                               "or was written by another process count",
                               mlps_store_uri(c->store), path);
    if (st.size != file->bytes)
        return mlps_fail_usage(c->err, -EINVAL,
                               "%s/%s has %" PRIu64 " bytes, not the %" PRIu64 " of this model "
                               "and process count", mlps_store_uri(c->store), path, st.size,
                               file->bytes);
    return 0;
}

int mlps_checkpoint_check_rank_files(mlps_store *store, const mlps_checkpoint_layout *layout,
                                     uint64_t rank, uint64_t steps, mlps_error *err)
{
    int rc = 0;
    for (uint64_t k = 1; k <= steps && !rc; k++) {
        file_check check = {.store = store, .step = k, .err = err};
        rc = mlps_checkpoint_rank_files(layout, rank, check_file, &check);
    }
    return rc;
}
