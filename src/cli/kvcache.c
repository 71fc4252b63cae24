/* `mlps kvcache`: the KV-cache offload benchmark. `run` takes every flag of the reference's
 * kv-cache.py under the same long name and default (plus mlps's simulated GPU tier and O_DIRECT,
 * and the shared results-tree flags), reads config.yaml's settings with --config and -p, checks
 * every flag rule at once, and runs one process into a results-tree run directory. `datasize`
 * sizes the KV cache of a model and a number of users. kv-cache.py's --config (settings YAML)
 * and mlps's --config-file/-c (a YAML of option values) are different flags. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/kvcache_datasize.h"
#include "core/log.h"
#include "core/session.h"
#include "kvcache/model.h"
#include "kvcache/options.h"
#include "kvcache/run.h"
#include "kvcache/settings.h"

/* In the order of the option enums, so that a choice's index is its value. */
static const char *const generation_modes[] = {"none", "fast", "realistic", NULL};
static const char *const profiles[] = {"latency", "throughput", NULL};
static const char *const autoscaler_modes[] = {"qos", "capacity", NULL};
static const char *const log_levels[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", NULL};

/* kv-cache.py's --config; mlps's own --config-file/-c (option values) is another flag. */
#define CONFIG_FLAG                                                                              \
    {.name = "config", .kind = MLPS_ARG_STRING, .metavar = "YAML",                               \
     .help = "the reference's config.yaml of settings (user templates, QoS, eviction, RAG, "      \
             "models); -p KEY=VALUE overrides one"}

/* -m, -nu and -d are mlpstorage's short names for the same flags. */
static const mlps_arg model_flags[] = {
    {.name = "model", .short_name = "m", .kind = MLPS_ARG_STRING, .default_value = "llama3.1-8b",
     .metavar = "KEY", .help = "model whose KV cache is stored (built-ins or config.yaml's model_configs)"},
    {.name = "num-users", .short_name = "nu", .kind = MLPS_ARG_INT, .default_value = "100",
     .metavar = "N", .help = "concurrent simulated users, 1..100000"},
    CONFIG_FLAG,
};

static const mlps_arg run_flags[] = {
    {.name = "duration", .short_name = "d", .kind = MLPS_ARG_DOUBLE, .default_value = "60",
     .metavar = "S", .help = "seconds of load, at most 86400"},
    {.name = "gpu-mem-gb", .kind = MLPS_ARG_DOUBLE, .default_value = "16", .metavar = "GiB",
     .help = "GPU tier per GPU (used in trace mode or with --simulate-gpu)"},
    {.name = "num-gpus", .kind = MLPS_ARG_INT, .default_value = "1", .metavar = "N",
     .help = "GPUs in the tensor-parallel group; GPU tier = num-gpus x gpu-mem-gb"},
    {.name = "tensor-parallel", .kind = MLPS_ARG_INT, .default_value = "1", .metavar = "TP",
     .help = "each entry stores 1/TP of its bytes; 1..num-gpus"},
    {.name = "cpu-mem-gb", .kind = MLPS_ARG_DOUBLE, .default_value = "32", .metavar = "GiB",
     .help = "CPU memory tier"},
    {.name = "cache-dir", .kind = MLPS_ARG_STRING, .metavar = "DIR",
     .help = "storage tier directory, or s3://bucket/prefix for one object per entry; its *.npy "
             "files (objects) are deleted first (default: a temporary kv_cache_* directory, "
             "removed at exit)"},
    {.name = "generation-mode", .kind = MLPS_ARG_STRING, .default_value = "realistic",
     .choices = generation_modes, .help = "emulated generation time per token: 0, 2 ms, 30 ms"},
    {.name = "performance-profile", .kind = MLPS_ARG_STRING, .default_value = "latency",
     .choices = profiles, .help = "pass/fail criteria"},
    {.name = "disable-multi-turn", .kind = MLPS_ARG_FLAG,
     .help = "no conversations: no history reads of earlier turns"},
    {.name = "disable-prefix-caching", .kind = MLPS_ARG_FLAG, .help = "no shared system prompts"},
    {.name = "enable-rag", .kind = MLPS_ARG_FLAG, .help = "add retrieval-augmented generation"},
    {.name = "rag-num-docs", .kind = MLPS_ARG_INT, .default_value = "10", .metavar = "N",
     .help = "RAG documents ingested"},
    {.name = "enable-autoscaling", .kind = MLPS_ARG_FLAG,
     .help = "change the number of active users with the storage's saturation"},
    {.name = "autoscaler-mode", .kind = MLPS_ARG_STRING, .default_value = "qos",
     .choices = autoscaler_modes, .help = "autoscaling strategy"},
    {.name = "target-saturation", .kind = MLPS_ARG_DOUBLE, .default_value = "0.8", .metavar = "F",
     .help = "storage saturation the qos autoscaler aims at, 0.0..1.0"},
    {.name = "use-burst-trace", .kind = MLPS_ARG_FLAG, .help = "replay a BurstGPT trace"},
    {.name = "burst-trace-path", .kind = MLPS_ARG_STRING,
     .default_value = "BurstGPT/data/BurstGPT_1.csv", .metavar = "PATH",
     .help = "BurstGPT CSV file, directory of CSVs, or glob"},
    {.name = "validation-trace", .kind = MLPS_ARG_STRING, .metavar = "JSON",
     .help = "a trace whose hit rate the run is compared with"},
    {.name = "dataset-path", .kind = MLPS_ARG_STRING, .metavar = "JSON",
     .help = "replay a ShareGPT dataset (wins over --use-burst-trace)"},
    {.name = "max-conversations", .kind = MLPS_ARG_INT, .default_value = "500", .metavar = "N",
     .help = "ShareGPT conversations used"},
    {.name = "output", .kind = MLPS_ARG_STRING, .metavar = "JSON",
     .help = "results file (default: benchmark_results_<YYYYmmdd_HHMMSS>.json)"},
    {.name = "seed", .kind = MLPS_ARG_INT, .metavar = "N", .help = "seed of every random choice"},
    {.name = "max-concurrent-allocs", .kind = MLPS_ARG_INT, .default_value = "0", .metavar = "N",
     .help = "most entries generated and written at once (0: unlimited)"},
    {.name = "request-rate", .kind = MLPS_ARG_DOUBLE, .default_value = "0", .metavar = "R",
     .help = "ShareGPT requests per second (0: unlimited)"},
    {.name = "max-requests", .kind = MLPS_ARG_INT, .default_value = "0", .metavar = "N",
     .help = "stop after N completed requests (0: run for --duration)"},
    {.name = "xlsx-output", .kind = MLPS_ARG_STRING, .metavar = "FILE",
     .help = "also write the results as .xlsx (CSV for other names)"},
    {.name = "storage-capacity-gb", .kind = MLPS_ARG_DOUBLE, .default_value = "0",
     .metavar = "GiB",
     .help = "storage tier capacity (0: 95% of the free space; required with s3://)"},
    {.name = "precondition", .kind = MLPS_ARG_FLAG,
     .help = "fill the storage tier with 2048-token entries before the run"},
    {.name = "precondition-size-gb", .kind = MLPS_ARG_DOUBLE, .default_value = "0",
     .metavar = "GiB", .help = "bytes written by --precondition (0: twice the storage capacity)"},
    {.name = "precondition-threads", .kind = MLPS_ARG_INT, .default_value = "0", .metavar = "N",
     .help = "writers of --precondition (0: one per CPU)"},
    {.name = "trace-speedup", .kind = MLPS_ARG_DOUBLE, .default_value = "1.0", .metavar = "X",
     .help = "BurstGPT replay speed-up (0: no pacing)"},
    {.name = "replay-cycles", .kind = MLPS_ARG_INT, .default_value = "0", .metavar = "N",
     .help = "passes over the trace, then stop (0: until --duration)"},
    {.name = "prefill-only", .kind = MLPS_ARG_FLAG,
     .help = "a disaggregated prefill node: writes, no decode reads"},
    {.name = "decode-only", .kind = MLPS_ARG_FLAG,
     .help = "a disaggregated decode node: reads of pre-written entries"},
    {.name = "io-trace-log", .kind = MLPS_ARG_STRING, .metavar = "CSV[.zst]",
     .help = "no real I/O: log every cache operation to this CSV"},
    {.name = "enable-latency-tracing", .kind = MLPS_ARG_FLAG,
     .help = "accepted for compatibility; block-layer tracing is not available"},
    {.name = "log-level", .kind = MLPS_ARG_STRING, .default_value = "INFO", .choices = log_levels,
     .help = "log level (--debug and --verbose also set it)"},
};

static const mlps_arg mlps_addition_flags[] = {
    {.name = "simulate-gpu", .kind = MLPS_ARG_FLAG,
     .help = "add a simulated GPU tier of num-gpus x gpu-mem-gb (no GPU is used; reported as "
             "simulated)"},
    {.name = "gpu-bandwidth-gbs", .kind = MLPS_ARG_DOUBLE, .default_value = "64", .metavar = "GiB/s",
     .help = "simulated GPU tier transfer rate: latency = bytes / rate"},
    {.name = "direct-io", .kind = MLPS_ARG_FLAG,
     .help = "storage tier reads and writes with O_DIRECT (the reference buffers and fsyncs); "
             "files only"},
};

static const mlps_arg datasize_flags[] = {
    {.name = "context-tokens", .kind = MLPS_ARG_INT, .metavar = "T",
     .help = "tokens of each user's live entry (default: the mean request of the synthetic mix)"},
    {.name = "json", .kind = MLPS_ARG_FLAG, .help = "print JSON instead of the table"},
};

static const mlps_arg datasize_model_flags[] = {
    {.name = "model", .short_name = "m", .kind = MLPS_ARG_STRING, .metavar = "KEY",
     .help = "one model (default: every model)"},
    {.name = "num-users", .short_name = "nu", .kind = MLPS_ARG_INT, .default_value = "100",
     .metavar = "N", .help = "concurrent users"},
    CONFIG_FLAG,
};

static const mlps_arg_table model_table = MLPS_ARG_TABLE("Model and settings", model_flags);
static const mlps_arg_table run_table = MLPS_ARG_TABLE("kv-cache.py options", run_flags);
static const mlps_arg_table addition_table =
    MLPS_ARG_TABLE("mlps additions (not in kv-cache.py)", mlps_addition_flags);
static const mlps_arg_table datasize_model_table =
    MLPS_ARG_TABLE("Model and settings", datasize_model_flags);
static const mlps_arg_table datasize_table =
    MLPS_ARG_TABLE("mlps additions (not in mlpstorage's kvcache datasize)", datasize_flags);

/* ---- settings and model ---- */

/* Where settings came from, for messages: "in FILE", "from -p", or both. */
static void settings_origin(const mlps_args *args, char *out, size_t size)
{
    const char *file = mlps_args_string(args, "config");
    bool overridden = json_array_size(mlps_args_list(args, "params")) > 0;
    if (file && overridden)
        snprintf(out, size, "in %s or -p", file);
    else if (file)
        snprintf(out, size, "in %s", file);
    else
        snprintf(out, size, "%s", overridden ? "from -p" : "defaults");
}

/* The settings config: code defaults, then --config, then every -p. The config is kept for the
 * run's metadata. */
static int load_settings(const mlps_args *args, mlps_kv_settings *settings, mlps_config **config,
                         mlps_error *err)
{
    mlps_kv_settings_defaults(settings);
    *config = mlps_config_new(mlps_kv_settings_schema());
    if (!*config)
        return mlps_fail(err, -ENOMEM, "out of memory");
    const char *file = mlps_args_string(args, "config");
    int rc = file ? mlps_config_load_file(*config, file, err) : 0;
    json_t *params = mlps_args_list(args, "params");
    for (size_t i = 0; !rc && i < json_array_size(params); i++)
        rc = mlps_config_apply_override(*config, json_string_value(json_array_get(params, i)),
                                        err);
    char origin[PATH_MAX + 16];
    settings_origin(args, origin, sizeof origin);
    if (!rc)
        rc = mlps_kv_settings_from_config(settings, *config, origin, err);
    if (rc) {
        mlps_config_free(*config);
        *config = NULL;
    }
    return rc;
}

/* ---- run ---- */

static int choice_index(const char *const *choices, const char *value)
{
    for (int i = 0; value && choices[i]; i++)
        if (strcmp(choices[i], value) == 0)
            return i;
    return 0;
}

/* The options from the parsed flags; strings are borrowed from args. */
static void options_from_args(const mlps_args *a, mlps_kv_options *o)
{
    mlps_kv_options_defaults(o);
    o->model = mlps_args_string(a, "model");
    o->num_users = mlps_args_int(a, "num_users");
    o->duration_s = mlps_args_double(a, "duration");
    o->gpu_mem_gb = mlps_args_double(a, "gpu_mem_gb");
    o->num_gpus = mlps_args_int(a, "num_gpus");
    o->tensor_parallel = mlps_args_int(a, "tensor_parallel");
    o->cpu_mem_gb = mlps_args_double(a, "cpu_mem_gb");
    o->cache_dir = mlps_args_string(a, "cache_dir");
    o->generation_mode = choice_index(generation_modes, mlps_args_string(a, "generation_mode"));
    o->performance_profile = choice_index(profiles, mlps_args_string(a, "performance_profile"));
    o->disable_multi_turn = mlps_args_flag(a, "disable_multi_turn");
    o->disable_prefix_caching = mlps_args_flag(a, "disable_prefix_caching");
    o->enable_rag = mlps_args_flag(a, "enable_rag");
    o->rag_num_docs = mlps_args_int(a, "rag_num_docs");
    o->enable_autoscaling = mlps_args_flag(a, "enable_autoscaling");
    o->autoscaler_mode = choice_index(autoscaler_modes, mlps_args_string(a, "autoscaler_mode"));
    o->target_saturation = mlps_args_double(a, "target_saturation");
    o->use_burst_trace = mlps_args_flag(a, "use_burst_trace");
    o->burst_trace_path = mlps_args_string(a, "burst_trace_path");
    o->validation_trace = mlps_args_string(a, "validation_trace");
    o->dataset_path = mlps_args_string(a, "dataset_path");
    o->max_conversations = mlps_args_int(a, "max_conversations");
    o->output = mlps_args_string(a, "output");
    o->seed_given = mlps_args_given(a, "seed");
    o->seed = mlps_args_int(a, "seed");
    o->max_concurrent_allocs = mlps_args_int(a, "max_concurrent_allocs");
    o->request_rate = mlps_args_double(a, "request_rate");
    o->max_requests = mlps_args_int(a, "max_requests");
    o->xlsx_output = mlps_args_string(a, "xlsx_output");
    o->config = mlps_args_string(a, "config");
    o->storage_capacity_gb = mlps_args_double(a, "storage_capacity_gb");
    o->precondition = mlps_args_flag(a, "precondition");
    o->precondition_size_gb = mlps_args_double(a, "precondition_size_gb");
    o->precondition_threads = mlps_args_int(a, "precondition_threads");
    o->trace_speedup = mlps_args_double(a, "trace_speedup");
    o->replay_cycles = mlps_args_int(a, "replay_cycles");
    o->prefill_only = mlps_args_flag(a, "prefill_only");
    o->decode_only = mlps_args_flag(a, "decode_only");
    o->io_trace_log = mlps_args_string(a, "io_trace_log");
    o->enable_latency_tracing = mlps_args_flag(a, "enable_latency_tracing");
    o->log_level = mlps_args_string(a, "log_level");
    o->simulate_gpu = mlps_args_flag(a, "simulate_gpu");
    o->gpu_bandwidth_gbs = mlps_args_double(a, "gpu_bandwidth_gbs");
    o->direct_io = mlps_args_flag(a, "direct_io");
}

/* Only an explicit --log-level changes the level, so that --debug and --verbose still work. */
static void apply_log_level(const mlps_args *args)
{
    if (!mlps_args_given(args, "log_level"))
        return;
    static const mlps_log_level levels[] = {MLPS_LOG_DEBUG, MLPS_LOG_INFO, MLPS_LOG_WARNING,
                                            MLPS_LOG_ERROR, MLPS_LOG_ERROR};
    mlps_log_set_level(levels[choice_index(log_levels, mlps_args_string(args, "log_level"))]);
}

/* Every line of a multi-line usage error starts with the command, as one-line errors do. */
static void name_every_line(mlps_error *err, const char *usage_name)
{
    char named[MLPS_ERROR_MESSAGE_MAX];
    size_t used = 0;
    for (const char *line = err->message; *line && used + 1 < sizeof named;) {
        size_t length = strcspn(line, "\n");
        int n = snprintf(named + used, sizeof named - used, "%s%s: %.*s", used ? "\n" : "",
                         usage_name, (int)length, line);
        used = n > 0 && used + (size_t)n < sizeof named ? used + (size_t)n : sizeof named - 1;
        line += length + (line[length] == '\n');
    }
    named[used] = '\0';
    memcpy(err->message, named, used + 1);
}

/* Everything a run needs, checked before any results directory exists. */
typedef struct kv_prepared {
    mlps_kv_settings settings;
    mlps_config *config;
    mlps_kv_model_set models;
    const mlps_kv_model *model;
    mlps_kv_options options;
} kv_prepared;

static void prepared_free(kv_prepared *p)
{
    mlps_kv_models_free(&p->models);
    mlps_kv_settings_free(&p->settings);
    mlps_config_free(p->config);
}

/* settings, models (a model key that is not known lists the valid ones), the flag rules. */
static int prepare(const mlps_invocation *inv, kv_prepared *p, bool check_options,
                   mlps_error *err)
{
    memset(p, 0, sizeof *p);
    int rc = load_settings(&inv->args, &p->settings, &p->config, err);
    if (!rc)
        rc = mlps_kv_models_init(&p->models, p->settings.model_configs, err);
    const char *model = mlps_args_string(&inv->args, "model");
    if (!rc && model && !(p->model = mlps_kv_models_find(&p->models, model)))
        rc = mlps_kv_models_unknown(&p->models, model, err);
    if (!rc && check_options) {
        options_from_args(&inv->args, &p->options);
        rc = mlps_kv_options_validate(&p->options, &p->settings, err);
    }
    if (rc)
        name_every_line(err, inv->usage_name);
    return rc;
}

static void print_what_if(const kv_prepared *p)
{
    printf("model: %s (%llu bytes per token)\nsettings:\n", p->model->key,
           (unsigned long long)mlps_kv_model_bytes_per_token(p->model));
    mlps_config_write_yaml(p->config, stdout, true);
}

static int run_benchmark(const mlps_invocation *inv, mlps_error *err)
{
    kv_prepared p;
    int rc = prepare(inv, &p, true, err);
    if (rc) {
        prepared_free(&p);
        return err->exit_status;
    }
    apply_log_level(&inv->args);
    if (mlps_args_flag(&inv->args, "what_if")) {
        print_what_if(&p);
        prepared_free(&p);
        return MLPS_EXIT_OK;
    }
    char root_buf[PATH_MAX];
    mlps_session_spec spec = {
        .type = MLPS_BENCHMARK_KV_CACHE, .model = p.model->key, .command = "run",
        .results_root = mlps_results_root_from_args(&inv->args, root_buf, sizeof root_buf),
        .argc = inv->full_argc, .argv = inv->full_argv};
    mlps_session session;
    rc = mlps_session_begin(&session, inv->comm, &spec, err);
    if (!rc) {
        mlps_kv_run_params params = {.options = &p.options, .settings = &p.settings,
                                     .model = p.model, .run_dir = session.run.run_dir,
                                     .console = NULL};
        rc = mlps_kv_run(&params, err);
        rc = mlps_end_session(inv, &session, p.config, 1, NULL, rc, err);
    }
    prepared_free(&p);
    return rc ? (err->exit_status ? err->exit_status : MLPS_EXIT_RUN_FAILED) : MLPS_EXIT_OK;
}

/* ---- datasize ---- */

static int datasize_rows(const mlps_invocation *inv, const kv_prepared *p, uint64_t users,
                         uint64_t context, mlps_kv_datasize_row **rows, size_t *count,
                         mlps_error *err)
{
    *count = p->model ? 1 : p->models.count;
    *rows = calloc(*count ? *count : 1, sizeof **rows);
    if (!*rows)
        return mlps_fail(err, -ENOMEM, "%s: out of memory", inv->usage_name);
    for (size_t i = 0; i < *count; i++) {
        const mlps_kv_model *m = p->model ? p->model : &p->models.models[i];
        (*rows)[i] = mlps_kv_datasize_of(m->key, mlps_kv_model_bytes_per_token(m), users, context);
    }
    return 0;
}

static int check_sizing(const mlps_invocation *inv, long long users, bool context_given,
                        long long context, mlps_error *err)
{
    if (users < 1 || users > 100000)
        return mlps_fail_usage(err, -EINVAL, "%s: --num-users must be between 1 and 100000, got %lld",
                               inv->usage_name, users);
    if (context_given && (context < 1 || context > 100000000))
        return mlps_fail_usage(err, -EINVAL,
                               "%s: --context-tokens must be between 1 and 100000000, got %lld",
                               inv->usage_name, context);
    return 0;
}

static int run_datasize(const mlps_invocation *inv, mlps_error *err)
{
    const mlps_args *args = &inv->args;
    long long users = mlps_args_int(args, "num_users");
    bool context_given = mlps_args_given(args, "context_tokens");
    kv_prepared p;
    memset(&p, 0, sizeof p);
    int rc = check_sizing(inv, users, context_given, mlps_args_int(args, "context_tokens"), err);
    if (!rc)
        rc = prepare(inv, &p, false, err);
    if (rc) {
        prepared_free(&p);
        return err->exit_status;
    }
    uint64_t context = context_given ? (uint64_t)mlps_args_int(args, "context_tokens")
                                     : (uint64_t)llround(mlps_kv_mean_context_tokens(&p.settings));
    const char *source = context_given ? "--context-tokens"
                                       : "the mean request context of the synthetic user mix";
    mlps_kv_datasize_row *rows = NULL;
    size_t count = 0;
    rc = datasize_rows(inv, &p, (uint64_t)users, context, &rows, &count, err);
    if (!rc && mlps_args_flag(args, "json")) {
        json_t *json = mlps_kv_datasize_to_json(rows, count, (uint64_t)users, context, source);
        json_dumpf(json, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(json);
    } else if (!rc) {
        mlps_kv_datasize_write_text(rows, count, (uint64_t)users, context, source, stdout);
    }
    free(rows);
    prepared_free(&p);
    return rc ? err->exit_status : MLPS_EXIT_OK;
}

static const mlps_command run_command = {
    .name = "run",
    .summary = "multi-user LLM inference with the KV cache spilled GPU -> CPU -> storage",
    .description =
        "Simulates users of an LLM service whose KV cache lives in tiers: an optional simulated\n"
        "GPU tier, CPU memory, then one .npy file per entry in --cache-dir (or one object per\n"
        "entry when it is s3://bucket/prefix), with LRU demotion between them. Users send\n"
        "prefill writes, multi-turn history reads and decode reads (synthetic users, a ShareGPT\n"
        "dataset or a BurstGPT trace); the run reports throughput, per-tier latency percentiles\n"
        "and bandwidth, hit rates and pass/fail in the reference's JSON. Every kv-cache.py\n"
        "option is accepted under its name and default; every broken option rule is reported at\n"
        "once. One process; results go to the results tree\n"
        "(<results-dir>/kv_cache/run/<datetime>/) and to --output.",
    .tables = {&model_table, &run_table, &addition_table, &mlps_shared_flags, NULL},
    .run = run_benchmark,
};

static const mlps_command datasize_command = {
    .name = "datasize",
    .summary = "KV cache bytes per token, entry sizes and tier sizes for N users",
    .description =
        "For one model (or every model) prints the KV cache bytes per token, the size of one\n"
        "entry at 2048 and 8192 tokens, the working set of --num-users users holding one live\n"
        "entry of --context-tokens tokens each, and tier sizes that make a run spill to storage\n"
        "(GPU 0.2x, CPU 0.5x and storage 2x the working set, mlpstorage's ratios). Models and\n"
        "user templates come from --config and -p as for run.",
    .tables = {&datasize_model_table, &datasize_table, &mlps_shared_flags, NULL},
    .run = run_datasize,
};

static const mlps_command *const kvcache_commands[] = {&datasize_command, &run_command, NULL};

const mlps_program mlps_program_kvcache = {
    .name = "kvcache",
    .summary = "KV-cache offload under multi-user LLM inference (the reference's kv-cache.py)",
    .commands = kvcache_commands,
};
