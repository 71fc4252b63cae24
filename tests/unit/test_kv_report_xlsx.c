/* Tests for the KV-cache --xlsx-output: a workbook read back with openpyxl (sheet names, the
 * Summary header and values, the label/value sheets, QoS rows), the CSV written for any other
 * name (header + one row, exact cells), no file when no request completed, and no temporary
 * file left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text_scan.h"
#include "kvcache/report.h"

#include "scratch_dir.h"

typedef struct fixture {
    mlps_kv_options options;
    mlps_kv_settings settings;
    mlps_kv_cache_latencies latencies;
    mlps_kv_run_result r;
} fixture;

static fixture *fixture_new(void)
{
    fixture *f = calloc(1, sizeof *f);
    f->options.model = "llama3.1-8b";
    f->options.num_users = 10;
    f->options.duration_s = 60;
    f->options.num_gpus = 2;
    f->options.gpu_mem_gb = 16;
    f->options.tensor_parallel = 1;
    f->options.cpu_mem_gb = 4;
    f->options.trace_speedup = 1;
    f->options.seed_given = true;
    f->options.seed = 42;
    f->settings.qos[MLPS_KV_QOS_INTERACTIVE].target_p95_ms = 50;
    f->settings.qos[MLPS_KV_QOS_RESPONSIVE].target_p95_ms = 100;
    f->settings.qos[MLPS_KV_QOS_BATCH].target_p95_ms = 1000;
    mlps_kv_samples_init(&f->latencies.storage_read_device);
    mlps_kv_run_result_init(&f->r);
    f->r.options = &f->options;
    f->r.settings = &f->settings;
    f->r.latencies = &f->latencies;
    f->r.elapsed_s = 4.0;
    f->r.requests_completed = 10;
    f->r.total_tokens_generated = 1000;
    for (int i = 1; i <= 100; i++) {
        mlps_kv_samples_add(&f->r.e2e, i / 1000.0);
        mlps_kv_samples_add(&f->latencies.storage_read_device, i / 1000.0);
    }
    for (int i = 0; i < 4; i++)
        mlps_kv_samples_add(&f->r.qos_e2e[MLPS_KV_QOS_INTERACTIVE], (i + 1) * 0.02);
    f->r.counters.tier_bytes_written[MLPS_KV_TIER_STORAGE] = 6ull << 30;
    return f;
}

static void fixture_free(fixture *f)
{
    mlps_kv_samples_destroy(&f->latencies.storage_read_device);
    mlps_kv_run_result_destroy(&f->r);
    free(f);
}

static int make_scratch(void **state)
{
    (void)state;
    return scratch_create("kv_report_xlsx");
}

/* Runs python3 -c script (argv[1] = path) and returns its stdout. */
static char *python_output(const char *script, const char *path)
{
    char command[8192];
    snprintf(command, sizeof command, "/usr/bin/python3 -c '%s' '%s' 2>&1", script, path);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, p);
    text[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return text;
}

static const char *read_back_script =
    "import sys, openpyxl\n"
    "wb = openpyxl.load_workbook(sys.argv[1])\n"
    "print(\"|\".join(wb.sheetnames))\n"
    "s = wb[\"Summary\"]\n"
    "head = [c.value for c in s[1]]\n"
    "row = [c.value for c in s[2]]\n"
    "print(s.max_row)\n"
    "for label in (\"Model\", \"Seed\", \"Total GPU Memory (GiB)\", \"Avg Throughput (tok/s)\",\n"
    "              \"Storage Tier Read Device P95 (ms)\", \"Tier Storage Write Bandwidth (GiB/s)\",\n"
    "              \"Storage Tier Write Device P95 (ms)\", \"Multi-turn\"):\n"
    "    print(label + \"=\" + repr(row[head.index(label)]))\n"
    "p = wb[\"Run Parameters\"]\n"
    "print(p[\"A1\"].value, p[\"B1\"].value, p[\"A3\"].value, p[\"B3\"].value)\n"
    "m = wb[\"Performance Metrics\"]\n"
    "print(m[\"A1\"].value, m[\"A5\"].value, m[\"B5\"].value)\n"
    "q = wb[\"QoS Metrics\"]\n"
    "print(q.max_row, [c.value for c in q[1]], [c.value for c in q[2]])\n";

static void workbook_reads_back_with_openpyxl(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    json_t *doc = mlps_kv_report_json(&f->r);
    char dir[PATH_MAX], path[PATH_MAX];
    in_scratch(dir, "book");
    mkdir(dir, 0755);
    in_scratch(path, "book/results.xlsx");
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_kv_report_xlsx(&f->r, doc, path, &err), 0);
    assert_int_equal(count_entries(dir), 1); /* no temporary file left */
    char *out = python_output(read_back_script, path);
    const char *expected[] = {
        "Summary|Run Parameters|Performance Metrics|QoS Metrics\n2\n",
        "Model='llama3.1-8b'\n",
        "Seed=42\n",
        "Total GPU Memory (GiB)=32\n",
        "Avg Throughput (tok/s)=250\n",
        "Storage Tier Read Device P95 (ms)=95.05\n",
        "Tier Storage Write Bandwidth (GiB/s)=1.5\n",
        "Storage Tier Write Device P95 (ms)=None\n",
        "Multi-turn=True\n",
        "Parameter Value Model llama3.1-8b\n",
        "Metric Avg Throughput (tok/s) 250\n",
        "2 ['QoS Level', 'Total Requests', 'Latency P95 (ms)', 'Latency P99 (ms)', 'SLA Met', "
        "'SLA Compliance'] ['interactive', 4, 77, 79.4, False, 0.5]\n",
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (!strstr(out, expected[i]))
            fail_msg("missing %s in:\n%s", expected[i], out);
    free(out);
    json_decref(doc);
    fixture_free(f);
}

static void other_names_get_the_summary_row_as_csv(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    f->options.performance_profile = MLPS_KV_PROFILE_THROUGHPUT;
    json_t *doc = mlps_kv_report_json(&f->r);
    char path[PATH_MAX];
    in_scratch(path, "results.csv");
    assert_int_equal(mlps_kv_report_xlsx(&f->r, doc, path, NULL), 0);
    char *out = python_output(
        "import sys, csv\n"
        "rows = list(csv.reader(open(sys.argv[1])))\n"
        "print(len(rows), len(rows[0]) == len(rows[1]))\n"
        "d = dict(zip(rows[0], rows[1]))\n"
        "for k in (\"Model\", \"Seed\", \"Avg Throughput (tok/s)\", \"Storage Tier Read Device P95 (ms)\",\n"
        "          \"Storage Tier Write Device P95 (ms)\", \"Multi-turn\", \"Dataset Path\", \"Total Requests\"):\n"
        "    print(k + \"=\" + d[k])\n",
        path);
    const char *expected =
        "2 True\nModel=llama3.1-8b\nSeed=42\nAvg Throughput (tok/s)=250.0\n"
        "Storage Tier Read Device P95 (ms)=95.05\nStorage Tier Write Device P95 (ms)=\n"
        "Multi-turn=True\nDataset Path=N/A\nTotal Requests=10\n";
    assert_string_equal(out, expected);
    free(out);
    json_decref(doc);
    fixture_free(f);
}

static void nothing_is_written_without_a_completed_request(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    f->r.requests_completed = 0;
    json_t *doc = mlps_kv_report_json(&f->r);
    char path[PATH_MAX];
    in_scratch(path, "empty.xlsx");
    assert_int_equal(mlps_kv_report_xlsx(&f->r, doc, path, NULL), 0);
    assert_int_equal(access(path, F_OK), -1);
    json_decref(doc);
    fixture_free(f);
}

static void unwritable_place_fails_naming_the_flag(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    json_t *doc = mlps_kv_report_json(&f->r);
    char path[PATH_MAX];
    in_scratch(path, "no_such_dir/results.xlsx");
    mlps_error err;
    mlps_error_clear(&err);
    assert_true(mlps_kv_report_xlsx(&f->r, doc, path, &err) < 0);
    assert_non_null(strstr(err.message, "--xlsx-output"));
    assert_non_null(strstr(err.message, "no_such_dir/results.xlsx"));
    in_scratch(path, "no_such_dir/results.csv");
    assert_true(mlps_kv_report_xlsx(&f->r, doc, path, &err) < 0);
    json_decref(doc);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(workbook_reads_back_with_openpyxl),
        cmocka_unit_test(other_names_get_the_summary_row_as_csv),
        cmocka_unit_test(nothing_is_written_without_a_completed_request),
        cmocka_unit_test(unwritable_place_fails_naming_the_flag),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
