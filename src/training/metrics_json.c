/* The JSON that carries training metrics, with DLIO's key names and layouts (spec 3.3):
 * summary.json's "metric" object, <rank>_per_epoch_stats.json and the epochs of
 * <rank>_output.json. Objects keep insertion order, which follows DLIO's. */
#include "training/metrics.h"

#include <math.h>
#include <stdio.h>

#include "core/clock.h"

/* Non-finite values have no JSON form; they cannot arise from the guarded formulas, but a null
 * is better than a missing key should one ever slip through. */
static json_t *number(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

static json_t *number_list(const double *values, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        if (json_array_append_new(list, number(values[i])) < 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

/* Adds key = value, tracking failure (out of memory) in *ok; takes value's reference. */
static void put(json_t *object, const char *key, json_t *value, bool *ok)
{
    if (!object) {
        json_decref(value);
        *ok = false;
    } else if (json_object_set_new(object, key, value) < 0) {
        *ok = false;
    }
}

static json_t *finish(json_t *object, bool ok)
{
    if (ok)
        return object;
    json_decref(object);
    return NULL;
}

static void put_series(json_t *metric, const char *list_key, const char *mean_key,
                       const char *stdev_key, const mlps_metric_series *series, size_t epochs,
                       bool *ok)
{
    put(metric, list_key, number_list(series->per_epoch, epochs), ok);
    put(metric, mean_key, number(series->mean), ok);
    put(metric, stdev_key, number(series->stdev), ok);
}

/* A mean over no checkpoint has no value: null, where DLIO's NumPy writes NaN. */
static json_t *mean_over(const mlps_train_ckpt_metrics *c, double value)
{
    return c->count > 0 ? number(value) : json_null();
}

/* DLIO's keys, then ours (the count, the exact size and the value of every checkpoint). */
static void put_checkpoint_metrics(json_t *metric, const mlps_train_ckpt_metrics *c, bool *ok)
{
    put(metric, "save_checkpoint_io_mean_GB_per_second", mean_over(c, c->io_gib_per_second.mean),
        ok);
    put(metric, "save_checkpoint_io_stdev_GB_per_second",
        mean_over(c, c->io_gib_per_second.stdev), ok);
    put(metric, "save_checkpoint_duration_mean_seconds", mean_over(c, c->duration_seconds.mean),
        ok);
    put(metric, "save_checkpoint_duration_stdev_seconds",
        mean_over(c, c->duration_seconds.stdev), ok);
    put(metric, "checkpoint_size_GB", number(c->size_gib), ok);
    put(metric, "save_checkpoint_count", json_integer((json_int_t)c->count), ok);
    put(metric, "checkpoint_size_bytes", json_integer((json_int_t)c->bytes), ok);
    put(metric, "save_checkpoint_io_GB_per_second",
        number_list(c->io_gib_per_second.per_epoch, c->count), ok);
    put(metric, "save_checkpoint_duration_seconds",
        number_list(c->duration_seconds.per_epoch, c->count), ok);
}

/* DLIO's eval_* keys, over the evaluations. */
static void put_eval_metrics(json_t *metric, const mlps_run_metrics *e, bool *ok)
{
    put(metric, "eval_au_percentage", number_list(e->au_percent.per_epoch, e->epochs), ok);
    put(metric, "eval_au_mean_percentage", number(e->au_percent.mean), ok);
    put(metric, "eval_au_meet_expectation",
        json_string(e->meets_expectation ? "success" : "fail"), ok);
    put(metric, "eval_au_stdev_percentage", number(e->au_percent.stdev), ok);
    put_series(metric, "eval_throughput_samples_per_second",
               "eval_throughput_mean_samples_per_second",
               "eval_throughput_stdev_samples_per_second", &e->throughput, e->epochs, ok);
    put(metric, "eval_io_mean_MB_per_second", number(e->io_mean_mib_per_second), ok);
    put(metric, "eval_io_stdev_MB_per_second", number(e->io_stdev_mib_per_second), ok);
}

json_t *mlps_metrics_summary_json(const mlps_run_metrics *m)
{
    json_t *metric = json_object();
    bool ok = metric != NULL;
    put(metric, "train_au_percentage", number_list(m->au_percent.per_epoch, m->epochs), &ok);
    put(metric, "train_au_mean_percentage", number(m->au_percent.mean), &ok);
    put(metric, "train_au_meet_expectation",
        json_string(m->meets_expectation ? "success" : "fail"), &ok);
    put(metric, "train_au_stdev_percentage", number(m->au_percent.stdev), &ok);
    put_series(metric, "train_throughput_samples_per_second",
               "train_throughput_mean_samples_per_second",
               "train_throughput_stdev_samples_per_second", &m->throughput, m->epochs, &ok);
    put(metric, "train_io_mean_MB_per_second", number(m->io_mean_mib_per_second), &ok);
    put(metric, "train_io_stdev_MB_per_second", number(m->io_stdev_mib_per_second), &ok);
    if (m->checkpoints.enabled)
        put_checkpoint_metrics(metric, &m->checkpoints, &ok);
    if (m->evaluation)
        put_eval_metrics(metric, m->evaluation, &ok);
    /* Ours, named so that nobody has to guess the unit or the formula. */
    put(metric, "train_au_expectation_percentage", number(m->au_expectation_percent), &ok);
    put_series(metric, "train_throughput_reference_formula_samples_per_second",
               "train_throughput_reference_formula_mean_samples_per_second",
               "train_throughput_reference_formula_stdev_samples_per_second",
               &m->reference_throughput, m->epochs, &ok);
    put_series(metric, "train_io_bytes_per_second", "train_io_mean_bytes_per_second",
               "train_io_stdev_bytes_per_second", &m->bytes_per_second, m->epochs, &ok);
    return finish(metric, ok);
}

static json_t *timestamp(uint64_t wall_ns)
{
    char text[64];
    mlps_format_iso_local(wall_ns, text, sizeof text);
    return json_string(text);
}

/* DLIO writes durations as strings with two decimals. */
static json_t *duration(uint64_t start_wall_ns, uint64_t end_wall_ns)
{
    double seconds = end_wall_ns >= start_wall_ns
                         ? mlps_ns_to_seconds(end_wall_ns - start_wall_ns)
                         : -mlps_ns_to_seconds(start_wall_ns - end_wall_ns);
    char text[64];
    snprintf(text, sizeof text, "%.2f", seconds);
    return json_string(text);
}

static json_t *span_json(uint64_t start_wall_ns, uint64_t end_wall_ns)
{
    json_t *span = json_object();
    bool ok = span != NULL;
    put(span, "start", timestamp(start_wall_ns), &ok);
    put(span, "end", timestamp(end_wall_ns), &ok);
    put(span, "duration", duration(start_wall_ns, end_wall_ns), &ok);
    return finish(span, ok);
}

static void block_key(size_t index, char *key, size_t size)
{
    snprintf(key, size, "block%zu", index + 1);
}

static void epoch_key(uint64_t epoch, char *key, size_t size)
{
    snprintf(key, size, "%llu", (unsigned long long)epoch);
}

/* DLIO writes a checkpoint's duration as a number, unlike a block's. */
static json_t *checkpoint_json(const mlps_train_ckpt_record *checkpoint)
{
    json_t *span = json_object();
    bool ok = span != NULL;
    put(span, "start", timestamp(checkpoint->start_wall_ns), &ok);
    put(span, "end", timestamp(checkpoint->end_wall_ns), &ok);
    put(span, "duration", number(checkpoint->seconds), &ok);
    put(span, "throughput", number(mlps_train_ckpt_gib_per_second(checkpoint)), &ok);
    return finish(span, ok);
}

static void put_checkpoints_after(json_t *stats, const mlps_epoch_record *record, size_t block,
                                  bool *ok)
{
    for (size_t c = 0; c < record->checkpoint_count; c++) {
        const mlps_train_ckpt_record *checkpoint = &record->checkpoints[c];
        if (checkpoint->after_block != block)
            continue;
        char key[48];
        snprintf(key, sizeof key, "save_ckpt%zu", block + 1);
        put(stats, key, checkpoint_json(checkpoint), ok);
    }
}

static json_t *epoch_stats_json(const mlps_epoch_record *record)
{
    json_t *stats = json_object();
    bool ok = stats != NULL;
    put(stats, "start", timestamp(record->start_wall_ns), &ok);
    for (size_t b = 0; b < record->block_count; b++) {
        char key[32];
        block_key(b, key, sizeof key);
        const mlps_block_record *block = &record->blocks[b];
        put(stats, key, span_json(block->start_wall_ns, block->end_wall_ns), &ok);
        put_checkpoints_after(stats, record, b, &ok);
    }
    put(stats, "end", timestamp(record->end_wall_ns), &ok);
    put(stats, "duration", duration(record->start_wall_ns, record->end_wall_ns), &ok);
    if (record->evaluated)
        put(stats, "eval", span_json(record->eval.start_wall_ns, record->eval.end_wall_ns), &ok);
    return finish(stats, ok);
}

json_t *mlps_per_epoch_stats_json(const mlps_epoch_record *epochs, size_t count)
{
    json_t *all = json_object();
    bool ok = all != NULL;
    for (size_t e = 0; e < count; e++) {
        char key[32];
        epoch_key(epochs[e].epoch, key, sizeof key);
        put(all, key, epoch_stats_json(&epochs[e]), &ok);
    }
    return finish(all, ok);
}

/* The groups of one epoch in <rank>_output.json, each an object keyed by block. */
typedef struct epoch_output {
    json_t *load, *proc, *throughput, *au, *compute, *read_bytes_per_second;
} epoch_output;

/* One block's (or the evaluation's) entries under key in every group. */
static void add_output(epoch_output *groups, const char *key, const mlps_block_record *block,
                       double au_percent, double throughput, double bytes_per_second, bool *ok)
{
    put(groups->load, key, number_list(block->load, block->steps), ok);
    put(groups->proc, key, number_list(block->processed, block->steps), ok);
    put(groups->throughput, key, number(throughput), ok);
    put(groups->au, key, number(au_percent), ok);
    put(groups->compute, key, number_list(block->compute, block->steps), ok);
    put(groups->read_bytes_per_second, key, number(bytes_per_second), ok);
}

static void add_block_output(epoch_output *groups, size_t index,
                             const mlps_metric_window *window, const mlps_block_record *block,
                             bool *ok)
{
    char key[32];
    block_key(index, key, sizeof key);
    mlps_block_metrics metrics;
    mlps_block_metrics_compute(window, block, &metrics);
    add_output(groups, key, block, metrics.au_percent, metrics.throughput,
               metrics.bytes_per_second, ok);
}

static void add_eval_output(epoch_output *groups, const mlps_metric_window *eval_window,
                            const mlps_block_record *eval, bool *ok)
{
    mlps_epoch_metrics metrics;
    mlps_eval_metrics_compute(eval_window, eval, &metrics);
    add_output(groups, "eval", eval, metrics.au_percent, metrics.throughput,
               metrics.bytes_per_second, ok);
}

static json_t *epoch_output_json(const mlps_epoch_record *record,
                                 const mlps_metric_window *window,
                                 const mlps_metric_window *eval_window)
{
    json_t *epoch = json_object();
    bool ok = epoch != NULL;
    epoch_output groups = {json_object(), json_object(), json_object(),
                           json_object(), json_object(), json_object()};
    /* The epoch takes each group's reference; a failed put has already released it. */
    put(epoch, "load", groups.load, &ok);
    put(epoch, "proc", groups.proc, &ok);
    put(epoch, "throughput", groups.throughput, &ok);
    put(epoch, "au", groups.au, &ok);
    put(epoch, "compute", groups.compute, &ok);
    put(epoch, "read_bytes_per_second", groups.read_bytes_per_second, &ok);
    for (size_t b = 0; ok && b < record->block_count; b++)
        add_block_output(&groups, b, window, &record->blocks[b], &ok);
    if (ok && record->evaluated && eval_window)
        add_eval_output(&groups, eval_window, &record->eval, &ok);
    put(epoch, "end", timestamp(record->end_wall_ns), &ok);
    return finish(epoch, ok);
}

json_t *mlps_rank_output_json(const mlps_epoch_record *epochs, size_t count,
                              const mlps_metric_window *window,
                              const mlps_metric_window *eval_window)
{
    json_t *all = json_object();
    bool ok = all != NULL;
    for (size_t e = 0; e < count; e++) {
        char key[32];
        epoch_key(epochs[e].epoch, key, sizeof key);
        put(all, key, epoch_output_json(&epochs[e], window, eval_window), &ok);
    }
    return finish(all, ok);
}
