/* Console log: "YYYY-MM-DD HH:MM:SS|LEVEL: message" lines on stderr (the reference's format),
 * optionally copied to a run's log file. The level and the copy are process-wide settings,
 * made once at start-up; logging itself is thread-safe. */
#ifndef MLPS_CORE_LOG_H
#define MLPS_CORE_LOG_H

#include <stdio.h>

typedef enum mlps_log_level {
    MLPS_LOG_DEBUG = 10,
    MLPS_LOG_VERBOSE = 19,
    MLPS_LOG_INFO = 20,
    MLPS_LOG_STATUS = 25,
    MLPS_LOG_WARNING = 30,
    MLPS_LOG_RESULT = 35,
    MLPS_LOG_ERROR = 40,
} mlps_log_level;

void mlps_log_set_level(mlps_log_level level);
mlps_log_level mlps_log_get_level(void);
/* Lines from ranks other than 0 carry "[rank N] "; set once after MPI starts. */
void mlps_log_set_rank(int rank);
/* Every line is also appended to copy (NULL stops copying). The caller owns the FILE. */
void mlps_log_set_copy(FILE *copy);

void mlps_log(mlps_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define mlps_debug(...) mlps_log(MLPS_LOG_DEBUG, __VA_ARGS__)
#define mlps_verbose(...) mlps_log(MLPS_LOG_VERBOSE, __VA_ARGS__)
#define mlps_info(...) mlps_log(MLPS_LOG_INFO, __VA_ARGS__)
#define mlps_status(...) mlps_log(MLPS_LOG_STATUS, __VA_ARGS__)
#define mlps_warn(...) mlps_log(MLPS_LOG_WARNING, __VA_ARGS__)
#define mlps_result(...) mlps_log(MLPS_LOG_RESULT, __VA_ARGS__)
#define mlps_error_log(...) mlps_log(MLPS_LOG_ERROR, __VA_ARGS__)

#endif
