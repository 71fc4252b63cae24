/* The options of `mlps kvcache run` (options.h): the reference's defaults, and every rule of its
 * argument check with its wording, plus the rules mlps adds (the two disaggregated modes together,
 * the simulated GPU's bandwidth, a cache directory that cannot be one, an object store cache
 * without a capacity or with O_DIRECT). Every broken rule is
 * collected, so one attempt shows everything to fix. */
#include "kvcache/options.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "kvcache/cache.h"

#define MAX_USERS 100000
#define MAX_DURATION_SECONDS 86400
#define MAX_GPU_MEMORY_GB 65536
#define MAX_CPU_MEMORY_GB 131072

/* A cache directory resolving into one of these would delete or fill system files. */
static const char *const system_directories[] = {"/etc", "/bin", "/sbin", "/usr/bin", "/usr/sbin",
                                                 "/boot", "/sys", "/proc", "/dev", "/root"};

void mlps_kv_options_defaults(mlps_kv_options *o)
{
    memset(o, 0, sizeof *o);
    o->model = "llama3.1-8b";
    o->num_users = 100;
    o->duration_s = 60;
    o->gpu_mem_gb = 16;
    o->num_gpus = 1;
    o->tensor_parallel = 1;
    o->cpu_mem_gb = 32;
    o->generation_mode = MLPS_KV_GEN_REALISTIC;
    o->performance_profile = MLPS_KV_PROFILE_LATENCY;
    o->rag_num_docs = 10;
    o->autoscaler_mode = MLPS_KV_AUTOSCALE_QOS;
    o->target_saturation = 0.8;
    o->burst_trace_path = "BurstGPT/data/BurstGPT_1.csv";
    o->max_conversations = 500;
    o->trace_speedup = 1.0;
    o->log_level = "INFO";
    o->gpu_bandwidth_gbs = 64;
}

/* The broken rules so far, one per line. */
typedef struct rule_list {
    char text[MLPS_ERROR_MESSAGE_MAX];
    size_t used;
    int count;
} rule_list;

static void broken(rule_list *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void broken(rule_list *list, const char *fmt, ...)
{
    if (list->count > 0 && list->used + 1 < sizeof list->text)
        list->text[list->used++] = '\n';
    va_list ap;
    va_start(ap, fmt);
    int n = list->used < sizeof list->text
                ? vsnprintf(list->text + list->used, sizeof list->text - list->used, fmt, ap)
                : 0;
    va_end(ap);
    list->used += n > 0 ? (size_t)n : 0;
    if (list->used >= sizeof list->text)
        list->used = sizeof list->text - 1;
    list->count++;
}

static void check_not_negative(rule_list *list, const char *flag, double value)
{
    if (isnan(value))
        broken(list, "%s must be a number, got nan", flag);
    else if (value < 0)
        broken(list, "%s cannot be negative, got %g", flag, value);
    else if (isinf(value))
        broken(list, "%s must be finite, got %g", flag, value);
}

static void check_counts(const mlps_kv_options *o, rule_list *list)
{
    if (o->num_users <= 0)
        broken(list, "--num-users must be positive, got %lld", (long long)o->num_users);
    if (o->num_users > MAX_USERS)
        broken(list, "--num-users exceeds limit (%d), got %lld", MAX_USERS,
               (long long)o->num_users);
    if (!(o->duration_s > 0))
        broken(list, "--duration must be positive, got %g", o->duration_s);
    else if (o->duration_s > MAX_DURATION_SECONDS)
        broken(list, "--duration exceeds 24 hours (%ds), got %g", MAX_DURATION_SECONDS,
               o->duration_s);
    if (o->rag_num_docs < 0)
        broken(list, "--rag-num-docs cannot be negative, got %lld", (long long)o->rag_num_docs);
    if (o->max_conversations <= 0)
        broken(list, "--max-conversations must be positive, got %lld",
               (long long)o->max_conversations);
    if (o->max_concurrent_allocs < 0)
        broken(list, "--max-concurrent-allocs cannot be negative, got %lld",
               (long long)o->max_concurrent_allocs);
    check_not_negative(list, "--request-rate", o->request_rate);
    if (o->max_requests < 0)
        broken(list, "--max-requests cannot be negative, got %lld", (long long)o->max_requests);
    if (o->precondition_threads < 0)
        broken(list, "--precondition-threads cannot be negative, got %lld",
               (long long)o->precondition_threads);
    check_not_negative(list, "--trace-speedup", o->trace_speedup);
    if (o->replay_cycles < 0)
        broken(list, "--replay-cycles cannot be negative, got %lld", (long long)o->replay_cycles);
}

static void check_memory(const mlps_kv_options *o, rule_list *list)
{
    if (isnan(o->gpu_mem_gb) || o->gpu_mem_gb < 0)
        broken(list, "--gpu-mem-gb cannot be negative, got %g", o->gpu_mem_gb);
    else if (o->gpu_mem_gb > MAX_GPU_MEMORY_GB)
        broken(list, "--gpu-mem-gb exceeds limit (%dGiB), got %g", MAX_GPU_MEMORY_GB,
               o->gpu_mem_gb);
    if (isnan(o->cpu_mem_gb) || o->cpu_mem_gb < 0)
        broken(list, "--cpu-mem-gb cannot be negative, got %g", o->cpu_mem_gb);
    else if (o->cpu_mem_gb > MAX_CPU_MEMORY_GB)
        broken(list, "--cpu-mem-gb exceeds limit (%dGiB), got %g", MAX_CPU_MEMORY_GB,
               o->cpu_mem_gb);
    check_not_negative(list, "--storage-capacity-gb", o->storage_capacity_gb);
    check_not_negative(list, "--precondition-size-gb", o->precondition_size_gb);
    if (!(o->gpu_bandwidth_gbs > 0) || isinf(o->gpu_bandwidth_gbs))
        broken(list, "--gpu-bandwidth-gbs must be a positive number of GiB/s, got %g",
               o->gpu_bandwidth_gbs);
}

static void check_parallelism(const mlps_kv_options *o, rule_list *list)
{
    if (o->num_gpus < 1)
        broken(list, "--num-gpus must be >= 1, got %lld", (long long)o->num_gpus);
    if (o->tensor_parallel < 1)
        broken(list, "--tensor-parallel must be >= 1, got %lld", (long long)o->tensor_parallel);
    else if (o->num_gpus >= 1 && o->tensor_parallel > o->num_gpus)
        broken(list, "--tensor-parallel (%lld) cannot exceed --num-gpus (%lld)",
               (long long)o->tensor_parallel, (long long)o->num_gpus);
    else if ((o->tensor_parallel & (o->tensor_parallel - 1)) != 0)
        mlps_warn("--tensor-parallel=%lld is not a power of 2; uncommon for real deployments but "
                  "allowed", (long long)o->tensor_parallel);
}

static void check_modes(const mlps_kv_options *o, rule_list *list)
{
    if (!(o->target_saturation >= 0.0 && o->target_saturation <= 1.0))
        broken(list, "--target-saturation must be between 0.0 and 1.0, got %g",
               o->target_saturation);
    if (o->prefill_only && o->decode_only)
        broken(list, "--prefill-only and --decode-only are mutually exclusive");
    if (o->generation_mode > MLPS_KV_GEN_REALISTIC)
        broken(list, "--generation-mode must be one of none, fast, realistic");
    if (o->performance_profile > MLPS_KV_PROFILE_THROUGHPUT)
        broken(list, "--performance-profile must be one of latency, throughput");
    if (o->autoscaler_mode > MLPS_KV_AUTOSCALE_CAPACITY)
        broken(list, "--autoscaler-mode must be one of qos, capacity");
}

/* Whether path is dir or lies below it, component-wise ("/etcetera" is not below "/etc"). */
static bool is_within(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Appends one component to a path being resolved lexically: "." is dropped, ".." goes up. */
static void append_component(char *path, size_t size, const char *component, size_t length)
{
    if (length == 0 || (length == 1 && component[0] == '.'))
        return;
    size_t used = strlen(path);
    if (length == 2 && component[0] == '.' && component[1] == '.') {
        char *slash = strrchr(path, '/');
        if (slash)
            *(slash == path ? slash + 1 : slash) = '\0';
        return;
    }
    snprintf(path + used, size - used, "%s%.*s", used > 0 && path[used - 1] == '/' ? "" : "/",
             (int)length, component);
}

/* The absolute path the cache directory would be: the longest existing part with its symbolic
 * links resolved, the rest appended as written. False when it cannot be worked out. */
static bool resolve_cache_dir(const char *given, char *out, size_t size)
{
    char joined[PATH_MAX * 2], cwd[PATH_MAX];
    if (given[0] == '/')
        snprintf(joined, sizeof joined, "%s", given);
    else if (getcwd(cwd, sizeof cwd))
        snprintf(joined, sizeof joined, "%s/%s", cwd, given);
    else
        return false;
    char resolved[PATH_MAX] = "/", partial[PATH_MAX] = "/";
    const char *rest = joined;
    while (*rest) {
        while (*rest == '/')
            rest++;
        size_t length = strcspn(rest, "/");
        if (length == 0)
            break;
        append_component(partial, sizeof partial, rest, length);
        char real[PATH_MAX];
        if (!realpath(partial, real))
            break;
        snprintf(resolved, sizeof resolved, "%s", real);
        snprintf(partial, sizeof partial, "%s", real);
        rest += length;
    }
    snprintf(out, size, "%s", resolved);
    for (; *rest;) {
        while (*rest == '/')
            rest++;
        size_t length = strcspn(rest, "/");
        append_component(out, size, rest, length);
        rest += length;
    }
    return true;
}

static void check_cache_dir(const char *given, rule_list *list)
{
    char path[PATH_MAX];
    if (!given)
        return;
    if (!*given || !resolve_cache_dir(given, path, sizeof path)) {
        broken(list, "--cache-dir '%s' is not a usable path", given);
        return;
    }
    for (size_t i = 0; i < sizeof system_directories / sizeof system_directories[0]; i++)
        if (is_within(path, system_directories[i])) {
            broken(list, "--cache-dir cannot be a system directory: %s", path);
            break;
        }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
        broken(list, "--cache-dir is not a directory: %s", path);
    /* The directory is created with its missing parents: the nearest existing ancestor is
     * where the first one goes. */
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", path);
    do {
        char *slash = strrchr(parent, '/');
        if (!slash)
            return;
        *(slash == parent ? slash + 1 : slash) = '\0';
    } while (stat(parent, &st) != 0 && strcmp(parent, "/") != 0);
    if (!S_ISDIR(st.st_mode))
        broken(list, "--cache-dir parent is not a directory: %s", parent);
    else if (access(parent, W_OK) != 0)
        broken(list, "--cache-dir parent is not writable: %s", parent);
}

/* An object store prefix is not a path: it has no system directories, parents or free space
 * (so the capacity must be given) and no O_DIRECT. */
static void check_object_store(const mlps_kv_options *o, rule_list *list)
{
    if (o->storage_capacity_gb == 0) /* a negative one is reported as such */
        broken(list, "--cache-dir %s is an object store: --storage-capacity-gb must be given "
               "(its free space cannot be asked for)", o->cache_dir);
    if (o->direct_io)
        broken(list, "--direct-io cannot be used with an object store --cache-dir (%s): "
               "O_DIRECT is for files", o->cache_dir);
}

int mlps_kv_options_validate(const mlps_kv_options *o, const mlps_kv_settings *s, mlps_error *err)
{
    (void)s; /* no flag rule depends on config.yaml: its validation_limits are ignored */
    rule_list list = {.used = 0, .count = 0};
    list.text[0] = '\0';
    check_counts(o, &list);
    check_memory(o, &list);
    check_parallelism(o, &list);
    check_modes(o, &list);
    if (mlps_kv_cache_dir_is_object_store(o->cache_dir))
        check_object_store(o, &list);
    else
        check_cache_dir(o->cache_dir, &list);
    if (list.count == 0)
        return 0;
    return mlps_fail_usage(err, -EINVAL, "%s", list.text);
}
