/* `mlps storage`: commands that exercise a storage target directly. `roundtrip` writes, reads
 * back and verifies per-rank files through the storage layer and reports throughput and latency;
 * it is also what `make run` runs to prove a build. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "core/session.h"
#include "core/units.h"
#include "roundtrip/roundtrip.h"

static const mlps_arg roundtrip_flags[] = {
    {.name = "uri", .short_name = "u", .kind = MLPS_ARG_STRING, .required = true,
     .metavar = "URI|DIR",
     .help = "where the files go: file:///dir, direct:///dir (O_DIRECT), s3://bucket/prefix, "
             "null:// or a directory"},
    {.name = "num-processes", .short_name = "np", .kind = MLPS_ARG_INT, .default_value = "1",
     .metavar = "N", .help = "MPI processes, each writing and reading its own file"},
    {.name = "file-size", .kind = MLPS_ARG_BYTES, .metavar = "BYTES",
     .help = "bytes per process (default 256M; K/M/G are powers of 1024, KB/MB/GB of 1000)"},
    {.name = "block-size", .short_name = "bs", .kind = MLPS_ARG_BYTES, .metavar = "BYTES",
     .help = "bytes per request (default 1M)"},
    {.name = "iodepth", .short_name = "qd", .kind = MLPS_ARG_INT, .metavar = "N",
     .help = "requests in flight per process (default 16)"},
    {.name = "seed", .kind = MLPS_ARG_INT, .metavar = "N",
     .help = "seed of the data written (default 42)"},
    {.name = "no-verify", .kind = MLPS_ARG_FLAG, .help = "do not compare the data read back"},
    {.name = "keep-files", .kind = MLPS_ARG_FLAG, .help = "leave the files in place afterwards"},
};
static const mlps_arg_table roundtrip_table = MLPS_ARG_TABLE("Options", roundtrip_flags);

/* The round trip's configuration keys, which -p and --config-file values reach as well. */
static const mlps_cfg_key roundtrip_keys[] = {
    {.key = "storage.uri", .type = MLPS_CFG_STRING, .help = "target URI or directory"},
    {.key = "workload.file_size", .type = MLPS_CFG_INT, .default_value = "268435456"},
    {.key = "workload.block_size", .type = MLPS_CFG_INT, .default_value = "1048576"},
    {.key = "workload.iodepth", .type = MLPS_CFG_INT, .default_value = "16"},
    {.key = "workload.seed", .type = MLPS_CFG_INT, .default_value = "42"},
    {.key = "workload.verify", .type = MLPS_CFG_BOOL, .default_value = "true"},
    {.key = "workload.keep_files", .type = MLPS_CFG_BOOL, .default_value = "false"},
};
static const mlps_cfg_schema roundtrip_schema = {
    .name = "storage roundtrip", .keys = roundtrip_keys,
    .count = sizeof roundtrip_keys / sizeof roundtrip_keys[0]};

/* A flag the user gave becomes its configuration key, as if typed with -p. */
typedef struct flag_key {
    const char *dest;
    const char *key;
    const char *flag;
} flag_key;

static const flag_key flag_keys[] = {
    {"file_size", "workload.file_size", "--file-size"},
    {"block_size", "workload.block_size", "--block-size"},
    {"iodepth", "workload.iodepth", "--iodepth"},
    {"seed", "workload.seed", "--seed"},
};

static int set_key(mlps_config *cfg, const char *key, const char *value, const char *origin,
                   mlps_error *err)
{
    return mlps_config_set(cfg, key, value, origin, err);
}

/* Flags first, then -p overrides, so the more specific -p wins. */
static int build_config(const mlps_args *args, mlps_config *cfg, mlps_error *err)
{
    int rc = set_key(cfg, "storage.uri", mlps_args_string(args, "uri"), "--uri", err);
    for (size_t i = 0; !rc && i < sizeof flag_keys / sizeof flag_keys[0]; i++) {
        if (!mlps_args_given(args, flag_keys[i].dest))
            continue;
        char text[32];
        snprintf(text, sizeof text, "%lld", mlps_args_int(args, flag_keys[i].dest));
        rc = set_key(cfg, flag_keys[i].key, text, flag_keys[i].flag, err);
    }
    if (!rc && mlps_args_flag(args, "no_verify"))
        rc = set_key(cfg, "workload.verify", "false", "--no-verify", err);
    if (!rc && mlps_args_flag(args, "keep_files"))
        rc = set_key(cfg, "workload.keep_files", "true", "--keep-files", err);
    json_t *params = mlps_args_list(args, "params");
    for (size_t i = 0; !rc && i < json_array_size(params); i++)
        rc = mlps_config_apply_override(cfg, json_string_value(json_array_get(params, i)), err);
    return rc;
}

/* A size key must be at least 1; the message names the key and the flag that sets it. */
static int positive_key(const mlps_config *cfg, const char *key, const char *flag, int64_t *out,
                        mlps_error *err)
{
    *out = mlps_config_get_int(cfg, key);
    if (*out <= 0 || *out > (int64_t)UINT32_MAX * 4096)
        return mlps_fail_usage(err, -EINVAL, "%s (%s) must be at least 1, got %" PRId64, key, flag,
                               *out);
    return 0;
}

static int read_options(const mlps_config *cfg, const char *file_tag, mlps_roundtrip_options *opts,
                        mlps_error *err)
{
    int64_t file_size, block_size, iodepth;
    int rc = positive_key(cfg, "workload.file_size", "--file-size", &file_size, err);
    if (!rc)
        rc = positive_key(cfg, "workload.block_size", "--block-size", &block_size, err);
    if (!rc)
        rc = positive_key(cfg, "workload.iodepth", "--iodepth", &iodepth, err);
    if (rc)
        return rc;
    *opts = (mlps_roundtrip_options){
        .uri = mlps_config_get_string(cfg, "storage.uri"),
        .file_tag = file_tag,
        .file_size = (uint64_t)file_size,
        .block_size = (uint64_t)block_size,
        .iodepth = (unsigned)iodepth,
        .seed = (uint64_t)mlps_config_get_int(cfg, "workload.seed"),
        .verify = mlps_config_get_bool(cfg, "workload.verify"),
        .keep_files = mlps_config_get_bool(cfg, "workload.keep_files"),
    };
    return mlps_roundtrip_validate(opts, err);
}

/* The configuration the flags, -p and --config-file values give, checked as the run will use
 * it. On success the caller frees *cfg. */
static int checked_config(const mlps_args *args, mlps_config **cfg, mlps_error *err)
{
    *cfg = mlps_config_new(&roundtrip_schema);
    if (!*cfg)
        return mlps_fail(err, -ENOMEM, "out of memory");
    mlps_roundtrip_options opts;
    int rc = build_config(args, *cfg, err);
    if (!rc)
        rc = read_options(*cfg, "plan", &opts, err);
    if (rc) {
        mlps_config_free(*cfg);
        *cfg = NULL;
    }
    return rc;
}

/* Files are named after the run's directory, which is unique in the results tree, so that runs
 * sharing a data directory (loops with --keep-files, runs started in the same second) never
 * write the same file. */
static const char *file_tag_of(const mlps_session *session)
{
    const char *slash = strrchr(session->run.run_dir, '/');
    return slash ? slash + 1 : session->run.run_dir;
}

static void print_phase(const mlps_session *session, const char *name,
                        const mlps_roundtrip_phase *phase)
{
    char bytes[32], rate[48];
    mlps_format_bytes(phase->bytes, bytes, sizeof bytes);
    mlps_format_rate(phase->seconds > 0 ? (double)phase->bytes / phase->seconds : 0, rate,
                     sizeof rate);
    mlps_hist_summary lat;
    mlps_hist_summarize(&phase->latency_ns, &lat);
    mlps_session_print(session,
                       "%-5s %s in %.3f s: %s; latency ms: mean %.3f, p50 %.3f, p99 %.3f, "
                       "max %.3f\n",
                       name, bytes, phase->seconds, rate, lat.mean * 1e-6, lat.p50 * 1e-6,
                       lat.p99 * 1e-6, (double)lat.max * 1e-6);
}

static void print_result(const mlps_session *session, const mlps_roundtrip_result *result)
{
    print_phase(session, "write", &result->write);
    print_phase(session, "read", &result->read);
    if (result->verified_bytes) {
        char bytes[32];
        mlps_format_bytes(result->verified_bytes, bytes, sizeof bytes);
        mlps_session_print(session, "verified %s read back: identical to what was written\n",
                           bytes);
    } else {
        mlps_session_print(session, "data read back was not verified\n");
    }
    mlps_session_print(session, "results: %s\n", session->run.run_dir);
}

static int write_summary(const mlps_session *session, const mlps_roundtrip_options *opts,
                         const mlps_roundtrip_result *result, mlps_error *err)
{
    if (session->comm->rank != 0)
        return 0;
    json_t *summary = mlps_roundtrip_summary_json(session->comm, opts, result);
    int rc = mlps_results_write_summary(session->run.run_dir, summary, err);
    json_decref(summary);
    return rc;
}

static int run_measured(const mlps_invocation *inv, mlps_config *cfg, mlps_error *err)
{
    char root_buf[PATH_MAX];
    mlps_session_spec spec = {
        .type = MLPS_BENCHMARK_STORAGE, .command = "roundtrip",
        .results_root = mlps_results_root_from_args(&inv->args, root_buf, sizeof root_buf),
        .argc = inv->full_argc, .argv = inv->full_argv};
    mlps_session session;
    int rc = mlps_session_begin(&session, inv->comm, &spec, err);
    if (rc)
        return rc;
    mlps_roundtrip_options opts;
    mlps_roundtrip_result result;
    rc = read_options(cfg, file_tag_of(&session), &opts, err);
    if (!rc)
        rc = mlps_roundtrip_run(inv->comm, &opts, &result, err);
    if (!rc)
        rc = write_summary(&session, &opts, &result, err);
    if (!rc)
        print_result(&session, &result);

    return mlps_end_session(inv, &session, cfg, inv->comm->size, NULL, rc, err);
}

static void print_plan(const mlps_invocation *inv, const mlps_config *cfg)
{
    printf("# mlps storage roundtrip would run %lld process(es) with this configuration:\n",
           mlps_args_int(&inv->args, "num_processes"));
    mlps_config_write_yaml(cfg, stdout, true);
}

static int run_roundtrip(const mlps_invocation *inv, mlps_error *err)
{
    mlps_config *cfg = NULL;
    int rc = checked_config(&inv->args, &cfg, err);
    if (!rc && mlps_args_flag(&inv->args, "what_if"))
        print_plan(inv, cfg);
    else if (!rc)
        rc = run_measured(inv, cfg, err);
    mlps_config_free(cfg);
    if (rc)
        return err->exit_status ? err->exit_status : MLPS_EXIT_RUN_FAILED;
    return MLPS_EXIT_OK;
}

static int check_roundtrip(const mlps_args *args, mlps_error *err)
{
    mlps_config *cfg = NULL;
    int rc = checked_config(args, &cfg, err);
    mlps_config_free(cfg);
    return rc;
}

static int roundtrip_process_count(const mlps_args *args, unsigned *count, mlps_error *err)
{
    long long n = mlps_args_int(args, "num_processes");
    if (n < 1 || n > 65536)
        return mlps_fail_usage(err, -EINVAL,
                               "--num-processes/-np must be between 1 and 65536, got %lld", n);
    *count = (unsigned)n;
    return 0;
}

static const mlps_command roundtrip_command = {
    .name = "roundtrip",
    .summary = "write, read back and verify files; report throughput and latency",
    .description =
        "Every process writes one file of seeded incompressible data at the given queue depth,\n"
        "makes it durable (fsync), evicts it from the page cache, reads it back and compares\n"
        "every byte. Throughput counts the slowest process; latencies are per request.\n"
        "Results: <results-dir>/storage/roundtrip/<YYYYMMDD_HHMMSS>/summary.json.",
    .tables = {&roundtrip_table, &mlps_shared_flags, &mlps_mpi_flags, NULL},
    .check = check_roundtrip,
    .run = run_roundtrip,
    .process_count = roundtrip_process_count,
};

static const mlps_command *const storage_commands[] = {&roundtrip_command, NULL};

const mlps_program mlps_program_storage = {
    .name = "storage",
    .summary = "exercise a storage target directly",
    .commands = storage_commands,
};
