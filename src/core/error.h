/* Error reporting shared by every layer: a function that can fail returns 0 or a negative
 * errno-style code and, when given an mlps_error, writes one line that names what was wrong
 * (the flag, key, file or URI) and what would be valid. The exit status it maps to travels
 * with it: 2 for usage and configuration errors, 1 for a run that failed. */
#ifndef MLPS_CORE_ERROR_H
#define MLPS_CORE_ERROR_H

#include <stdarg.h>

enum mlps_exit_status {
    MLPS_EXIT_OK = 0,
    MLPS_EXIT_RUN_FAILED = 1,
    MLPS_EXIT_USAGE = 2,
};

#define MLPS_ERROR_MESSAGE_MAX 1024

typedef struct mlps_error {
    int code;        /* negative errno-style code, 0 when no error */
    int exit_status; /* enum mlps_exit_status */
    char message[MLPS_ERROR_MESSAGE_MAX];
} mlps_error;

/* Records a run failure (exit 1) and returns code, so callers can write
 * `return mlps_fail(err, -ENOENT, "cannot open %s: ...", path);`. err may be NULL. */
int mlps_fail(mlps_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records a usage or configuration error (exit 2) and returns code. err may be NULL. */
int mlps_fail_usage(mlps_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int mlps_fail_v(mlps_error *err, int code, int exit_status, const char *fmt, va_list ap);

/* Prepends context ("while writing summary.json: ") to an existing message. */
void mlps_error_prefix(mlps_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void mlps_error_clear(mlps_error *err);

#endif
