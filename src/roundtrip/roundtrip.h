/* The storage round trip: every rank writes one file of seeded incompressible data through the
 * storage layer at a queue depth, makes it durable, drops it from the page cache, reads it back
 * and compares every byte. It proves a build and a storage target end to end, and reports write
 * and read throughput (the slowest rank's time counts) with per-request latency histograms. */
#ifndef MLPS_ROUNDTRIP_ROUNDTRIP_H
#define MLPS_ROUNDTRIP_ROUNDTRIP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/comm.h"
#include "core/hist.h"

#define MLPS_ROUNDTRIP_ENGINE_NAME_MAX 16

typedef struct mlps_roundtrip_options {
    const char *uri;       /* the directory the files go to: file://, direct://, null:// or a path */
    const char *file_tag;  /* names this run's files: roundtrip_<tag>_rank<r>.dat */
    uint64_t file_size;    /* per rank */
    uint64_t block_size;
    unsigned iodepth;
    uint64_t seed;
    bool verify;
    bool keep_files;
} mlps_roundtrip_options;

typedef struct mlps_roundtrip_phase {
    uint64_t bytes;          /* all ranks */
    double seconds;          /* the slowest rank, from the first request to the durable close */
    double fastest_seconds;  /* the fastest rank */
    mlps_hist latency_ns;    /* every request of every rank */
} mlps_roundtrip_phase;

typedef struct mlps_roundtrip_result {
    mlps_roundtrip_phase write;
    mlps_roundtrip_phase read;
    uint64_t verified_bytes; /* all ranks; 0 when verification is off or the store moves no bytes */
    char engine[MLPS_ROUNDTRIP_ENGINE_NAME_MAX]; /* "io_uring" or "sync" */
} mlps_roundtrip_result;

/* Checks the options against the store (its URI, the alignment it needs) before anything is
 * written; usage errors name the flag. Opening the store creates nothing. */
int mlps_roundtrip_validate(const mlps_roundtrip_options *opts, mlps_error *err);

/* Collective. Every rank returns the same status and error (the first failing rank's); on
 * failure no file is left behind. */
int mlps_roundtrip_run(const mlps_comm *comm, const mlps_roundtrip_options *opts,
                       mlps_roundtrip_result *result, mlps_error *err);

/* summary.json: the options, then per phase bytes, seconds, GiB/s, MB/s and latency in ms. */
json_t *mlps_roundtrip_summary_json(const mlps_comm *comm, const mlps_roundtrip_options *opts,
                                    const mlps_roundtrip_result *result);

#endif
