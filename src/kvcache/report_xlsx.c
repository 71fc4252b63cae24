/* --xlsx-output (spec 30 §6.4): a workbook with the sheets Summary (one row: run parameters
 * then metrics), Run Parameters and Performance Metrics (label/value pairs) and QoS Metrics,
 * written with libxlsxwriter under a temporary name and renamed into place, so a failed export
 * never leaves a file under the final name. Any other file name gets the Summary row as CSV. */
#include "kvcache/report_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "core/log.h"

static lxw_error write_cell(lxw_worksheet *sheet, lxw_row_t row, lxw_col_t col, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return worksheet_write_string(sheet, row, col, json_string_value(v), NULL);
    case JSON_INTEGER:
    case JSON_REAL:
        return worksheet_write_number(sheet, row, col, json_number_value(v), NULL);
    case JSON_TRUE:
    case JSON_FALSE:
        return worksheet_write_boolean(sheet, row, col, json_is_true(v), NULL);
    default:
        return LXW_NO_ERROR; /* a missing value is an empty cell */
    }
}

/* The values of every row object in turn across one sheet row, with the labels in row 0 when
 * header is set. */
static lxw_error write_wide(lxw_worksheet *sheet, const json_t *const *rows, size_t row_count,
                            lxw_row_t value_row, bool header)
{
    lxw_col_t col = 0;
    lxw_error rc = LXW_NO_ERROR;
    for (size_t i = 0; i < row_count; i++) {
        const char *label;
        const json_t *value;
        json_object_foreach((json_t *)rows[i], label, value) {
            if (header && rc == LXW_NO_ERROR)
                rc = worksheet_write_string(sheet, 0, col, label, NULL);
            if (rc == LXW_NO_ERROR)
                rc = write_cell(sheet, value_row, col, value);
            col++;
        }
    }
    return rc;
}

/* Two columns: <key_title> | Value, one row per label. */
static lxw_error write_pairs(lxw_worksheet *sheet, const char *key_title, const json_t *row)
{
    lxw_error rc = worksheet_write_string(sheet, 0, 0, key_title, NULL);
    if (rc == LXW_NO_ERROR)
        rc = worksheet_write_string(sheet, 0, 1, "Value", NULL);
    lxw_row_t line = 1;
    const char *label;
    const json_t *value;
    json_object_foreach((json_t *)row, label, value) {
        if (rc == LXW_NO_ERROR)
            rc = worksheet_write_string(sheet, line, 0, label, NULL);
        if (rc == LXW_NO_ERROR)
            rc = write_cell(sheet, line, 1, value);
        line++;
    }
    return rc;
}

static lxw_error write_qos(lxw_worksheet *sheet, const json_t *rows)
{
    lxw_error rc = LXW_NO_ERROR;
    for (size_t i = 0; rc == LXW_NO_ERROR && i < json_array_size(rows); i++) {
        const json_t *row = json_array_get(rows, i);
        rc = write_wide(sheet, &row, 1, (lxw_row_t)(i + 1), i == 0);
    }
    return rc;
}

static lxw_error write_sheets(lxw_workbook *book, const json_t *params, const json_t *metrics,
                              const json_t *qos)
{
    lxw_worksheet *summary = workbook_add_worksheet(book, "Summary");
    lxw_worksheet *run_parameters = workbook_add_worksheet(book, "Run Parameters");
    lxw_worksheet *performance = workbook_add_worksheet(book, "Performance Metrics");
    lxw_worksheet *qos_sheet = json_array_size(qos) ? workbook_add_worksheet(book, "QoS Metrics")
                                                    : NULL;
    if (!summary || !run_parameters || !performance || (json_array_size(qos) && !qos_sheet))
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    const json_t *const wide[2] = {params, metrics};
    lxw_error rc = write_wide(summary, wide, 2, 1, true);
    if (rc == LXW_NO_ERROR)
        rc = write_pairs(run_parameters, "Parameter", params);
    if (rc == LXW_NO_ERROR)
        rc = write_pairs(performance, "Metric", metrics);
    if (rc == LXW_NO_ERROR && qos_sheet)
        rc = write_qos(qos_sheet, qos);
    return rc;
}

static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

static int write_workbook(const char *path, const json_t *params, const json_t *metrics,
                          const json_t *qos, mlps_error *err)
{
    char temp[PATH_MAX];
    int n = snprintf(temp, sizeof temp, "%s.tmp.%d", path, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof temp)
        return mlps_fail(err, -ENAMETOOLONG, "--xlsx-output %s: path too long", path);
    /* Claimed first so an unwritable place is reported with its cause, before the library
     * starts. */
    int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = -errno;
        return mlps_fail(err, rc, "--xlsx-output %s: cannot create the workbook: %s", path,
                         strerror(-rc));
    }
    close(fd);
    lxw_workbook *book = workbook_new(temp);
    if (!book) {
        unlink(temp);
        return mlps_fail(err, -ENOMEM, "--xlsx-output %s: cannot start the workbook", path);
    }
    lxw_error written = write_sheets(book, params, metrics, qos);
    lxw_error closed = workbook_close(book);
    if (written != LXW_NO_ERROR || closed != LXW_NO_ERROR) {
        unlink(temp);
        return mlps_fail(err, -EIO, "--xlsx-output %s: cannot write the workbook: %s", path,
                         lxw_strerror(written != LXW_NO_ERROR ? written : closed));
    }
    int rc = sync_file(temp);
    if (rc == 0 && rename(temp, path) != 0)
        rc = -errno;
    if (rc != 0) {
        unlink(temp);
        return mlps_fail(err, rc, "--xlsx-output %s: cannot publish the workbook: %s", path,
                         strerror(-rc));
    }
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int mlps_kv_report_xlsx(const mlps_kv_run_result *r, const json_t *report, const char *path,
                        mlps_error *err)
{
    if (!json_object_get(report, "summary")) {
        mlps_warn("--xlsx-output %s: no request completed, so there is nothing to export", path);
        return 0;
    }
    json_t *params = mlps_kv_run_parameters_row(r);
    json_t *metrics = mlps_kv_metrics_row(report);
    json_t *qos = mlps_kv_qos_rows(r, report);
    int rc;
    if (!params || !metrics || !qos)
        rc = mlps_fail(err, -ENOMEM, "--xlsx-output %s: out of memory", path);
    else if (ends_with(path, ".xlsx"))
        rc = write_workbook(path, params, metrics, qos, err);
    else
        rc = mlps_kv_report_csv(params, metrics, path, err);
    json_decref(params);
    json_decref(metrics);
    json_decref(qos);
    return rc;
}
