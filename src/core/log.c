/* Console log; see log.h. One mutex keeps lines whole when threads log at once. */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <time.h>

static mlps_log_level current_level = MLPS_LOG_INFO;
static int current_rank;
static FILE *log_copy;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void mlps_log_set_level(mlps_log_level level) { current_level = level; }
mlps_log_level mlps_log_get_level(void) { return current_level; }
void mlps_log_set_rank(int rank) { current_rank = rank; }

void mlps_log_set_copy(FILE *copy)
{
    pthread_mutex_lock(&log_lock);
    log_copy = copy;
    pthread_mutex_unlock(&log_lock);
}

static const char *level_name(mlps_log_level level)
{
    switch (level) {
    case MLPS_LOG_DEBUG: return "DEBUG";
    case MLPS_LOG_VERBOSE: return "VERBOSE";
    case MLPS_LOG_INFO: return "INFO";
    case MLPS_LOG_STATUS: return "STATUS";
    case MLPS_LOG_WARNING: return "WARNING";
    case MLPS_LOG_RESULT: return "RESULT";
    case MLPS_LOG_ERROR: return "ERROR";
    }
    return "LOG";
}

static void write_line(FILE *out, const char *stamp, mlps_log_level level, const char *fmt,
                       va_list ap)
{
    fprintf(out, "%s|%s: ", stamp, level_name(level));
    if (current_rank > 0)
        fprintf(out, "[rank %d] ", current_rank);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    fflush(out);
}

void mlps_log(mlps_log_level level, const char *fmt, ...)
{
    if (level < current_level)
        return;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);

    pthread_mutex_lock(&log_lock);
    va_list ap;
    va_start(ap, fmt);
    write_line(stderr, stamp, level, fmt, ap);
    va_end(ap);
    if (log_copy) {
        va_start(ap, fmt);
        write_line(log_copy, stamp, level, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&log_lock);
}
