/* The files a KV-cache run leaves: the reference's JSON in the run directory of the results tree
 * (kvcache_results.json) and at --output when given (without a results tree, the default is the
 * reference's benchmark_results_<YYYYmmdd_HHMMSS>.json), the --xlsx-output workbook, and the
 * summary on the console. Every file is written whole under a temporary name and then renamed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/atomic_file.h"
#include "core/log.h"
#include "kvcache/run_internal.h"

#define RUN_DIR_COPY_NAME "kvcache_results.json"

static void default_output_name(char *out, size_t size, const char *run_dir)
{
    if (run_dir) {
        snprintf(out, size, "%s/%s", run_dir, RUN_DIR_COPY_NAME);
        return;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm local;
    localtime_r(&now, &local);
    strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &local);
    snprintf(out, size, "benchmark_results_%s.json", stamp);
}

int mlps_kv_run_write_outputs(mlps_kv_run_state *run, const mlps_kv_run_params *params, mlps_error *err)
{
    const mlps_kv_options *o = run->options;
    json_t *report = mlps_kv_report_json(run->result);
    if (!report)
        return mlps_fail(err, -ENOMEM, "kvcache: out of memory building the report");
    if (run->validating) {
        const mlps_kv_cache_counters *c = &run->result->counters;
        uint64_t reads = c->cache_hits + c->cache_misses;
        double hit_rate = reads ? (double)c->cache_hits / (double)reads : 0.0;
        json_t *validation = mlps_kv_validation_compare(&run->validation_trace, hit_rate);
        if (!validation || json_object_set_new(report, "validation", validation) != 0) {
            json_decref(report);
            return mlps_fail(err, -ENOMEM, "kvcache: out of memory building the report");
        }
    }
    char path[4096];
    if (o->output)
        snprintf(path, sizeof path, "%s", o->output);
    else
        default_output_name(path, sizeof path, params->run_dir);
    int rc = mlps_write_json_atomic(path, report, err);
    if (rc == 0 && params->run_dir && o->output) {
        char copy[4096];
        snprintf(copy, sizeof copy, "%s/%s", params->run_dir, RUN_DIR_COPY_NAME);
        rc = mlps_write_json_atomic(copy, report, err);
    }
    if (rc == 0 && o->xlsx_output)
        rc = mlps_kv_report_xlsx(run->result, report, o->xlsx_output, err);
    if (rc == 0) {
        FILE *console = params->console ? params->console : stdout;
        mlps_kv_report_print(run->result, report, console);
        json_t *validation = json_object_get(report, "validation");
        if (validation)
            fprintf(console, "Validation against %s: %s (hit rate error %.2f%%)\n", o->validation_trace,
                    json_is_true(json_object_get(validation, "passed")) ? "PASSED" : "FAILED",
                    json_real_value(json_object_get(validation, "avg_error_pct")));
        fprintf(console, "results: %s\n", path);
        if (o->xlsx_output)
            fprintf(console, "workbook: %s\n", o->xlsx_output);
    }
    json_decref(report);
    return rc;
}
