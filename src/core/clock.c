/* Clock helpers; see clock.h. */
#include "core/clock.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

static uint64_t read_clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * MLPS_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t mlps_monotonic_ns(void) { return read_clock_ns(CLOCK_MONOTONIC); }
uint64_t mlps_wall_ns(void) { return read_clock_ns(CLOCK_REALTIME); }
double mlps_ns_to_seconds(uint64_t ns) { return (double)ns / 1e9; }

uint64_t mlps_seconds_to_ns(double seconds)
{
    return seconds <= 0 ? 0 : (uint64_t)(seconds * 1e9 + 0.5);
}

void mlps_sleep_until_ns(uint64_t deadline_ns)
{
    struct timespec ts = {
        .tv_sec = (time_t)(deadline_ns / MLPS_NS_PER_SEC),
        .tv_nsec = (long)(deadline_ns % MLPS_NS_PER_SEC),
    };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static void local_tm(uint64_t wall_ns, struct tm *tm)
{
    time_t seconds = (time_t)(wall_ns / MLPS_NS_PER_SEC);
    localtime_r(&seconds, tm);
}

void mlps_format_run_datetime(uint64_t wall_ns, char *out, size_t size)
{
    struct tm tm;
    local_tm(wall_ns, &tm);
    strftime(out, size, "%Y%m%d_%H%M%S", &tm);
}

void mlps_format_iso_local(uint64_t wall_ns, char *out, size_t size)
{
    struct tm tm;
    local_tm(wall_ns, &tm);
    char seconds_part[32];
    strftime(seconds_part, sizeof seconds_part, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%06llu", seconds_part,
             (unsigned long long)((wall_ns % MLPS_NS_PER_SEC) / 1000));
}
