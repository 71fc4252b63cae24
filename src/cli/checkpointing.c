/* `mlps checkpointing`: LLM checkpoint save and restore (llama3 8B-1T), spelled as mlpstorage's
 * (-m, -np, -cf, -cm, -ncw, -ncr). The DLIO folder is <checkpoint-folder>/<model>. With fewer
 * processes than the CLOSED count, mlpstorage's subset mode is used (the first ranks of the
 * full job, spec 20 §2.3) — except for llama3-8b, which has no subset run and works at any count
 * in default mode (the reference's wrapper refuses it through a defect). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint/complete.h"
#include "checkpoint/datasize.h"
#include "checkpoint/run.h"
#include "checkpoint/run_output.h"
#include "cli/cli.h"
#include "core/comm.h"
#include "core/session.h"
#include "core/units.h"
#include "io/storage_config.h"

static const char *const models[] = {"llama3-8b", "llama3-70b", "llama3-405b", "llama3-1t", NULL};

static const mlps_arg common_flags[] = {
    {.name = "model", .short_name = "m", .kind = MLPS_ARG_STRING, .choices = models,
     .required = true, .help = "the LLM whose checkpoint is saved and restored"},
    {.name = "num-processes", .short_name = "np", .kind = MLPS_ARG_INT, .required = true,
     .metavar = "N", .help = "MPI processes (simulated accelerators); CLOSED: 8, 64, 512, 1024"},
    {.name = "client-host-memory-in-gb", .short_name = "cm", .kind = MLPS_ARG_DOUBLE,
     .required = true, .metavar = "GiB", .help = "memory of each client host in GiB"},
    {.name = "num-client-hosts", .short_name = "nc", .kind = MLPS_ARG_INT, .metavar = "N",
     .help = "client hosts (default: the number of --hosts)"},
};
static const mlps_arg run_flags[] = {
    {.name = "checkpoint-folder", .short_name = "cf", .kind = MLPS_ARG_STRING, .required = true,
     .metavar = "DIR", .help = "where checkpoints go; the data lands in DIR/<model>"},
    {.name = "num-checkpoints-write", .short_name = "ncw", .kind = MLPS_ARG_INT,
     .default_value = "10", .metavar = "W", .help = "checkpoints to write"},
    {.name = "num-checkpoints-read", .short_name = "ncr", .kind = MLPS_ARG_INT,
     .default_value = "10", .metavar = "R", .help = "checkpoints to read back (at most W when W > 0)"},
};
static const mlps_arg_table common_table = MLPS_ARG_TABLE("Checkpoint", common_flags);
static const mlps_arg_table run_table = MLPS_ARG_TABLE("Run", run_flags);

static int process_count(const mlps_args *args, unsigned *count, mlps_error *err)
{
    long long n = mlps_args_int(args, "num_processes");
    if (n < 1 || n > 1 << 20)
        return mlps_fail_usage(err, -EINVAL,
                               "--num-processes/-np must be between 1 and 1048576, got %lld", n);
    *count = (unsigned)n;
    return 0;
}

/* -p values, then what the flags imply, as override strings (owned by the caller). */
static int overrides_of(const mlps_args *args, bool with_run_flags, char ***out, size_t *count,
                        mlps_error *err)
{
    json_t *params = mlps_args_list(args, "params");
    size_t n = json_array_size(params);
    char **list = calloc(n + 6, sizeof *list);
    if (!list)
        return mlps_fail(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        list[i] = strdup(json_string_value(json_array_get(params, i)));
    const char *model = mlps_args_string(args, "model");
    const mlps_checkpoint_model_rules *rules = mlps_checkpoint_rules_of(model);
    long long np = mlps_args_int(args, "num_processes");
    bool mode_given = false;
    for (size_t i = 0; i < n; i++)
        mode_given |= strncmp(list[i], "checkpoint.mode=", 16) == 0;
    if (rules && rules->subset_processes && (uint64_t)np < rules->closed_processes && !mode_given) {
        list[n++] = strdup("checkpoint.mode=subset");
        if (asprintf(&list[n++], "model.parallelism.data=%llu",
                     (unsigned long long)rules->subset_data) < 0)
            list[n - 1] = NULL;
    }
    if (with_run_flags) {
        if (asprintf(&list[n++], "checkpoint.checkpoint_folder=%s/%s",
                     mlps_args_string(args, "checkpoint_folder"), model) < 0 ||
            asprintf(&list[n++], "checkpoint.num_checkpoints_write=%lld",
                     mlps_args_int(args, "num_checkpoints_write")) < 0 ||
            asprintf(&list[n++], "checkpoint.num_checkpoints_read=%lld",
                     mlps_args_int(args, "num_checkpoints_read")) < 0)
            list[n - 1] = NULL;
    }
    char **object = NULL;
    size_t object_count = 0;
    int rc = mlps_object_overrides(args, &object, &object_count, err);
    char **grown = rc ? NULL : realloc(list, (n + object_count + 1) * sizeof *list);
    if (grown) {
        list = grown;
        for (size_t i = 0; i < object_count; i++, n++)
            list[n] = object[i], object[i] = NULL;
    } else if (!rc) {
        rc = mlps_fail(err, -ENOMEM, "out of memory");
    }
    mlps_object_overrides_free(object, object_count);
    if (rc) {
        for (size_t i = 0; i < n; i++)
            free(list[i]);
        free(list);
        list = NULL, n = 0;
    }
    *out = list;
    *count = n;
    return rc;
}

static void free_overrides(char **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

static int load_workload(const mlps_args *args, bool with_run_flags,
                         mlps_checkpoint_workload *out, mlps_error *err)
{
    char **overrides = NULL;
    size_t count = 0;
    int rc = overrides_of(args, with_run_flags, &overrides, &count, err);
    if (rc)
        return rc;
    mlps_checkpoint_source source = {.model = mlps_args_string(args, "model"),
                                     .overrides = (const char *const *)overrides,
                                     .override_count = count};
    rc = mlps_checkpoint_workload_load(&source, out, err);
    free_overrides(overrides, count);
    if (!rc && (rc = mlps_checkpoint_workload_validate(
                    out, (uint64_t)mlps_args_int(args, "num_processes"), err)))
        mlps_checkpoint_workload_free(out);
    return rc;
}

/* --- datasize --- */

static int run_datasize(const mlps_invocation *inv, mlps_error *err)
{
    mlps_checkpoint_workload workload;
    int rc = load_workload(&inv->args, false, &workload, err);
    if (rc)
        return err->exit_status;
    mlps_checkpoint_layout layout;
    mlps_checkpoint_datasize size;
    mlps_checkpoint_datasize_request request = {.model = mlps_args_string(&inv->args, "model")};
    rc = mlps_host_memory_from_args(&inv->args, &request.host_memory_bytes, err);
    if (!rc)
        rc = mlps_client_hosts_from_args(&inv->args, &request.hosts, err);
    if (!rc)
        rc = mlps_checkpoint_layout_init(&layout, &workload.params,
                                         (uint64_t)mlps_args_int(&inv->args, "num_processes"), err);
    if (!rc)
        rc = mlps_checkpoint_datasize_compute(&layout, &request, &size, err);
    if (!rc) {
        mlps_checkpoint_datasize_write_text(&size, stdout);
        mlps_checkpoint_datasize_free(&size);
    }
    mlps_checkpoint_workload_free(&workload);
    return rc ? err->exit_status : MLPS_EXIT_OK;
}

/* --- run --- */

/* The local path of a folder given as a path or a file:// or direct:// URI: absolute, resolved as
 * far as it exists and the rest appended as given, so that a folder not created yet compares
 * right. NULL for stores without a local path. */
static const char *local_folder(const char *given, char *out, size_t size)
{
    bool local_uri = strncmp(given, "file://", 7) == 0 || strncmp(given, "direct://", 9) == 0;
    if (strstr(given, "://") && !local_uri)
        return NULL; /* s3://, null://: nothing on this host to compare */
    mlps_store *store = NULL;
    if (mlps_store_open(given, NULL, &store, NULL) != 0)
        return NULL;
    const char *scheme = mlps_store_scheme(store);
    const char *path = NULL;
    if (strcmp(scheme, "file") == 0 || strcmp(scheme, "direct") == 0)
        path = mlps_store_uri(store) + strlen(scheme) + strlen("://");
    char wanted[PATH_MAX], existing[PATH_MAX];
    bool fits = path && snprintf(wanted, sizeof wanted, "%s", path) < (int)sizeof wanted;
    mlps_store_close(store);
    if (!fits)
        return NULL;
    size_t kept = strlen(wanted);
    for (;;) {
        char saved = wanted[kept];
        wanted[kept] = '\0';
        bool found = realpath(kept ? wanted : "/", existing) != NULL;
        wanted[kept] = saved;
        if (found)
            break;
        while (kept > 0 && wanted[--kept] != '/')
            ;
    }
    const char *rest = wanted + kept;
    bool root = strcmp(existing, "/") == 0;
    if (snprintf(out, size, "%s%s", root && *rest ? "" : existing, rest) >= (int)size)
        return NULL;
    return out;
}

/* Whether path a is b or lies below it. */
static bool is_within(const char *a, const char *b)
{
    size_t n = strlen(b);
    while (n > 1 && b[n - 1] == '/')
        n--;
    return strncmp(a, b, n) == 0 && (a[n] == '/' || a[n] == '\0' || (n == 1 && b[0] == '/'));
}

/* The checkpoint folder must not be (or lie inside) the results tree, nor hold it — whether or
 * not either exists yet. */
static int check_folders(const mlps_args *args, mlps_error *err)
{
    char results_buf[PATH_MAX], folder[PATH_MAX], results[PATH_MAX];
    const char *root = mlps_results_root_from_args(args, results_buf, sizeof results_buf);
    if (!root && !(root = mlps_default_results_root(results_buf, sizeof results_buf, NULL)))
        return 0;
    const char *cf = mlps_args_string(args, "checkpoint_folder");
    if (!local_folder(cf, folder, sizeof folder) || !local_folder(root, results, sizeof results))
        return 0; /* an object store: never the results directory */
    if (is_within(folder, results) || is_within(results, folder))
        return mlps_fail_usage(err, -EINVAL,
                               "--checkpoint-folder %s and --results-dir %s overlap; MLPerf rules "
                               "require different places (ideally different filesystems)",
                               folder, results);
    return 0;
}

/* Before a job is launched (or a single process runs): a folder to write can be created, and
 * checkpoints to read without writing are complete and sized for this process count — one line
 * from here instead of a failed job. Inside a job, the run checks again. */
static int check_storage_before_launch(const mlps_args *args,
                                       const mlps_checkpoint_workload *workload, mlps_error *err)
{
    if (mlps_comm_under_launcher() || mlps_args_flag(args, "what_if"))
        return 0;
    const mlps_checkpoint_settings *settings = &workload->checkpoint;
    uint64_t processes = (uint64_t)mlps_args_int(args, "num_processes");
    mlps_store *store = NULL;
    int rc = mlps_store_open(settings->folder, NULL, &store, err);
    if (!rc && settings->num_write > 0 && (rc = mlps_store_mkdirs(store, "", err)) != 0) {
        mlps_error_prefix(err, "--checkpoint-folder/-cf: ");
        err->exit_status = MLPS_EXIT_USAGE;
    }
    if (!rc && settings->num_write == 0 && settings->num_read > 0) {
        mlps_checkpoint_layout layout;
        rc = mlps_checkpoint_layout_init(&layout, &workload->params, processes, err);
        if (!rc)
            rc = mlps_checkpoint_check_marked(store, settings->num_read, err);
        /* Every rank's sizes from here are stat calls on a local filesystem; on an object store
         * they are a request each, so there the ranks check their own files, in parallel. */
        bool local = strcmp(mlps_store_scheme(store), "s3") != 0;
        for (uint64_t rank = 0; !rc && local && rank < processes; rank++)
            rc = mlps_checkpoint_check_rank_files(store, &layout, rank, settings->num_read, err);
    }
    if (store)
        mlps_store_close(store);
    return rc;
}

static int check_run(const mlps_args *args, mlps_error *err)
{
    long long w = mlps_args_int(args, "num_checkpoints_write");
    long long r = mlps_args_int(args, "num_checkpoints_read");
    if (w < 0 || r < 0)
        return mlps_fail_usage(err, -EINVAL,
                               "Number of checkpoints read and write must be non-negative "
                               "(-ncw %lld, -ncr %lld)", w, r);
    int rc = check_folders(args, err);
    mlps_checkpoint_workload workload;
    if (!rc && !(rc = load_workload(args, true, &workload, err))) {
        rc = mlps_storage_check_config(workload.config, workload.checkpoint.folder, err);
        if (!rc)
            rc = check_storage_before_launch(args, &workload, err);
        mlps_checkpoint_workload_free(&workload);
    }
    return rc;
}

static void print_report(const mlps_session *session, const mlps_checkpoint_result *result,
                         const char *report)
{
    if (report)
        mlps_session_print(session, "%s\n", report);
    char size[32];
    mlps_format_bytes(result->totals.bytes, size, sizeof size);
    mlps_session_print(session, "checkpoint %s in %llu files: %zu saved, %zu loaded\nresults: %s\n",
                       size, (unsigned long long)result->totals.files, result->save.count,
                       result->load.count, session->run.run_dir);
}

static int checkpoint(const mlps_invocation *inv, mlps_session *session,
                      const mlps_checkpoint_workload *workload, mlps_error *err)
{
    mlps_checkpoint_result result;
    mlps_stream_options streams = {.seed = (uint64_t)getpid(),
                                   .write_behind = workload->checkpoint.write_behind_bytes};
    mlps_comm_broadcast(inv->comm, &streams.seed, sizeof streams.seed, 0, NULL);
    int rc = mlps_checkpoint_run(inv->comm, workload, &streams, &result, err);
    char *report = NULL;
    if (!rc)
        rc = mlps_checkpoint_write_outputs(inv->comm, session->run.run_dir, workload, &result,
                                           &report, err);
    if (!rc)
        print_report(session, &result, report);
    free(report);
    mlps_checkpoint_result_free(&result);
    return rc;
}

static int run_checkpointing(const mlps_invocation *inv, mlps_error *err)
{
    mlps_checkpoint_workload workload;
    int rc = load_workload(&inv->args, true, &workload, err);
    if (rc)
        return err->exit_status;
    if (mlps_args_flag(&inv->args, "what_if")) {
        mlps_config_write_yaml(workload.config, stdout, true);
        mlps_checkpoint_workload_free(&workload);
        return MLPS_EXIT_OK;
    }
    char root_buf[PATH_MAX];
    mlps_session_spec spec = {
        .type = MLPS_BENCHMARK_CHECKPOINTING, .model = mlps_args_string(&inv->args, "model"),
        .command = "run",
        .results_root = mlps_results_root_from_args(&inv->args, root_buf, sizeof root_buf),
        .argc = inv->full_argc, .argv = inv->full_argv};
    mlps_session session;
    rc = mlps_session_begin(&session, inv->comm, &spec, err);
    if (!rc) {
        rc = checkpoint(inv, &session, &workload, err);
        rc = mlps_end_session(inv, &session, workload.config, inv->comm->size, NULL, rc, err);
    }
    mlps_checkpoint_workload_free(&workload);
    return rc ? (err->exit_status ? err->exit_status : MLPS_EXIT_RUN_FAILED) : MLPS_EXIT_OK;
}

static const mlps_command datasize_command = {
    .name = "datasize",
    .summary = "checkpoint sizes per rank and in total, and the page-cache advice",
    .description = "Prints what each rank writes per checkpoint (files and bytes), the totals in\n"
                   "bytes, GiB and GB, and whether the checkpoint per host is under 3x its memory\n"
                   "(then caches must be dropped between writing and reading, and how).",
    .tables = {&common_table, &mlps_object_flags, &mlps_shared_flags, &mlps_mpi_flags, NULL},
    .run = run_datasize,
};

static const mlps_command run_command = {
    .name = "run",
    .summary = "save W checkpoints and restore R, timing the slowest rank",
    .description =
        "Every process writes its share of the model and optimizer state (DLIO's file names and\n"
        "exact sizes) into <checkpoint-folder>/<model>/global_epoch1_step<k>/, fsyncing every\n"
        "file; each checkpoint is timed from a common start to the end of the slowest process.\n"
        "Then the first R checkpoints are read back with the page cache bypassed. Memory per\n"
        "process is bounded whatever the size: 4 x 32 MiB write buffers, then one 128 MiB read\n"
        "buffer (4 x 128 MiB on direct://).",
    .tables = {&common_table, &run_table, &mlps_object_flags, &mlps_shared_flags,
               &mlps_mpi_flags, NULL},
    .run = run_checkpointing,
    .check = check_run,
    .process_count = process_count,
};

static const mlps_command *const checkpointing_commands[] = {&datasize_command, &run_command, NULL};

const mlps_program mlps_program_checkpointing = {
    .name = "checkpointing",
    .summary = "LLM checkpoint save and restore (llama3 8B, 70B, 405B, 1T)",
    .commands = checkpointing_commands,
};
