/* Recording the step times of blocks and epochs as the step loop measures them; see
 * metrics.h. Storage grows by doubling, and callers size it up front from the plan's steps so
 * the loop itself does not allocate. */
#include "training/metrics.h"

#include <errno.h>
#include <stdlib.h>

static int grow_steps(mlps_block_record *block, size_t capacity, mlps_error *err)
{
    double *load = realloc(block->load, capacity * sizeof *load);
    if (load)
        block->load = load;
    double *compute = realloc(block->compute, capacity * sizeof *compute);
    if (compute)
        block->compute = compute;
    double *processed = realloc(block->processed, capacity * sizeof *processed);
    if (processed)
        block->processed = processed;
    uint64_t *bytes = realloc(block->bytes, capacity * sizeof *bytes);
    if (bytes)
        block->bytes = bytes;
    if (!load || !compute || !processed || !bytes)
        return mlps_fail(err, -ENOMEM, "out of memory recording %zu training steps", capacity);
    block->capacity = capacity;
    return 0;
}

int mlps_block_record_init(mlps_block_record *block, size_t expected_steps, uint64_t start_ns,
                           uint64_t start_wall_ns, mlps_error *err)
{
    *block = (mlps_block_record){.start_ns = start_ns, .end_ns = start_ns,
                                 .start_wall_ns = start_wall_ns, .end_wall_ns = start_wall_ns};
    return grow_steps(block, expected_steps > 0 ? expected_steps : 1, err);
}

int mlps_block_record_add_step(mlps_block_record *block, double load, double compute,
                               double processed, uint64_t bytes, mlps_error *err)
{
    if (block->steps == block->capacity) {
        int rc = grow_steps(block, block->capacity * 2, err);
        if (rc < 0)
            return rc;
    }
    size_t i = block->steps++;
    block->load[i] = load;
    block->compute[i] = compute;
    block->processed[i] = processed;
    block->bytes[i] = bytes;
    return 0;
}

void mlps_block_record_end(mlps_block_record *block, uint64_t end_ns, uint64_t end_wall_ns)
{
    block->end_ns = end_ns;
    block->end_wall_ns = end_wall_ns;
}

void mlps_block_record_free(mlps_block_record *block)
{
    free(block->load);
    free(block->compute);
    free(block->processed);
    free(block->bytes);
    *block = (mlps_block_record){0};
}

void mlps_epoch_record_init(mlps_epoch_record *record, uint64_t epoch, uint64_t start_wall_ns)
{
    *record = (mlps_epoch_record){.epoch = epoch, .start_wall_ns = start_wall_ns,
                                  .end_wall_ns = start_wall_ns};
}

int mlps_epoch_record_start_block(mlps_epoch_record *record, size_t expected_steps,
                                  uint64_t start_ns, uint64_t start_wall_ns,
                                  mlps_block_record **block, mlps_error *err)
{
    mlps_block_record *blocks =
        realloc(record->blocks, (record->block_count + 1) * sizeof *blocks);
    if (!blocks)
        return mlps_fail(err, -ENOMEM, "out of memory starting block %zu of epoch %llu",
                         record->block_count + 1, (unsigned long long)record->epoch);
    record->blocks = blocks;
    mlps_block_record *added = &blocks[record->block_count];
    int rc = mlps_block_record_init(added, expected_steps, start_ns, start_wall_ns, err);
    if (rc < 0) {
        mlps_block_record_free(added);
        return rc;
    }
    record->block_count++;
    *block = added;
    return 0;
}

int mlps_epoch_record_add_checkpoint(mlps_epoch_record *record,
                                     const mlps_train_ckpt_record *checkpoint, mlps_error *err)
{
    mlps_train_ckpt_record *checkpoints =
        realloc(record->checkpoints, (record->checkpoint_count + 1) * sizeof *checkpoints);
    if (!checkpoints)
        return mlps_fail(err, -ENOMEM, "out of memory recording checkpoint %zu of epoch %llu",
                         record->checkpoint_count + 1, (unsigned long long)record->epoch);
    record->checkpoints = checkpoints;
    checkpoints[record->checkpoint_count++] = *checkpoint;
    return 0;
}

int mlps_epoch_record_start_eval(mlps_epoch_record *record, size_t expected_steps,
                                 uint64_t start_ns, uint64_t start_wall_ns,
                                 mlps_block_record **block, mlps_error *err)
{
    mlps_block_record_free(&record->eval);
    record->evaluated = false;
    int rc = mlps_block_record_init(&record->eval, expected_steps, start_ns, start_wall_ns, err);
    if (rc < 0) {
        mlps_block_record_free(&record->eval);
        return rc;
    }
    record->evaluated = true;
    *block = &record->eval;
    return 0;
}

void mlps_epoch_record_free(mlps_epoch_record *record)
{
    mlps_block_record_free(&record->eval);
    for (size_t i = 0; i < record->block_count; i++)
        mlps_block_record_free(&record->blocks[i]);
    free(record->blocks);
    free(record->checkpoints);
    *record = (mlps_epoch_record){0};
}
