/* Parsers for the /proc and /etc files that describe a host: memory, CPUs, block device
 * counters, load and OS release. Each parser takes the file's text, so tests feed fixed
 * samples; each mlps_read_* wrapper reads the live file and parses it. */
#ifndef MLPS_CORE_PROCFS_H
#define MLPS_CORE_PROCFS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* /proc/meminfo in bytes (the file's kB are KiB). used is MemTotal - MemFree - Buffers -
 * Cached, floored at 0; shared is Shmem. Fields absent from the text are 0. */
typedef struct mlps_meminfo {
    uint64_t total;
    uint64_t available;
    uint64_t used;
    uint64_t free;
    uint64_t active;
    uint64_t inactive;
    uint64_t buffers;
    uint64_t cached;
    uint64_t shared;
} mlps_meminfo;

/* Fails when MemTotal is missing (not a meminfo text). */
int mlps_parse_meminfo(const char *text, mlps_meminfo *out, mlps_error *err);
int mlps_read_meminfo(mlps_meminfo *out, mlps_error *err);

typedef struct mlps_cpuinfo {
    /* Distinct (physical id, core id) pairs; the logical count when the text has no such
     * fields (virtual machines, non-x86). */
    uint32_t num_cores;
    uint32_t num_logical_cores; /* "processor" entries */
    char model[256];            /* "model name" of the first processor, "" if absent */
    /* "x86_64" when the first processor's flags include "lm" (long mode), else machine. */
    char architecture[64];
} mlps_cpuinfo;

/* machine is the fallback architecture (uname's machine field); may be NULL. Fails when the
 * text lists no processor. */
int mlps_parse_cpuinfo(const char *text, const char *machine, mlps_cpuinfo *out,
                       mlps_error *err);
int mlps_read_cpuinfo(mlps_cpuinfo *out, mlps_error *err);

/* One /proc/diskstats row. Rows have 14 columns (up to the weighted I/O time), 18 (adding
 * discards) or 20 (adding flushes); num_columns says which fields are meaningful. */
typedef struct mlps_diskstat {
    uint32_t major;
    uint32_t minor;
    char device_name[64];
    uint64_t reads_completed;
    uint64_t reads_merged;
    uint64_t sectors_read;
    uint64_t time_reading_ms;
    uint64_t writes_completed;
    uint64_t writes_merged;
    uint64_t sectors_written;
    uint64_t time_writing_ms;
    uint64_t ios_in_progress;
    uint64_t time_doing_ios_ms;
    uint64_t weighted_time_doing_ios_ms;
    uint64_t discards_completed;
    uint64_t discards_merged;
    uint64_t sectors_discarded;
    uint64_t time_discarding_ms;
    uint64_t flush_requests_completed;
    uint64_t time_flushing_ms;
    uint32_t num_columns;
} mlps_diskstat;

/* Rows with another column count or a non-numeric counter are skipped. *rows is malloc'd
 * (free it) and may be NULL when *count is 0. */
int mlps_parse_diskstats(const char *text, mlps_diskstat **rows, size_t *count,
                         mlps_error *err);
int mlps_read_diskstats(mlps_diskstat **rows, size_t *count, mlps_error *err);
/* The row as an object with the reference collector's key names; the discard and flush
 * keys appear only when the row has them. */
json_t *mlps_diskstat_json(const mlps_diskstat *row);

/* /proc/loadavg: "0.50 0.40 0.30 2/345 6789". */
typedef struct mlps_loadavg {
    double load_1min;
    double load_5min;
    double load_15min;
    uint64_t running_processes;
    uint64_t total_processes;
    uint64_t last_pid;
} mlps_loadavg;

int mlps_parse_loadavg(const char *text, mlps_loadavg *out, mlps_error *err);
int mlps_read_loadavg(mlps_loadavg *out, mlps_error *err);
json_t *mlps_loadavg_json(const mlps_loadavg *load);

/* os-release KEY=value lines as an object of strings, surrounding quotes removed and
 * comments skipped. Never NULL except when out of memory. */
json_t *mlps_parse_os_release(const char *text);
/* /etc/os-release, else /usr/lib/os-release (the standard's fallback). */
int mlps_read_os_release(json_t **out, mlps_error *err);

#endif
