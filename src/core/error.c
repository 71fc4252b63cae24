/* Error records: formatting of the one-line messages described in error.h. */
#include "core/error.h"

#include <stdio.h>
#include <string.h>

int mlps_fail_v(mlps_error *err, int code, int exit_status, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        err->exit_status = exit_status;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    }
    return code;
}

int mlps_fail(mlps_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mlps_fail_v(err, code, MLPS_EXIT_RUN_FAILED, fmt, ap);
    va_end(ap);
    return code;
}

int mlps_fail_usage(mlps_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mlps_fail_v(err, code, MLPS_EXIT_USAGE, fmt, ap);
    va_end(ap);
    return code;
}

void mlps_error_prefix(mlps_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char joined[MLPS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int prefix_len = vsnprintf(joined, sizeof joined, fmt, ap);
    va_end(ap);
    if (prefix_len < 0 || (size_t)prefix_len >= sizeof joined)
        return;
    size_t room = sizeof joined - (size_t)prefix_len;
    size_t message_len = strnlen(err->message, room - 1);
    memcpy(joined + prefix_len, err->message, message_len);
    joined[(size_t)prefix_len + message_len] = '\0';
    memcpy(err->message, joined, sizeof joined);
}

void mlps_error_clear(mlps_error *err)
{
    if (err) {
        err->code = 0;
        err->exit_status = MLPS_EXIT_OK;
        err->message[0] = '\0';
    }
}
