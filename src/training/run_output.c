/* Training run outputs; see run_output.h. */
#include "training/run_output.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/comm_agree.h"
#include "core/host_summary.h"
#include "core/log.h"
#include "core/results.h"


static json_t *io_json(const mlps_training_result *result)
{
    double seconds = mlps_ns_to_seconds(result->end_wall_ns - result->start_wall_ns);
    json_t *io = json_pack(
        "{s:I, s:I, s:I, s:I, s:f, s:o}", "bytes_read", (json_int_t)result->io.bytes_read,
        "sample_bytes_read", (json_int_t)result->io.sample_bytes, "samples_read",
        (json_int_t)result->io.samples, "read_requests", (json_int_t)result->io.requests,
        "bytes_read_per_second_whole_run",
        seconds > 0 ? (double)result->io.bytes_read / seconds : 0.0, "read_latency",
        mlps_hist_to_json(&result->io.read_latency_ns, 1e-6, "_ms"));
    if (io && result->data_on_s3)
        json_object_set_new(io, "s3_retries", json_integer((json_int_t)result->s3_retries));
    if (io && result->s3_endpoints)
        json_object_set(io, "s3_endpoints", result->s3_endpoints);
    if (io && result->s3_requests)
        json_object_set(io, "s3_requests", result->s3_requests);
    return io;
}

/* Which files of the train folder the run read: the first files_used of files_available in
 * DLIO's sorted order (and, with evaluation, how many of the valid folder's). */
static json_t *dataset_json(const mlps_workload *w, const mlps_training_result *result)
{
    json_t *dataset = json_pack("{s:s, s:I, s:I, s:I}", "data_folder", w->dataset.data_folder,
                                "files_available", (json_int_t)result->files_available,
                                "files_used", (json_int_t)result->files_used, "subfolders",
                                (json_int_t)result->files_subfolders);
    if (dataset && result->first_file)
        json_object_set_new(dataset, "first_file", json_string(result->first_file));
    if (dataset && result->last_file)
        json_object_set_new(dataset, "last_file", json_string(result->last_file));
    if (dataset && w->workflow.evaluation) {
        json_object_set_new(dataset, "eval_files_available",
                            json_integer((json_int_t)result->eval_files_available));
        json_object_set_new(dataset, "eval_files_used",
                            json_integer((json_int_t)result->eval_files_used));
    }
    return dataset;
}

static json_t *summary_json(const mlps_comm *comm, const mlps_workload *w,
                            const mlps_training_result *result, json_t *cluster)
{
    char start[40], end[40];
    mlps_format_iso_local(result->start_wall_ns, start, sizeof start);
    mlps_format_iso_local(result->end_wall_ns, end, sizeof end);
    json_t *summary = json_pack("{s:s, s:s, s:s, s:i}", "workload", w->model, "start", start,
                                "end", end, "num_accelerators", comm->size);
    /* Objects read over HTTP never enter the client's page cache: no warning about it. */
    mlps_host_summary_add(summary, cluster, comm->node_count,
                          result->dataset_bytes * (double)comm->local_size / (double)comm->size,
                          result->data_on_s3 ? 0.0 : 5.0, "share of the dataset");
    json_object_set_new(summary, "epochs", json_integer((json_int_t)result->epoch_count));
    json_object_set_new(summary, "steps_per_epoch",
                        json_integer((json_int_t)result->plan.steps_per_epoch));
    json_object_set_new(summary, "num_files_train",
                        json_integer((json_int_t)w->dataset.num_files_train));
    json_object_set_new(summary, "num_files_eval",
                        json_integer((json_int_t)w->dataset.num_files_eval));
    json_object_set_new(summary, "num_samples_per_file",
                        json_integer((json_int_t)w->dataset.num_samples_per_file));
    json_object_set_new(summary, "dataset", dataset_json(w, result));
    json_object_set_new(summary, "metric", mlps_metrics_summary_json(&result->metrics));
    json_object_set_new(summary, "io", io_json(result));
    return summary;
}

static int write_rank_file(const char *run_dir, int rank, const char *suffix, json_t *json,
                           mlps_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%d_%s.json", run_dir, rank, suffix);
    int rc = json ? mlps_write_json_atomic(path, json, err)
                  : mlps_fail(err, -ENOMEM, "out of memory building %s", path);
    json_decref(json);
    return rc;
}

static int write_rank0_files(const mlps_comm *comm, const char *run_dir, const mlps_workload *w,
                             const mlps_training_result *result, json_t *cluster, char **report,
                             mlps_error *err)
{
    json_t *summary = summary_json(comm, w, result, cluster);
    int rc = mlps_results_write_summary(run_dir, summary, err);
    json_decref(summary);
    if (!rc)
        rc = mlps_results_write_config(run_dir, w->config, err);
    if (!rc && !(*report = mlps_metrics_report_text(&result->metrics)))
        rc = mlps_fail(err, -ENOMEM, "out of memory");
    return rc;
}

/* DLIO's per-rank output plus this rank's own reads and their latency histogram. */
static json_t *rank_output_json(const mlps_training_result *result)
{
    json_t *output = mlps_rank_output_json(result->epochs, result->epoch_count, &result->window,
                                           &result->eval_window);
    if (output)
        json_object_set_new(
            output, "io",
            json_pack("{s:I, s:I, s:I, s:o}", "bytes_read", (json_int_t)result->rank_io.bytes_read,
                      "samples_read", (json_int_t)result->rank_io.samples, "read_requests",
                      (json_int_t)result->rank_io.requests, "read_latency",
                      mlps_hist_to_json(&result->rank_io.read_latency_ns, 1e-6, "_ms")));
    return output;
}

int mlps_training_write_outputs(const mlps_comm *comm, const char *run_dir,
                                const mlps_workload *workload,
                                const mlps_training_result *result, char **report,
                                mlps_error *err)
{
    *report = NULL;
    json_t *cluster = mlps_host_summary_gather(comm, err);
    int rc = 0;
    if (comm->rank == 0)
        rc = write_rank0_files(comm, run_dir, workload, result, cluster, report, err);
    json_decref(cluster);
    if (!rc)
        rc = write_rank_file(run_dir, comm->rank, "per_epoch_stats",
                             mlps_per_epoch_stats_json(result->epochs, result->epoch_count), err);
    if (!rc)
        rc = write_rank_file(run_dir, comm->rank, "output", rank_output_json(result), err);
    return mlps_comm_agree(comm, rc, err);
}
