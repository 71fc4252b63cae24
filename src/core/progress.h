/* Progress of long work: a live status line (done/total, rate, ETA) redrawn in place when stderr is a
 * terminal, or a plain log line every few seconds when it is not (CI logs, files). Worker threads add
 * to an atomic counter; any thread may call mlps_progress_tick, and at most one prints at a time. */
#ifndef MLPS_CORE_PROGRESS_H
#define MLPS_CORE_PROGRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum mlps_progress_unit {
    MLPS_PROGRESS_BYTES, /* totals and rates printed as GiB and GiB/s */
    MLPS_PROGRESS_ITEMS, /* printed as counts and items/s, with the item name */
} mlps_progress_unit;

typedef struct mlps_progress {
    char label[64];
    const char *item_name; /* "files", "steps" ... for MLPS_PROGRESS_ITEMS */
    mlps_progress_unit unit;
    uint64_t total; /* 0 = unknown: no percentage or ETA */
    atomic_uint_least64_t done;
    atomic_uint_least64_t last_print_ns;
    uint64_t start_ns;
    uint64_t interval_ns;
    bool live;     /* redraw one line in place (terminal) */
    bool enabled;  /* false on ranks other than 0, or when quiet */
    FILE *out;
    /* Optional: appends a caller's details ("AU 95.1%, waiting 4%") to every line. */
    void (*detail)(void *ctx, char *out, size_t size);
    void *detail_ctx;
} mlps_progress;

/* live: < 0 decides from isatty(stderr). Interval: 0.25 s live, else 10 s (MLPS_PROGRESS_INTERVAL
 * seconds in the environment overrides the plain-log interval). */
void mlps_progress_start(mlps_progress *p, const char *label, mlps_progress_unit unit,
                         const char *item_name, uint64_t total, bool enabled, int live);
void mlps_progress_add(mlps_progress *p, uint64_t amount);
/* Prints when the interval has passed since the last print. */
void mlps_progress_tick(mlps_progress *p);
/* Prints the final line (and ends the live line). */
void mlps_progress_finish(mlps_progress *p);

/* The text of the status line, for tests and for callers that print it elsewhere. */
void mlps_progress_format(const mlps_progress *p, uint64_t now_ns, char *out, size_t size);

#endif
