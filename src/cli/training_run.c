/* `mlps training run`: the training benchmark itself (spec 10 §2-3): one MPI process per
 * simulated accelerator reads the dataset while emulating compute; prints and records AU and
 * throughput with DLIO's keys. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "cli/training_common.h"
#include "core/clock.h"
#include "core/units.h"
#include "io/storage_config.h"
#include "training/run.h"
#include "training/run_output.h"
#include "training/train_ckpt.h"

static const mlps_arg run_flags[] = {
    {.name = "num-accelerators", .short_name = "na", .kind = MLPS_ARG_INT, .required = true,
     .metavar = "N", .help = "simulated accelerators: one MPI process each"},
    {.name = "drop-caches", .kind = MLPS_ARG_FLAG,
     .help = "drop every host's page cache before each epoch (needs root; said when refused)"},
};
static const mlps_arg_table run_table = MLPS_ARG_TABLE("Accelerators", run_flags);

static int run_process_count(const mlps_args *args, unsigned *count, mlps_error *err)
{
    long long n = mlps_args_int(args, "num_accelerators");
    if (n < 1 || n > 1 << 20)
        return mlps_fail_usage(err, -EINVAL,
                               "--num-accelerators/-na must be between 1 and 1048576, got %lld",
                               n);
    *count = (unsigned)n;
    return 0;
}

static const char *accelerator_of(const mlps_args *args)
{
    return mlps_args_string(args, "accelerator_type");
}

/* The launcher looks for the dataset before it starts a job, so a missing file is one line
 * from here rather than a failed job; inside a job (or a run of one process) rank 0 looks. */
static int check_dataset_before_launch(const mlps_args *args, const mlps_workload *workload,
                                       unsigned accelerators, mlps_error *err)
{
    if (accelerators <= 1 || mlps_comm_under_launcher() || mlps_args_flag(args, "what_if"))
        return 0;
    mlps_comm solo;
    mlps_comm_init_solo(&solo);
    return mlps_training_check_dataset(&solo, workload, err);
}

/* Likewise the checkpoint folder is created before a job starts, so a folder that cannot be is
 * one line from here. */
static int check_checkpoint_folder_before_launch(const mlps_args *args,
                                                 const mlps_workload *workload,
                                                 const mlps_train_ckpt_schedule *checkpoints,
                                                 unsigned accelerators, mlps_error *err)
{
    if (!checkpoints->enabled || accelerators <= 1 || mlps_comm_under_launcher() ||
        mlps_args_flag(args, "what_if"))
        return 0;
    mlps_comm solo;
    mlps_comm_init_solo(&solo);
    mlps_train_ckpt_writer writer;
    int rc = mlps_train_ckpt_writer_open(&solo, workload, checkpoints, &writer, err);
    mlps_train_ckpt_writer_close(&writer);
    return rc;
}

/* Before any job starts: the workload loads and names an implemented format, its checkpoint
 * keys can write checkpoints (when workflow.checkpoint is on), the data hold at least one step
 * for this many accelerators, and (when a job is to be launched) the data folder holds every
 * file and the checkpoint folder can be created. */
static int check_run(const mlps_args *args, mlps_error *err)
{
    mlps_workload workload;
    int rc = mlps_training_load_workload(args, accelerator_of(args), &workload, err);
    if (rc)
        return rc;
    const mlps_format *format;
    rc = mlps_workload_require_format(&workload, &format, err);
    if (!rc)
        rc = mlps_storage_check_config(workload.config, workload.dataset.data_folder, err);
    mlps_train_ckpt_schedule checkpoints;
    if (!rc)
        rc = mlps_train_ckpt_schedule_init(&workload, &checkpoints, err);
    unsigned accelerators = 0;
    if (!rc)
        rc = run_process_count(args, &accelerators, err);
    mlps_plan plan;
    if (!rc)
        rc = mlps_training_plan(&workload, accelerators, &plan, err);
    if (!rc)
        rc = check_dataset_before_launch(args, &workload, accelerators, err);
    if (!rc)
        rc = check_checkpoint_folder_before_launch(args, &workload, &checkpoints, accelerators,
                                                   err);
    mlps_workload_free(&workload);
    return rc;
}

static void print_report(const mlps_session *session, const mlps_training_result *result,
                         const char *report)
{
    if (report)
        mlps_session_print(session, "%s\n", report);
    char bytes[32], rate[48];
    mlps_format_bytes(result->io.bytes_read, bytes, sizeof bytes);
    double seconds = mlps_ns_to_seconds(result->end_wall_ns - result->start_wall_ns);
    mlps_format_rate(seconds > 0 ? (double)result->io.bytes_read / seconds : 0, rate, sizeof rate);
    mlps_session_print(session,
                       "AU %.2f%% (%s: %s %.0f%%), %.2f samples/s, %.2f MiB/s; read %s in "
                       "%.1f s (%s)\nresults: %s\n",
                       result->metrics.au_percent.mean,
                       result->metrics.meets_expectation ? "meets" : "below",
                       "expectation", result->metrics.au_expectation_percent,
                       result->metrics.throughput.mean, result->metrics.io_mean_mib_per_second,
                       bytes, seconds, rate, session->run.run_dir);
}

static int train(const mlps_invocation *inv, mlps_session *session, const mlps_workload *workload,
                 mlps_error *err)
{
    int rc = mlps_training_check_dataset(inv->comm, workload, err);
    if (rc)
        return rc;
    mlps_training_options options = {.show_progress = true,
                                     .drop_caches = mlps_args_flag(&inv->args, "drop_caches")};
    mlps_training_result result;
    rc = mlps_training_run(inv->comm, workload, &options, &result, err);
    char *report = NULL;
    if (!rc)
        rc = mlps_training_write_outputs(inv->comm, session->run.run_dir, workload, &result,
                                         &report, err);
    if (!rc)
        print_report(session, &result, report);
    free(report);
    mlps_training_result_free(&result);
    return rc;
}

static int run_training(const mlps_invocation *inv, mlps_error *err)
{
    mlps_workload workload;
    int rc = mlps_training_load_workload(&inv->args, accelerator_of(&inv->args), &workload, err);
    if (rc)
        return err->exit_status;
    if (mlps_args_flag(&inv->args, "what_if")) {
        mlps_config_write_yaml(workload.config, stdout, true);
        mlps_workload_free(&workload);
        return MLPS_EXIT_OK;
    }
    mlps_session session;
    rc = mlps_training_begin_session(inv, "run", &session, err);
    if (!rc) {
        rc = train(inv, &session, &workload, err);
        rc = mlps_end_session(inv, &session, workload.config, inv->comm->size,
                                  accelerator_of(&inv->args), rc, err);
    }
    mlps_workload_free(&workload);
    return rc ? (err->exit_status ? err->exit_status : MLPS_EXIT_RUN_FAILED) : MLPS_EXIT_OK;
}

const mlps_command mlps_training_run_command = {
    .name = "run",
    .summary = "the training benchmark: AU and throughput of simulated accelerators",
    .description =
        "Runs the workload's training emulation: one MPI process per simulated accelerator,\n"
        "reader threads feeding batches from the dataset while each step emulates the\n"
        "accelerator's compute time, a barrier per step. Reports accelerator utilisation (AU)\n"
        "and throughput per epoch with DLIO's keys in summary.json.",
    .tables = {&mlps_training_model_flag, &mlps_training_accelerator_flag, &run_table,
               &mlps_training_memory_flags, &mlps_training_data_dir_flag, &mlps_object_flags,
               &mlps_shared_flags, &mlps_mpi_flags, NULL},
    .run = run_training,
    .check = check_run,
    .process_count = run_process_count,
};
