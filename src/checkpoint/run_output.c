/* Checkpointing run outputs; see run_output.h. Throughput is the checkpoint's GiB over each
 * checkpoint's time; mean and population standard deviation over the checkpoints. */
#include "checkpoint/run_output.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/comm_agree.h"
#include "core/host_summary.h"
#include "core/results.h"

#define GIB 1073741824.0

typedef struct series {
    double mean, stdev;
} series;

static series stats_of(const double *values, size_t n)
{
    series s = {0, 0};
    for (size_t i = 0; i < n; i++)
        s.mean += values[i];
    s.mean = n ? s.mean / (double)n : 0;
    for (size_t i = 0; i < n; i++)
        s.stdev += (values[i] - s.mean) * (values[i] - s.mean);
    s.stdev = n ? sqrt(s.stdev / (double)n) : 0;
    return s;
}

/* GiB/s of each checkpoint from its seconds. */
static double *throughputs(const mlps_checkpoint_phase *phase, const double *seconds)
{
    double *rates = calloc(phase->count ? phase->count : 1, sizeof *rates);
    for (size_t i = 0; rates && i < phase->count; i++)
        rates[i] = seconds[i] > 0 ? (double)phase->bytes / GIB / seconds[i] : 0;
    return rates;
}

static void add_phase_metrics(json_t *metric, const char *prefix,
                              const mlps_checkpoint_phase *phase)
{
    if (phase->count == 0)
        return;
    double *rates = throughputs(phase, phase->seconds);
    series rate = stats_of(rates, phase->count), time = stats_of(phase->seconds, phase->count);
    char key[96];
    snprintf(key, sizeof key, "%s_checkpoint_io_mean_GB_per_second", prefix);
    json_object_set_new(metric, key, json_real(rate.mean));
    snprintf(key, sizeof key, "%s_checkpoint_io_stdev_GB_per_second", prefix);
    json_object_set_new(metric, key, json_real(rate.stdev));
    snprintf(key, sizeof key, "%s_checkpoint_duration_mean_seconds", prefix);
    json_object_set_new(metric, key, json_real(time.mean));
    snprintf(key, sizeof key, "%s_checkpoint_duration_stdev_seconds", prefix);
    json_object_set_new(metric, key, json_real(time.stdev));
    json_t *per = json_array(), *per_rate = json_array();
    for (size_t i = 0; i < phase->count; i++) {
        json_array_append_new(per, json_real(phase->seconds[i]));
        json_array_append_new(per_rate, json_real(rates[i]));
    }
    snprintf(key, sizeof key, "%s_checkpoint_duration_seconds", prefix);
    json_object_set_new(metric, key, per);
    snprintf(key, sizeof key, "%s_checkpoint_io_GB_per_second", prefix);
    json_object_set_new(metric, key, per_rate);
    snprintf(key, sizeof key, "%s_checkpoint_request_latency", prefix);
    json_object_set_new(metric, key, mlps_hist_to_json(&phase->latency_ns, 1e-6, "_ms"));
    snprintf(key, sizeof key, "%s_checkpoint_file_latency", prefix);
    json_object_set_new(metric, key, mlps_hist_to_json(&phase->file_latency_ns, 1e-6, "_ms"));
    free(rates);
}

static json_t *summary_json(const mlps_comm *comm, const mlps_checkpoint_result *result,
                            const json_t *cluster)
{
    char start[40], end[40];
    mlps_format_iso_local(result->start_wall_ns, start, sizeof start);
    mlps_format_iso_local(result->end_wall_ns, end, sizeof end);
    json_t *summary = json_pack("{s:s, s:s, s:i}", "start", start, "end", end, "num_accelerators",
                                comm->size);
    double per_host = (double)result->totals.bytes * (double)comm->local_size / (double)comm->size;
    /* No page-cache warning: every checkpoint file is evicted after writing and before reading. */
    mlps_host_summary_add(summary, cluster, comm->node_count, per_host, 0.0, "checkpoint data");
    json_object_set_new(summary, "num_files_train", json_integer(0));
    json_object_set_new(summary, "num_files_eval", json_integer(0));
    json_object_set_new(summary, "num_samples_per_file", json_integer(0));
    json_object_set_new(summary, "epochs", json_integer(1));
    json_t *metric = json_object();
    add_phase_metrics(metric, "save", &result->save);
    add_phase_metrics(metric, "load", &result->load);
    json_object_set_new(metric, "checkpoint_size_GB", json_real(mlps_checkpoint_size_gib(&result->totals)));
    json_object_set_new(metric, "checkpoint_size_bytes", json_integer((json_int_t)result->totals.bytes));
    json_object_set_new(metric, "checkpoint_files", json_integer((json_int_t)result->totals.files));
    if (result->folder_on_s3)
        json_object_set_new(metric, "s3_retries", json_integer((json_int_t)result->s3_retries));
    if (result->s3_endpoints)
        json_object_set(metric, "s3_endpoints", result->s3_endpoints);
    if (result->s3_requests)
        json_object_set(metric, "s3_requests", result->s3_requests);
    json_object_set_new(summary, "metric", metric);
    return summary;
}

static void add_rank_entries(json_t *epoch, const char *prefix, const mlps_checkpoint_phase *phase)
{
    for (size_t i = 0; i < phase->count; i++) {
        char key[48], start[40], end[40], duration[32];
        mlps_format_iso_local(phase->start_wall_ns[i], start, sizeof start);
        mlps_format_iso_local(phase->end_wall_ns[i], end, sizeof end);
        snprintf(duration, sizeof duration, "%.2f", phase->own_seconds[i]);
        snprintf(key, sizeof key, "%s_ckpt%zu", prefix, i + 1);
        double rate = phase->own_seconds[i] > 0 ? (double)phase->bytes / GIB / phase->own_seconds[i] : 0;
        json_object_set_new(epoch, key, json_pack("{s:s, s:s, s:s, s:f, s:f}", "start", start, "end",
                                                  end, "duration", duration, "throughput", rate,
                                                  "seconds_until_slowest_rank", phase->seconds[i]));
    }
}

static json_t *per_epoch_stats(const mlps_checkpoint_result *result)
{
    char start[40], end[40];
    mlps_format_iso_local(result->start_wall_ns, start, sizeof start);
    mlps_format_iso_local(result->end_wall_ns, end, sizeof end);
    json_t *epoch = json_pack("{s:s}", "start", start);
    add_rank_entries(epoch, "save", &result->save);
    add_rank_entries(epoch, "load", &result->load);
    json_object_set_new(epoch, "end", json_string(end));
    return json_pack("{s:o}", "1", epoch);
}

static char *metric_text(const mlps_checkpoint_result *result, int accelerators)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    fprintf(out, "[METRIC] ==========================================================\n");
    fprintf(out, "[METRIC] Number of Simulated Accelerators: %d\n", accelerators);
    const mlps_checkpoint_phase *phases[2] = {&result->save, &result->load};
    const char *names[2] = {"save", "load"};
    for (int p = 0; p < 2; p++) {
        if (phases[p]->count == 0)
            continue;
        double *rates = throughputs(phases[p], phases[p]->seconds);
        series time = stats_of(phases[p]->seconds, phases[p]->count);
        series rate = stats_of(rates, phases[p]->count);
        fprintf(out, "[METRIC] Checkpoint %s duration (seconds): %.4f (%.4f)\n", names[p],
                time.mean, time.stdev);
        fprintf(out, "[METRIC] Checkpoint %s I/O Throughput (GiB/second): %.4f (%.4f)\n",
                names[p], rate.mean, rate.stdev);
        free(rates);
    }
    fprintf(out, "[METRIC] Checkpoint size (GiB): %.4f\n", mlps_checkpoint_size_gib(&result->totals));
    fprintf(out, "[METRIC] ==========================================================");
    fclose(out);
    return text;
}

int mlps_checkpoint_write_outputs(const mlps_comm *comm, const char *run_dir,
                                  const mlps_checkpoint_workload *workload,
                                  const mlps_checkpoint_result *result, char **report,
                                  mlps_error *err)
{
    *report = NULL;
    json_t *cluster = mlps_host_summary_gather(comm, err);
    int rc = 0;
    if (comm->rank == 0) {
        json_t *summary = summary_json(comm, result, cluster);
        rc = mlps_results_write_summary(run_dir, summary, err);
        json_decref(summary);
        if (!rc)
            rc = mlps_results_write_config(run_dir, workload->config, err);
        if (!rc && !(*report = metric_text(result, comm->size)))
            rc = mlps_fail(err, -ENOMEM, "out of memory");
    }
    json_decref(cluster);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%d_per_epoch_stats.json", run_dir, comm->rank);
    json_t *stats = per_epoch_stats(result);
    if (!rc)
        rc = mlps_write_json_atomic(path, stats, err);
    json_decref(stats);
    return mlps_comm_agree(comm, rc, err);
}
