/* Reading BurstGPT traces (spec 30 §4.5): --burst-trace-path names one CSV file, a directory
 * (its *.csv, sorted) or a glob; the files are read in order as one pass of rows
 * (Timestamp, Request tokens → context, Response tokens → generation, Total tokens). A row
 * that does not parse (or has negative tokens) is skipped and counted; rows are streamed, so
 * traces of millions of rows cost one line of memory. */
#ifndef MLPS_KVCACHE_BURST_TRACE_H
#define MLPS_KVCACHE_BURST_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

typedef struct mlps_kv_burst_row {
    double timestamp;  /* 0 when the file has no Timestamp column */
    int64_t context_tokens, generate_tokens;
    int64_t total_tokens; /* context + generation when the file has no Total tokens column */
} mlps_kv_burst_row;

typedef struct mlps_kv_burst_columns {
    int timestamp, request, response, total; /* field indexes; -1 when absent */
} mlps_kv_burst_columns;

typedef struct mlps_kv_burst_reader {
    char **files;
    size_t file_count, file_index;
    FILE *file;
    mlps_kv_burst_columns columns;
    char *line;
    size_t line_capacity;
    uint64_t rows_read, rows_skipped; /* data rows seen and rejected since opening */
} mlps_kv_burst_reader;

/* The sorted CSV files the path names; a missing path or an empty match is a usage error. */
int mlps_kv_burst_files_resolve(const char *path, char ***files, size_t *count, mlps_error *err);
void mlps_kv_burst_files_free(char **files, size_t count);

/* Takes ownership of files. Checks every file's header (a file without the 'Request tokens'
 * and 'Response tokens' columns is a usage error naming it) and starts the first pass. */
int mlps_kv_burst_reader_open(mlps_kv_burst_reader *r, char **files, size_t count,
                              mlps_error *err);
/* 1 with *row set, 0 at the end of the pass, or a negative error. */
int mlps_kv_burst_reader_next(mlps_kv_burst_reader *r, mlps_kv_burst_row *row, mlps_error *err);
/* Starts the next pass at the first file. */
int mlps_kv_burst_reader_rewind(mlps_kv_burst_reader *r, mlps_error *err);
void mlps_kv_burst_reader_close(mlps_kv_burst_reader *r);

#endif
