/* Showing a dataset size: the JSON record, the lines a person reads, and the ready-to-run
 * datagen command. GiB (2^30) and GB (10^9) are both given, because the reference prints GiB
 * and storage vendors sell GB. */
#include "training/datasize.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"

static double in_gib(uint64_t bytes) { return (double)bytes / (double)MLPS_GiB; }
static double in_gb(uint64_t bytes) { return (double)bytes / 1e9; }

static const char *bound_name(mlps_datasize_bound bound)
{
    return bound == MLPS_DATASIZE_BOUND_MEMORY ? "memory" : "steps";
}

/* An integer when the value is one (761), a real otherwise (114660.07). */
static json_t *json_number(double value)
{
    if (value == floor(value) && fabs(value) < 0x1p53)
        return json_integer((json_int_t)value);
    return json_real(value);
}

static json_t *json_u64(uint64_t value) { return json_integer((json_int_t)value); }

json_t *mlps_datasize_to_json(const mlps_datasize *d)
{
    json_t *object = json_object();
    if (!object)
        return NULL;
    int rc = json_object_set_new(object, "model", json_string(d->model));
    rc |= json_object_set_new(object, "num_accelerators", json_u64(d->accelerators));
    rc |= json_object_set_new(object, "num_client_hosts", json_u64(d->hosts));
    rc |= json_object_set_new(object, "client_host_memory_bytes", json_u64(d->host_memory_bytes));
    rc |= json_object_set_new(object, "client_host_memory_GiB",
                              json_real(in_gib(d->host_memory_bytes)));
    rc |= json_object_set_new(object, "total_memory_bytes", json_u64(d->total_memory_bytes));
    rc |= json_object_set_new(object, "min_dataset_bytes", json_u64(d->min_dataset_bytes));
    rc |= json_object_set_new(object, "record_length_bytes", json_number(d->record_bytes));
    rc |= json_object_set_new(object, "num_samples_per_file", json_u64(d->samples_per_file));
    rc |= json_object_set_new(object, "file_bytes", json_number(d->file_bytes));
    rc |= json_object_set_new(object, "batch_size", json_u64(d->batch_size));
    rc |= json_object_set_new(object, "num_files_by_memory", json_u64(d->files_by_memory));
    rc |= json_object_set_new(object, "num_files_by_steps", json_u64(d->files_by_steps));
    rc |= json_object_set_new(object, "bound", json_string(bound_name(d->bound)));
    rc |= json_object_set_new(object, "num_files_train", json_u64(d->num_files_train));
    rc |= json_object_set_new(object, "num_subfolders_train", json_integer(0));
    rc |= json_object_set_new(object, "suggested_num_subfolders_train",
                              json_u64(d->suggested_subfolders));
    rc |= json_object_set_new(object, "total_disk_bytes", json_u64(d->total_disk_bytes));
    rc |= json_object_set_new(object, "total_disk_GiB", json_real(in_gib(d->total_disk_bytes)));
    rc |= json_object_set_new(object, "total_disk_GB", json_real(in_gb(d->total_disk_bytes)));
    rc |= json_object_set_new(object, "steps_per_epoch", json_u64(d->steps_per_epoch));
    if (rc != 0) {
        json_decref(object);
        return NULL;
    }
    return object;
}

/* ---- text ---- */

static void write_bounds(const mlps_datasize *d, FILE *out)
{
    fprintf(out, "  by memory: %" PRIu64 " files (%d x %.2f GiB of host memory at %.10g B per "
            "file)\n", d->files_by_memory, MLPS_DATASIZE_MEMORY_MULTIPLE,
            in_gib(d->total_memory_bytes), d->file_bytes);
    fprintf(out, "  by steps:  %" PRIu64 " files (%d steps x %" PRIu64 " accelerators x batch %"
            PRIu64 " / %" PRIu64 " samples per file)\n", d->files_by_steps,
            MLPS_DATASIZE_MIN_STEPS, d->accelerators, d->batch_size, d->samples_per_file);
    fprintf(out, "  required:  %" PRIu64 " files, set by the %s rule; %" PRIu64
            " steps per epoch\n", d->num_files_train,
            d->bound == MLPS_DATASIZE_BOUND_MEMORY ? "5x memory" : "500-step",
            d->steps_per_epoch);
    fprintf(out, "  disk:      %" PRIu64 " B = %.2f GiB = %.2f GB\n", d->total_disk_bytes,
            in_gib(d->total_disk_bytes), in_gb(d->total_disk_bytes));
}

int mlps_datasize_write_text(const mlps_datasize *d, const char *datagen_command, FILE *out)
{
    fprintf(out, "Training data size for %s: %" PRIu64 " accelerators, %" PRIu64
            " client host%s of %.2f GiB\n", d->model, d->accelerators, d->hosts,
            d->hosts == 1 ? "" : "s", in_gib(d->host_memory_bytes));
    write_bounds(d, out);
    if (d->suggested_subfolders)
        fprintf(out, "  hint:      %" PRIu64 " files may be too many for one folder; to keep "
                "near %d files per folder use -p dataset.num_subfolders_train=%" PRIu64 "\n",
                d->num_files_train, MLPS_DATASIZE_FILES_PER_FOLDER, d->suggested_subfolders);
    if (datagen_command)
        fprintf(out, "Generate it with:\n  %s\n", datagen_command);
    return ferror(out) ? -EIO : 0;
}

/* ---- the datagen command ---- */

/* Characters that need no quoting in a POSIX shell word. */
static bool is_plain_word(const char *word)
{
    return *word && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789_-./=:,+@%") == strlen(word);
}

static void put_word(FILE *out, const char *word)
{
    fputc(' ', out);
    if (is_plain_word(word)) {
        fputs(word, out);
        return;
    }
    fputc('\'', out);
    for (const char *c = word; *c; c++) {
        if (*c == '\'')
            fputs("'\\''", out);
        else
            fputc(*c, out);
    }
    fputc('\'', out);
}

static void put_param(FILE *out, const char *key, uint64_t value)
{
    fprintf(out, " -p %s=%" PRIu64, key, value);
}

static void put_command(FILE *out, const mlps_datasize *d, const mlps_datagen_command_options *o)
{
    fputs(o->program ? o->program : "mlps", out);
    fputs(" training datagen -m", out);
    put_word(out, d->model);
    fprintf(out, " -np %" PRIu64, d->accelerators);
    if (o->hosts) {
        fputs(" --hosts", out);
        put_word(out, o->hosts);
    }
    fputs(" -dd", out);
    if (o->data_dir)
        put_word(out, o->data_dir);
    else
        fputs(" <DATA_DIR>", out);
    put_param(out, "dataset.num_files_train", d->num_files_train);
    if (o->use_subfolders && d->suggested_subfolders)
        put_param(out, "dataset.num_subfolders_train", d->suggested_subfolders);
    for (size_t i = 0; i < o->param_count; i++) {
        fputs(" -p", out);
        put_word(out, o->params[i]);
    }
}

char *mlps_datasize_datagen_command(const mlps_datasize *d,
                                    const mlps_datagen_command_options *options)
{
    static const mlps_datagen_command_options defaults = {0};
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out)
        return NULL;
    put_command(out, d, options ? options : &defaults);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
