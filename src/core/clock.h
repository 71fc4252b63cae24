/* Clocks: durations from CLOCK_MONOTONIC, timestamps for output from the wall clock, and
 * sleeping to an absolute deadline so that emulated compute does not drift. */
#ifndef MLPS_CORE_CLOCK_H
#define MLPS_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define MLPS_NS_PER_SEC 1000000000ull

uint64_t mlps_monotonic_ns(void);
uint64_t mlps_wall_ns(void);
double mlps_ns_to_seconds(uint64_t ns);
uint64_t mlps_seconds_to_ns(double seconds);

/* Sleeps until the monotonic clock reads deadline_ns (restarts on signals). */
void mlps_sleep_until_ns(uint64_t deadline_ns);

/* Formats wall-clock ns as local "YYYYMMDD_HHMMSS" (the results tree's run name). */
void mlps_format_run_datetime(uint64_t wall_ns, char *out, size_t size);
/* Formats wall-clock ns as "YYYY-MM-DDTHH:MM:SS.ffffff" local time (DLIO's start/end keys). */
void mlps_format_iso_local(uint64_t wall_ns, char *out, size_t size);

#endif
