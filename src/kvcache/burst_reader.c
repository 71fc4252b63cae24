/* Streaming the rows of BurstGPT CSV files (see burst_trace.h). Fields follow RFC 4180 quoting
 * on one line; a value parses as Python's float() / int() would take it (surrounding blanks
 * allowed, nothing trailing). Blank lines are not rows, as for Python's csv module. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kvcache/burst_trace.h"

#define MAX_FIELDS 64

static const char *const expected_header =
    "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type";

static void strip_line_end(char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
}

/* Splits line in place into at most MAX_FIELDS fields, undoing quotes; returns the count, or
 * -1 when a quote is left open. */
static int split_fields(char *line, char **fields)
{
    int count = 0;
    char *in = line;
    for (;;) {
        char *out = in, *start = in;
        if (*in == '"') {
            in++;
            for (;;) {
                if (*in == '\0')
                    return -1;
                if (*in == '"' && in[1] == '"')
                    *out++ = '"', in += 2;
                else if (*in == '"')
                    break;
                else
                    *out++ = *in++;
            }
            in++;
            while (*in && *in != ',')
                *out++ = *in++;
        } else {
            while (*in && *in != ',')
                in++;
            out = in;
        }
        char separator = *in;
        *out = '\0';
        if (count < MAX_FIELDS)
            fields[count++] = start;
        if (separator != ',')
            return count;
        in++;
    }
}

static bool is_blank(const char *s)
{
    return s[strspn(s, " \t")] == '\0';
}

static bool parse_double(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno == ERANGE || !is_blank(end) || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_int(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || errno == ERANGE || !is_blank(end))
        return false;
    *out = v;
    return true;
}

static int column_of(char **fields, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(fields[i], name) == 0)
            return i;
    return -1;
}

/* Reads the header of the file just opened into r->columns. */
static int read_header(mlps_kv_burst_reader *r, const char *path, mlps_error *err)
{
    if (getline(&r->line, &r->line_capacity, r->file) < 0)
        return mlps_fail_usage(err, -EINVAL, "--burst-trace-path %s: empty file; expected the "
                               "header %s", path, expected_header);
    strip_line_end(r->line);
    char *header = r->line;
    if (strncmp(header, "\xEF\xBB\xBF", 3) == 0)
        header += 3;
    char *fields[MAX_FIELDS];
    int count = split_fields(header, fields);
    if (count < 0)
        count = 0;
    r->columns = (mlps_kv_burst_columns){
        .timestamp = column_of(fields, count, "Timestamp"),
        .request = column_of(fields, count, "Request tokens"),
        .response = column_of(fields, count, "Response tokens"),
        .total = column_of(fields, count, "Total tokens"),
    };
    if (r->columns.request < 0 || r->columns.response < 0)
        return mlps_fail_usage(err, -EINVAL,
                               "--burst-trace-path %s: the header has no '%s' column; expected %s",
                               path, r->columns.request < 0 ? "Request tokens" : "Response tokens",
                               expected_header);
    return 0;
}

static int open_file(mlps_kv_burst_reader *r, size_t index, mlps_error *err)
{
    if (r->file)
        fclose(r->file);
    r->file_index = index;
    r->file = fopen(r->files[index], "r");
    if (!r->file)
        return mlps_fail_usage(err, -errno, "--burst-trace-path %s: cannot open: %s",
                               r->files[index], strerror(errno));
    return read_header(r, r->files[index], err);
}

/* The row's values, or false for a row the reference would skip (or one with negative
 * tokens, which no cache can hold). */
static bool parse_row(const mlps_kv_burst_columns *c, char **fields, int count,
                      mlps_kv_burst_row *row)
{
    if (count <= c->request || count <= c->response || count <= c->timestamp ||
        count <= c->total)
        return false;
    row->timestamp = 0;
    if (c->timestamp >= 0 && !parse_double(fields[c->timestamp], &row->timestamp))
        return false;
    if (!parse_int(fields[c->request], &row->context_tokens) ||
        !parse_int(fields[c->response], &row->generate_tokens))
        return false;
    row->total_tokens = row->context_tokens + row->generate_tokens;
    if (c->total >= 0 && !parse_int(fields[c->total], &row->total_tokens))
        return false;
    return row->context_tokens >= 0 && row->generate_tokens >= 0;
}

int mlps_kv_burst_reader_next(mlps_kv_burst_reader *r, mlps_kv_burst_row *row, mlps_error *err)
{
    char *fields[MAX_FIELDS];
    for (;;) {
        if (getline(&r->line, &r->line_capacity, r->file) < 0) {
            if (r->file_index + 1 >= r->file_count)
                return 0;
            int rc = open_file(r, r->file_index + 1, err);
            if (rc != 0)
                return rc;
            continue;
        }
        strip_line_end(r->line);
        if (r->line[0] == '\0')
            continue;
        r->rows_read++;
        int count = split_fields(r->line, fields);
        if (count > 0 && parse_row(&r->columns, fields, count, row))
            return 1;
        r->rows_skipped++;
    }
}

int mlps_kv_burst_reader_rewind(mlps_kv_burst_reader *r, mlps_error *err)
{
    return open_file(r, 0, err);
}

int mlps_kv_burst_reader_open(mlps_kv_burst_reader *r, char **files, size_t count,
                              mlps_error *err)
{
    memset(r, 0, sizeof *r);
    r->files = files;
    r->file_count = count;
    /* Every header is checked now, so a bad file fails the start, not the middle of a run;
     * going backwards leaves the first file open for the first pass. */
    for (size_t i = count; i-- > 0;) {
        int rc = open_file(r, i, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void mlps_kv_burst_reader_close(mlps_kv_burst_reader *r)
{
    if (r->file)
        fclose(r->file);
    free(r->line);
    mlps_kv_burst_files_free(r->files, r->file_count);
    memset(r, 0, sizeof *r);
}
