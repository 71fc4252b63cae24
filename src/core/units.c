/* Parsing and formatting of byte counts, rates and durations; see units.h. */
#include "core/units.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct size_suffix {
    const char *name;
    uint64_t multiplier;
};

static const struct size_suffix size_suffixes[] = {
    {"", 1},
    {"b", 1},
    {"k", 1ull << 10}, {"kib", 1ull << 10}, {"kb", 1000ull},
    {"m", 1ull << 20}, {"mib", 1ull << 20}, {"mb", 1000000ull},
    {"g", 1ull << 30}, {"gib", 1ull << 30}, {"gb", 1000000000ull},
    {"t", 1ull << 40}, {"tib", 1ull << 40}, {"tb", 1000000000000ull},
    {"p", 1ull << 50}, {"pib", 1ull << 50}, {"pb", 1000000000000000ull},
};

int mlps_parse_bytes(const char *text, const char *what, uint64_t *out, mlps_error *err)
{
    const char *p = text;
    if (!p || !isdigit((unsigned char)*p))
        goto bad;
    errno = 0;
    char *end;
    unsigned long long number = strtoull(p, &end, 10);
    if (errno == ERANGE)
        goto bad;
    for (size_t i = 0; i < sizeof size_suffixes / sizeof size_suffixes[0]; i++) {
        if (strcasecmp(end, size_suffixes[i].name) != 0)
            continue;
        uint64_t multiplier = size_suffixes[i].multiplier;
        if (number > UINT64_MAX / multiplier)
            goto bad;
        *out = number * multiplier;
        return 0;
    }
bad:
    return mlps_fail_usage(err, -EINVAL,
                           "%s: '%s' is not a byte count; expected an integer with an optional "
                           "suffix K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)",
                           what, text ? text : "");
}

void mlps_format_bytes(uint64_t bytes, char *out, size_t size)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
        snprintf(out, size, "%llu B", (unsigned long long)bytes);
        return;
    }
    double value = (double)bytes / 1024.0;
    size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < sizeof units / sizeof units[0]) {
        value /= 1024.0;
        unit++;
    }
    snprintf(out, size, "%.2f %s", value, units[unit]);
}

void mlps_format_rate(double bytes_per_second, char *out, size_t size)
{
    char bytes[32];
    mlps_format_bytes(bytes_per_second > 0 ? (uint64_t)bytes_per_second : 0, bytes, sizeof bytes);
    snprintf(out, size, "%s/s", bytes);
}

void mlps_format_duration(double seconds, char *out, size_t size)
{
    if (seconds < 0 || seconds > 1e9)
        seconds = 0;
    unsigned long long total = (unsigned long long)(seconds + 0.5);
    unsigned long long hours = total / 3600, minutes = (total / 60) % 60, secs = total % 60;
    if (hours)
        snprintf(out, size, "%llu:%02llu:%02llu", hours, minutes, secs);
    else
        snprintf(out, size, "%llu:%02llu", minutes, secs);
}
