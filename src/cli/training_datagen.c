/* `mlps training datagen`: writes a workload's dataset with N processes (spec 10 §4). */
#include <errno.h>

#include "cli/training_common.h"
#include "core/units.h"
#include "io/storage_config.h"
#include "training/datagen.h"

static const mlps_arg datagen_flags[] = {
    {.name = "num-processes", .short_name = "np", .kind = MLPS_ARG_INT, .required = true,
     .metavar = "N", .help = "MPI processes writing the dataset"},
};
static const mlps_arg_table datagen_table = MLPS_ARG_TABLE("Generation", datagen_flags);

static int datagen_process_count(const mlps_args *args, unsigned *count, mlps_error *err)
{
    long long n = mlps_args_int(args, "num_processes");
    if (n < 1 || n > 1 << 20)
        return mlps_fail_usage(err, -EINVAL,
                               "--num-processes/-np must be between 1 and 1048576, got %lld", n);
    *count = (unsigned)n;
    return 0;
}

/* Everything that can be checked before a job starts: the workload, its format. */
static int check_datagen(const mlps_args *args, mlps_error *err)
{
    mlps_workload workload;
    int rc = mlps_training_load_workload(args, NULL, &workload, err);
    if (rc)
        return rc;
    const mlps_format *format;
    rc = mlps_workload_require_format(&workload, &format, err);
    if (!rc)
        rc = mlps_storage_check_config(workload.config, workload.dataset.data_folder, err);
    mlps_workload_free(&workload);
    return rc;
}

static void print_result(const mlps_session *session, const mlps_workload *workload,
                         const mlps_datagen_result *result)
{
    char bytes[32], rate[48];
    mlps_format_bytes(result->bytes_written, bytes, sizeof bytes);
    mlps_format_rate(result->seconds > 0 ? (double)result->bytes_written / result->seconds : 0,
                     rate, sizeof rate);
    mlps_session_print(session,
                       "datagen %s: %llu files written (%s in %.2f s, %s), %llu already present, "
                       "in %s\n",
                       workload->model, (unsigned long long)result->files_written, bytes,
                       result->seconds, rate, (unsigned long long)result->files_present,
                       workload->dataset.data_folder);
}

static int run_datagen(const mlps_invocation *inv, mlps_error *err)
{
    mlps_workload workload;
    int rc = mlps_training_load_workload(&inv->args, NULL, &workload, err);
    if (rc)
        return err->exit_status;
    if (mlps_args_flag(&inv->args, "what_if")) {
        mlps_config_write_yaml(workload.config, stdout, true);
        mlps_workload_free(&workload);
        return MLPS_EXIT_OK;
    }
    mlps_session session;
    rc = mlps_training_begin_session(inv, "datagen", &session, err);
    if (!rc) {
        mlps_datagen_result result;
        rc = mlps_datagen_run(inv->comm, &workload, NULL, &result, err);
        if (!rc && inv->comm->rank == 0) {
            json_t *summary = mlps_datagen_result_json(&result);
            rc = mlps_results_write_summary(session.run.run_dir, summary, err);
            json_decref(summary);
        }
        if (!rc)
            print_result(&session, &workload, &result);
        rc = mlps_end_session(inv, &session, workload.config, inv->comm->size, NULL, rc, err);
    }
    mlps_workload_free(&workload);
    return rc ? (err->exit_status ? err->exit_status : MLPS_EXIT_RUN_FAILED) : MLPS_EXIT_OK;
}

const mlps_command mlps_training_datagen_command = {
    .name = "datagen",
    .summary = "write a workload's dataset with N processes",
    .description =
        "Writes the dataset of the workload's datagen configuration into its data folder\n"
        "(--data-dir DIR puts it in DIR/<model>): the files, names, formats and per-file sample\n"
        "sizes of DLIO's datagen. Process r writes files r, r+N, r+2N ... Each file appears under\n"
        "its name only when complete; running datagen again writes only the missing files.",
    .tables = {&mlps_training_model_flag, &datagen_table, &mlps_training_data_dir_flag,
               &mlps_object_flags, &mlps_shared_flags, &mlps_mpi_flags, NULL},
    .run = run_datagen,
    .check = check_datagen,
    .process_count = datagen_process_count,
};
