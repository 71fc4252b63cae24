/* Host description parsers; see procfs.h. */
#include "core/procfs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "core/text_scan.h"

/* ---- meminfo ---- */

typedef struct meminfo_field {
    const char *key;
    size_t offset;
} meminfo_field;

static const meminfo_field meminfo_fields[] = {
    {"MemTotal", offsetof(mlps_meminfo, total)},
    {"MemAvailable", offsetof(mlps_meminfo, available)},
    {"MemFree", offsetof(mlps_meminfo, free)},
    {"Active", offsetof(mlps_meminfo, active)},
    {"Inactive", offsetof(mlps_meminfo, inactive)},
    {"Buffers", offsetof(mlps_meminfo, buffers)},
    {"Cached", offsetof(mlps_meminfo, cached)},
    {"Shmem", offsetof(mlps_meminfo, shared)},
};

/* "12345 kB" is KiB; a value without a unit (HugePages_Total) is a plain count. */
static bool meminfo_value_bytes(mlps_span value, uint64_t *bytes)
{
    mlps_span parts[2];
    size_t n = mlps_split_fields(value, parts, 2);
    uint64_t number;
    if (n < 1 || n > 2 || !mlps_span_to_u64(parts[0], &number))
        return false;
    *bytes = n == 2 && mlps_span_equals(parts[1], "kB") ? number * 1024 : number;
    return true;
}

int mlps_parse_meminfo(const char *text, mlps_meminfo *out, mlps_error *err)
{
    memset(out, 0, sizeof *out);
    bool have_total = false;
    mlps_span line, key, value;
    const char *cursor = text;
    while (mlps_next_line(&cursor, &line)) {
        if (!mlps_split_key_value(line, ':', &key, &value))
            continue;
        for (size_t i = 0; i < sizeof meminfo_fields / sizeof meminfo_fields[0]; i++) {
            uint64_t bytes;
            if (mlps_span_equals(key, meminfo_fields[i].key) && meminfo_value_bytes(value, &bytes)) {
                *(uint64_t *)((char *)out + meminfo_fields[i].offset) = bytes;
                have_total |= i == 0;
            }
        }
    }
    if (!have_total)
        return mlps_fail(err, -EINVAL, "meminfo text has no MemTotal line");
    uint64_t accounted = out->free + out->buffers + out->cached;
    out->used = out->total > accounted ? out->total - accounted : 0;
    return 0;
}

/* Reads path and hands its text to a parser; the parser's message gets the path. */
#define READ_AND_PARSE(path, err, parse_call)                                                  \
    do {                                                                                       \
        char *text;                                                                            \
        int rc_ = mlps_read_text_file(path, &text, NULL, err);                                 \
        if (rc_ != 0)                                                                          \
            return rc_;                                                                        \
        rc_ = parse_call;                                                                      \
        free(text);                                                                            \
        if (rc_ != 0)                                                                          \
            mlps_error_prefix(err, "%s: ", path);                                              \
        return rc_;                                                                            \
    } while (0)

int mlps_read_meminfo(mlps_meminfo *out, mlps_error *err)
{
    READ_AND_PARSE("/proc/meminfo", err, mlps_parse_meminfo(text, out, err));
}

/* ---- cpuinfo ---- */

typedef struct core_id {
    uint64_t physical_id;
    uint64_t core_id;
} core_id;

typedef struct cpu_scan {
    core_id *cores;
    size_t distinct_cores;
    size_t capacity;
    uint32_t logical;
    bool have_physical, have_core;
    uint64_t physical_id, core_id_value;
    bool first_flags_seen;
    bool long_mode;
} cpu_scan;

static int remember_core(cpu_scan *scan)
{
    if (!scan->have_physical || !scan->have_core)
        return 0;
    for (size_t i = 0; i < scan->distinct_cores; i++)
        if (scan->cores[i].physical_id == scan->physical_id &&
            scan->cores[i].core_id == scan->core_id_value)
            return 0;
    if (scan->distinct_cores == scan->capacity) {
        size_t capacity = scan->capacity ? scan->capacity * 2 : 64;
        core_id *grown = realloc(scan->cores, capacity * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        scan->cores = grown;
        scan->capacity = capacity;
    }
    scan->cores[scan->distinct_cores++] = (core_id){scan->physical_id, scan->core_id_value};
    return 0;
}

/* A processor's block ends at a blank line or where the next "processor" begins. */
static int end_processor_block(cpu_scan *scan)
{
    int rc = remember_core(scan);
    scan->have_physical = scan->have_core = false;
    return rc;
}

static bool flags_have_long_mode(mlps_span flags)
{
    mlps_span token[1];
    while (flags.len > 0) {
        if (mlps_split_fields(flags, token, 1) == 0)
            return false;
        if (mlps_span_equals(token[0], "lm"))
            return true;
        size_t consumed = (size_t)(token[0].start + token[0].len - flags.start);
        flags.start += consumed;
        flags.len -= consumed;
    }
    return false;
}

static int scan_cpuinfo_line(cpu_scan *scan, mlps_span key, mlps_span value, mlps_cpuinfo *out)
{
    int rc = 0;
    if (mlps_span_equals(key, "processor")) {
        rc = end_processor_block(scan);
        scan->logical++;
    } else if (mlps_span_equals(key, "physical id")) {
        scan->have_physical = mlps_span_to_u64(value, &scan->physical_id);
    } else if (mlps_span_equals(key, "core id")) {
        scan->have_core = mlps_span_to_u64(value, &scan->core_id_value);
    } else if (mlps_span_equals(key, "model name") && out->model[0] == '\0') {
        mlps_span_copy(value, out->model, sizeof out->model);
    } else if (mlps_span_equals(key, "flags") && !scan->first_flags_seen) {
        scan->first_flags_seen = true;
        scan->long_mode = flags_have_long_mode(value);
    }
    return rc;
}

int mlps_parse_cpuinfo(const char *text, const char *machine, mlps_cpuinfo *out,
                       mlps_error *err)
{
    memset(out, 0, sizeof *out);
    cpu_scan scan = {0};
    int rc = 0;
    mlps_span line, key, value;
    const char *cursor = text;
    while (rc == 0 && mlps_next_line(&cursor, &line)) {
        if (mlps_span_trim(line).len == 0)
            rc = end_processor_block(&scan);
        else if (mlps_split_key_value(line, ':', &key, &value))
            rc = scan_cpuinfo_line(&scan, key, value, out);
    }
    if (rc == 0)
        rc = end_processor_block(&scan);
    free(scan.cores);
    if (rc != 0)
        return mlps_fail(err, rc, "cpuinfo: out of memory");
    if (scan.logical == 0)
        return mlps_fail(err, -EINVAL, "cpuinfo text lists no processor");
    out->num_logical_cores = scan.logical;
    out->num_cores = scan.distinct_cores ? (uint32_t)scan.distinct_cores : scan.logical;
    snprintf(out->architecture, sizeof out->architecture, "%s",
             scan.long_mode ? "x86_64" : (machine ? machine : ""));
    return 0;
}

static int parse_cpuinfo_with_uname(const char *text, mlps_cpuinfo *out, mlps_error *err)
{
    struct utsname names;
    const char *machine = uname(&names) == 0 ? names.machine : NULL;
    return mlps_parse_cpuinfo(text, machine, out, err);
}

int mlps_read_cpuinfo(mlps_cpuinfo *out, mlps_error *err)
{
    READ_AND_PARSE("/proc/cpuinfo", err, parse_cpuinfo_with_uname(text, out, err));
}

/* ---- diskstats ---- */

#define DISKSTATS_MAX_COLUMNS 20

/* Where columns 4 to 20 go, in the kernel's order (Documentation/admin-guide/iostats). */
static const size_t diskstat_counter_offsets[DISKSTATS_MAX_COLUMNS - 3] = {
    offsetof(mlps_diskstat, reads_completed),
    offsetof(mlps_diskstat, reads_merged),
    offsetof(mlps_diskstat, sectors_read),
    offsetof(mlps_diskstat, time_reading_ms),
    offsetof(mlps_diskstat, writes_completed),
    offsetof(mlps_diskstat, writes_merged),
    offsetof(mlps_diskstat, sectors_written),
    offsetof(mlps_diskstat, time_writing_ms),
    offsetof(mlps_diskstat, ios_in_progress),
    offsetof(mlps_diskstat, time_doing_ios_ms),
    offsetof(mlps_diskstat, weighted_time_doing_ios_ms),
    offsetof(mlps_diskstat, discards_completed),
    offsetof(mlps_diskstat, discards_merged),
    offsetof(mlps_diskstat, sectors_discarded),
    offsetof(mlps_diskstat, time_discarding_ms),
    offsetof(mlps_diskstat, flush_requests_completed),
    offsetof(mlps_diskstat, time_flushing_ms),
};

static bool parse_diskstat_row(mlps_span line, mlps_diskstat *row)
{
    mlps_span fields[DISKSTATS_MAX_COLUMNS];
    size_t n = mlps_split_fields(line, fields, DISKSTATS_MAX_COLUMNS);
    if (n != 14 && n != 18 && n != 20)
        return false;
    uint64_t values[DISKSTATS_MAX_COLUMNS] = {0};
    for (size_t i = 0; i < n; i++)
        if (i != 2 && !mlps_span_to_u64(fields[i], &values[i]))
            return false;
    if (values[0] > UINT32_MAX || values[1] > UINT32_MAX)
        return false;
    memset(row, 0, sizeof *row);
    row->major = (uint32_t)values[0];
    row->minor = (uint32_t)values[1];
    mlps_span_copy(fields[2], row->device_name, sizeof row->device_name);
    for (size_t i = 3; i < n; i++)
        *(uint64_t *)((char *)row + diskstat_counter_offsets[i - 3]) = values[i];
    row->num_columns = (uint32_t)n;
    return true;
}

int mlps_parse_diskstats(const char *text, mlps_diskstat **rows, size_t *count,
                         mlps_error *err)
{
    *rows = NULL;
    *count = 0;
    size_t capacity = 0;
    mlps_span line;
    const char *cursor = text;
    while (mlps_next_line(&cursor, &line)) {
        mlps_diskstat row;
        if (!parse_diskstat_row(line, &row))
            continue;
        if (*count == capacity) {
            capacity = capacity ? capacity * 2 : 32;
            mlps_diskstat *grown = realloc(*rows, capacity * sizeof *grown);
            if (!grown) {
                free(*rows);
                *rows = NULL;
                *count = 0;
                return mlps_fail(err, -ENOMEM, "diskstats: out of memory");
            }
            *rows = grown;
        }
        (*rows)[(*count)++] = row;
    }
    return 0;
}

int mlps_read_diskstats(mlps_diskstat **rows, size_t *count, mlps_error *err)
{
    READ_AND_PARSE("/proc/diskstats", err, mlps_parse_diskstats(text, rows, count, err));
}

static void set_counter(json_t *object, const char *key, uint64_t value)
{
    json_object_set_new(object, key, json_integer((json_int_t)value));
}

json_t *mlps_diskstat_json(const mlps_diskstat *row)
{
    json_t *object = json_object();
    json_object_set_new(object, "device_name", json_string(row->device_name));
    set_counter(object, "major", row->major);
    set_counter(object, "minor", row->minor);
    set_counter(object, "reads_completed", row->reads_completed);
    set_counter(object, "reads_merged", row->reads_merged);
    set_counter(object, "sectors_read", row->sectors_read);
    set_counter(object, "time_reading_ms", row->time_reading_ms);
    set_counter(object, "writes_completed", row->writes_completed);
    set_counter(object, "writes_merged", row->writes_merged);
    set_counter(object, "sectors_written", row->sectors_written);
    set_counter(object, "time_writing_ms", row->time_writing_ms);
    set_counter(object, "ios_in_progress", row->ios_in_progress);
    set_counter(object, "time_doing_ios_ms", row->time_doing_ios_ms);
    set_counter(object, "weighted_time_doing_ios_ms", row->weighted_time_doing_ios_ms);
    if (row->num_columns >= 18) {
        set_counter(object, "discards_completed", row->discards_completed);
        set_counter(object, "discards_merged", row->discards_merged);
        set_counter(object, "sectors_discarded", row->sectors_discarded);
        set_counter(object, "time_discarding_ms", row->time_discarding_ms);
    }
    if (row->num_columns >= 20) {
        set_counter(object, "flush_requests_completed", row->flush_requests_completed);
        set_counter(object, "time_flushing_ms", row->time_flushing_ms);
    }
    return object;
}

/* ---- loadavg ---- */

int mlps_parse_loadavg(const char *text, mlps_loadavg *out, mlps_error *err)
{
    memset(out, 0, sizeof *out);
    const char *cursor = text;
    mlps_span line, fields[5], running, total;
    bool ok = mlps_next_line(&cursor, &line) && mlps_split_fields(line, fields, 5) == 5 &&
              mlps_span_to_double(fields[0], &out->load_1min) &&
              mlps_span_to_double(fields[1], &out->load_5min) &&
              mlps_span_to_double(fields[2], &out->load_15min) &&
              mlps_split_key_value(fields[3], '/', &running, &total) &&
              mlps_span_to_u64(running, &out->running_processes) &&
              mlps_span_to_u64(total, &out->total_processes) &&
              mlps_span_to_u64(fields[4], &out->last_pid);
    if (!ok)
        return mlps_fail(err, -EINVAL,
                         "loadavg text is not \"<1min> <5min> <15min> <running>/<total> "
                         "<last pid>\"");
    return 0;
}

int mlps_read_loadavg(mlps_loadavg *out, mlps_error *err)
{
    READ_AND_PARSE("/proc/loadavg", err, mlps_parse_loadavg(text, out, err));
}

json_t *mlps_loadavg_json(const mlps_loadavg *load)
{
    return json_pack("{s:f, s:f, s:f, s:I, s:I, s:I}", "load_1min", load->load_1min,
                     "load_5min", load->load_5min, "load_15min", load->load_15min,
                     "running_processes", (json_int_t)load->running_processes,
                     "total_processes", (json_int_t)load->total_processes, "last_pid",
                     (json_int_t)load->last_pid);
}

/* ---- os-release ---- */

/* Removes matching surrounding quotes; inside double quotes a backslash escapes the next
 * character, as the os-release format (a shell-compatible assignment) allows. */
static char *unquote_os_release_value(mlps_span value)
{
    char quote = value.len >= 2 ? value.start[0] : '\0';
    if ((quote != '"' && quote != '\'') || value.start[value.len - 1] != quote)
        return mlps_span_strdup(value);
    char *out = malloc(value.len);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 1; i + 1 < value.len; i++) {
        if (quote == '"' && value.start[i] == '\\' && i + 2 < value.len)
            i++;
        out[n++] = value.start[i];
    }
    out[n] = '\0';
    return out;
}

json_t *mlps_parse_os_release(const char *text)
{
    json_t *object = json_object();
    if (!object)
        return NULL;
    mlps_span line, key, value;
    const char *cursor = text;
    while (mlps_next_line(&cursor, &line)) {
        mlps_span trimmed = mlps_span_trim(line);
        if (trimmed.len == 0 || trimmed.start[0] == '#' ||
            !mlps_split_key_value(trimmed, '=', &key, &value) || key.len == 0)
            continue;
        char *name = mlps_span_strdup(key);
        char *content = unquote_os_release_value(value);
        if (name && content)
            json_object_set_new(object, name, json_string(content));
        free(name);
        free(content);
    }
    return object;
}

int mlps_read_os_release(json_t **out, mlps_error *err)
{
    static const char *const paths[] = {"/etc/os-release", "/usr/lib/os-release"};
    *out = NULL;
    int rc = 0;
    for (size_t i = 0; i < 2; i++) {
        char *text;
        rc = mlps_read_text_file(paths[i], &text, NULL, err);
        if (rc != 0)
            continue;
        *out = mlps_parse_os_release(text);
        free(text);
        return *out ? 0 : mlps_fail(err, -ENOMEM, "%s: out of memory", paths[i]);
    }
    return rc;
}
