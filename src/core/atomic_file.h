/* Writing result files so that readers see either the old content or the complete new one,
 * never a truncated file: the data goes to "<path>.tmp.<tid>" in the same directory, is
 * flushed to the device, renamed over path, and the directory entry is flushed too. A crash
 * at any point leaves at most a stray temporary file, never a half-written JSON. */
#ifndef MLPS_CORE_ATOMIC_FILE_H
#define MLPS_CORE_ATOMIC_FILE_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

/* Replaces path with len bytes of data (mode 0644). The temporary name carries the calling
 * thread's id (the process id on the main thread), so threads may write different files at
 * once; two threads writing the same path at once are not supported. On failure the
 * temporary file is removed and the message names path. */
int mlps_write_file_atomic(const char *path, const void *data, size_t len, mlps_error *err);

/* Serialises json with 4-space indentation and a final newline, keys in insertion order,
 * reals with 16 significant digits, and writes it with mlps_write_file_atomic. */
int mlps_write_json_atomic(const char *path, const json_t *json, mlps_error *err);

#endif
