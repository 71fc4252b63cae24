/* The workbook's Summary row as CSV (the --xlsx-output fallback for a name not ending in
 * .xlsx): a header of the column labels and one row of values, written the way pandas writes
 * them (True/False, an empty cell for a missing value, reals at full precision, fields with a
 * comma or quote quoted), and published atomically. */
#include "kvcache/report_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic_file.h"

static void write_field_text(FILE *out, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *c = text; *c; c++) {
        if (*c == '"')
            fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

/* The shortest %g form that reads back as the same double, with ".0" on whole numbers as
 * Python prints them. */
static void format_real(double value, char *out, size_t size)
{
    if (!isfinite(value)) {
        snprintf(out, size, "%s", isnan(value) ? "" : value > 0 ? "inf" : "-inf");
        return;
    }
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(out, size, "%.*g", precision, value);
        if (strtod(out, NULL) == value)
            break;
    }
    if (!strpbrk(out, ".e"))
        strncat(out, ".0", size - strlen(out) - 1);
}

static void write_value(FILE *out, const json_t *value)
{
    char text[64];
    switch (json_typeof(value)) {
    case JSON_STRING:
        write_field_text(out, json_string_value(value));
        break;
    case JSON_INTEGER:
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        break;
    case JSON_REAL:
        format_real(json_real_value(value), text, sizeof text);
        fputs(text, out);
        break;
    case JSON_TRUE:
        fputs("True", out);
        break;
    case JSON_FALSE:
        fputs("False", out);
        break;
    default:
        break;
    }
}

static void write_line(FILE *out, const json_t *const rows[2], bool labels)
{
    bool first = true;
    for (int i = 0; i < 2; i++) {
        const char *label;
        const json_t *value;
        json_object_foreach((json_t *)rows[i], label, value) {
            if (!first)
                fputc(',', out);
            first = false;
            if (labels)
                write_field_text(out, label);
            else
                write_value(out, value);
        }
    }
    fputc('\n', out);
}

int mlps_kv_report_csv(const json_t *params, const json_t *metrics, const char *path,
                       mlps_error *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return mlps_fail(err, -ENOMEM, "--xlsx-output %s: out of memory", path);
    const json_t *const rows[2] = {params, metrics};
    write_line(out, rows, true);
    write_line(out, rows, false);
    if (fclose(out) != 0) {
        free(text);
        return mlps_fail(err, -ENOMEM, "--xlsx-output %s: out of memory", path);
    }
    int rc = mlps_write_file_atomic(path, text, len, err);
    free(text);
    return rc;
}
