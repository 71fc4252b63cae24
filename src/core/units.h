/* Byte sizes and rates as people type and read them: "1M", "256KiB", "2GB" in, "1.50 GiB" out. */
#ifndef MLPS_CORE_UNITS_H
#define MLPS_CORE_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define MLPS_KiB 1024ull
#define MLPS_MiB (1024ull * 1024ull)
#define MLPS_GiB (1024ull * 1024ull * 1024ull)

/* Parses a byte count: a plain integer, or one with a suffix. K, M, G, T, P and KiB .. PiB are powers
 * of 1024 (as in fio); KB, MB, GB, TB, PB are powers of 1000. Case-insensitive; "B" alone is bytes.
 * `what` names the flag or key for the error message. */
int mlps_parse_bytes(const char *text, const char *what, uint64_t *out, mlps_error *err);

/* "1.50 GiB", "512.00 KiB", "17 B". */
void mlps_format_bytes(uint64_t bytes, char *out, size_t size);
/* "1.50 GiB/s". */
void mlps_format_rate(double bytes_per_second, char *out, size_t size);
/* "1:02:03" or "2:03". */
void mlps_format_duration(double seconds, char *out, size_t size);

#endif
