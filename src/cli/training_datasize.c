/* `mlps training datasize`: how many files a workload needs on the given clients (spec 10
 * §5.3): enough for 5x the clients' memory and for 500 steps per epoch, whichever is more, and
 * the datagen command that writes them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/training_common.h"
#include "training/datasize.h"

static const mlps_arg datasize_flags[] = {
    {.name = "max-accelerators", .short_name = "ma", .kind = MLPS_ARG_INT, .required = true,
     .metavar = "N", .help = "the most simulated accelerators the dataset must feed"},
};
static const mlps_arg_table datasize_table = MLPS_ARG_TABLE("Sizing", datasize_flags);

static int datasize_request(const mlps_args *args, mlps_datasize_request *request,
                            mlps_error *err)
{
    long long accelerators = mlps_args_int(args, "max_accelerators");
    if (accelerators < 1)
        return mlps_fail_usage(err, -EINVAL, "--max-accelerators/-ma must be at least 1, got %lld",
                               accelerators);
    request->accelerators = (uint64_t)accelerators;
    int rc = mlps_host_memory_from_args(args, &request->host_memory_bytes, err);
    return rc ? rc : mlps_client_hosts_from_args(args, &request->hosts, err);
}

static char *datagen_command(const mlps_args *args, const mlps_datasize *size)
{
    json_t *hosts = mlps_args_list(args, "hosts");
    char *host_text = NULL;
    if (mlps_args_given(args, "hosts")) {
        size_t total = 1;
        for (size_t i = 0; i < json_array_size(hosts); i++)
            total += strlen(json_string_value(json_array_get(hosts, i))) + 1;
        host_text = calloc(1, total);
        for (size_t i = 0; host_text && i < json_array_size(hosts); i++) {
            if (i)
                strcat(host_text, ",");
            strcat(host_text, json_string_value(json_array_get(hosts, i)));
        }
    }
    mlps_datagen_command_options options = {
        .data_dir = mlps_args_string(args, "data_dir"), .hosts = host_text,
        .use_subfolders = size->suggested_subfolders > 0};
    char *command = mlps_datasize_datagen_command(size, &options);
    free(host_text);
    return command;
}

static int report(const mlps_invocation *inv, mlps_session *session, const mlps_datasize *size,
                  mlps_error *err)
{
    char *command = datagen_command(&inv->args, size);
    if (!command)
        return mlps_fail(err, -ENOMEM, "out of memory");
    if (session->stdout_log)
        mlps_datasize_write_text(size, command, session->stdout_log);
    mlps_datasize_write_text(size, command, stdout);
    free(command);
    json_t *summary = mlps_datasize_to_json(size);
    int rc = mlps_results_write_summary(session->run.run_dir, summary, err);
    json_decref(summary);
    return rc;
}

static int run_datasize(const mlps_invocation *inv, mlps_error *err)
{
    mlps_datasize_request request;
    mlps_workload workload;
    int rc = datasize_request(&inv->args, &request, err);
    if (!rc)
        rc = mlps_training_load_workload(&inv->args, mlps_args_string(&inv->args,
                                                                      "accelerator_type"),
                                         &workload, err);
    if (rc)
        return err->exit_status;
    mlps_datasize size;
    rc = mlps_datasize_compute(&workload, &request, &size, err);
    if (!rc && mlps_args_flag(&inv->args, "what_if")) {
        mlps_datasize_write_text(&size, NULL, stdout);
    } else if (!rc) {
        mlps_session session;
        rc = mlps_training_begin_session(inv, "datasize", &session, err);
        if (!rc) {
            rc = report(inv, &session, &size, err);
            rc = mlps_end_session(inv, &session, workload.config, (int)request.accelerators,
                                      mlps_args_string(&inv->args, "accelerator_type"), rc, err);
        }
    }
    mlps_workload_free(&workload);
    return rc ? err->exit_status : MLPS_EXIT_OK;
}

const mlps_command mlps_training_datasize_command = {
    .name = "datasize",
    .summary = "how many files a workload needs for the given clients",
    .description =
        "Computes the dataset a workload needs: at least 5x the clients' memory, and at least\n"
        "500 steps per epoch for the given accelerators (the larger wins), as MLPerf Storage\n"
        "rules require. Prints the file count, the size in GiB and GB, which rule decided, and\n"
        "the `mlps training datagen` command that writes it.",
    .tables = {&mlps_training_model_flag, &mlps_training_accelerator_flag, &datasize_table,
               &mlps_training_memory_flags, &mlps_training_data_dir_flag, &mlps_object_flags,
               &mlps_shared_flags, &mlps_mpi_flags, NULL},
    .run = run_datasize,
};
