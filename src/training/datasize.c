/* The training dataset size rule (spec 10 §5.3): the arithmetic. Rendering it for people and for
 * JSON, and the datagen command, are in datasize_report.c. */
#include "training/datasize.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_request(const mlps_datasize_request *request, mlps_error *err)
{
    if (request->accelerators < 1)
        return mlps_fail_usage(err, -EINVAL, "the number of accelerators must be at least 1");
    if (request->hosts < 1)
        return mlps_fail_usage(err, -EINVAL, "the number of client hosts must be at least 1");
    if (request->host_memory_bytes < 1)
        return mlps_fail_usage(err, -EINVAL, "the client host memory must be greater than 0");
    return 0;
}

static int fail_too_large(const char *what, mlps_error *err)
{
    return mlps_fail_usage(err, -EOVERFLOW, "the %s does not fit in 64 bits; check the host "
                           "memory, host count and accelerator count", what);
}

/* floor(a / b) as Python computes `a // b` for floats: through fmod, so that a quotient just
 * below an integer is not rounded up to it. */
static double floor_divide(double a, double b)
{
    double remainder = fmod(a, b);
    double quotient = (a - remainder) / b;
    double whole = floor(quotient);
    if (quotient - whole > 0.5)
        whole += 1.0;
    return whole;
}

static bool is_whole(double value) { return value == floor(value) && value < 0x1p63; }

/* The memory bound and the disk size: exact integers for integral records, else as the
 * reference computes them in double precision. */
static int size_by_memory(mlps_datasize *d, mlps_error *err)
{
    uint64_t file_bytes;
    if (is_whole(d->record_bytes) &&
        !__builtin_mul_overflow(d->samples_per_file, (uint64_t)d->record_bytes, &file_bytes)) {
        d->files_by_memory = d->min_dataset_bytes / file_bytes;
        return 0;
    }
    double files = floor_divide((double)d->min_dataset_bytes, d->file_bytes);
    if (!(files < 0x1p64))
        return fail_too_large("file count", err);
    d->files_by_memory = (uint64_t)files;
    return 0;
}

static int size_disk(mlps_datasize *d, mlps_error *err)
{
    uint64_t file_bytes;
    if (is_whole(d->record_bytes) &&
        !__builtin_mul_overflow(d->samples_per_file, (uint64_t)d->record_bytes, &file_bytes)) {
        if (__builtin_mul_overflow(d->num_files_train, file_bytes, &d->total_disk_bytes))
            return fail_too_large("dataset size", err);
        return 0;
    }
    double bytes = (double)d->num_files_train * d->file_bytes;
    if (!(bytes < 0x1p64))
        return fail_too_large("dataset size", err);
    d->total_disk_bytes = (uint64_t)bytes;
    return 0;
}

static int size_by_steps(mlps_datasize *d, mlps_error *err)
{
    uint64_t samples;
    if (__builtin_mul_overflow((uint64_t)MLPS_DATASIZE_MIN_STEPS, d->accelerators, &samples) ||
        __builtin_mul_overflow(samples, d->batch_size, &samples))
        return fail_too_large("sample count", err);
    d->files_by_steps = samples / d->samples_per_file;
    return 0;
}

static void choose(mlps_datasize *d)
{
    bool memory_wins = d->files_by_memory > d->files_by_steps;
    d->bound = memory_wins ? MLPS_DATASIZE_BOUND_MEMORY : MLPS_DATASIZE_BOUND_STEPS;
    d->num_files_train = memory_wins ? d->files_by_memory : d->files_by_steps;
    d->suggested_subfolders = d->num_files_train > MLPS_DATASIZE_FILES_PER_FOLDER
                                  ? d->num_files_train / MLPS_DATASIZE_FILES_PER_FOLDER
                                  : 0;
    /* samples per epoch over samples per step; the product fits, as the disk size did */
    unsigned __int128 samples = (unsigned __int128)d->samples_per_file * d->num_files_train;
    d->steps_per_epoch = (uint64_t)(samples / ((unsigned __int128)d->batch_size *
                                               d->accelerators));
}

static int describe_system(const mlps_workload *w, const mlps_datasize_request *request,
                           mlps_datasize *d, mlps_error *err)
{
    *d = (mlps_datasize){
        .accelerators = request->accelerators,
        .hosts = request->hosts,
        .host_memory_bytes = request->host_memory_bytes,
        .record_bytes = mlps_workload_record_bytes(w),
        .samples_per_file = w->dataset.num_samples_per_file,
        .batch_size = w->reader.batch_size,
    };
    snprintf(d->model, sizeof d->model, "%s", w->model);
    if (__builtin_mul_overflow(request->host_memory_bytes, request->hosts,
                               &d->total_memory_bytes) ||
        __builtin_mul_overflow(d->total_memory_bytes, (uint64_t)MLPS_DATASIZE_MEMORY_MULTIPLE,
                               &d->min_dataset_bytes))
        return fail_too_large("total host memory", err);
    d->file_bytes = (double)d->samples_per_file * d->record_bytes;
    return 0;
}

int mlps_datasize_compute(const mlps_workload *workload, const mlps_datasize_request *request,
                          mlps_datasize *out, mlps_error *err)
{
    int rc = check_request(request, err);
    if (rc == 0)
        rc = describe_system(workload, request, out, err);
    if (rc == 0)
        rc = size_by_memory(out, err);
    if (rc == 0)
        rc = size_by_steps(out, err);
    if (rc == 0) {
        choose(out);
        rc = size_disk(out, err);
    }
    return rc;
}
