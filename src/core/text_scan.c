/* Text scanning helpers; see text_scan.h. */
#include "core/text_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /proc and /etc files are a few hundred KiB at most; a bound keeps a wrong path (a device,
 * a huge log) from eating memory. */
#define TEXT_FILE_MAX_BYTES (64u << 20)

static int read_all(int fd, const char *path, char **out, size_t *len, mlps_error *err)
{
    size_t capacity = 16384, used = 0;
    char *buffer = malloc(capacity);
    if (!buffer)
        return mlps_fail(err, -ENOMEM, "cannot read %s: out of memory", path);
    for (;;) {
        if (capacity - used < 4096) {
            if (capacity >= TEXT_FILE_MAX_BYTES) {
                free(buffer);
                return mlps_fail(err, -EFBIG, "cannot read %s: larger than %u bytes", path,
                                 TEXT_FILE_MAX_BYTES);
            }
            char *grown = realloc(buffer, capacity * 2);
            if (!grown) {
                free(buffer);
                return mlps_fail(err, -ENOMEM, "cannot read %s: out of memory", path);
            }
            buffer = grown;
            capacity *= 2;
        }
        ssize_t got = read(fd, buffer + used, capacity - used - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int saved = errno;
            free(buffer);
            return mlps_fail(err, -saved, "cannot read %s: %s", path, strerror(saved));
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
    buffer[used] = '\0';
    *out = buffer;
    if (len)
        *len = used;
    return 0;
}

int mlps_read_text_file(const char *path, char **out, size_t *len, mlps_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        return mlps_fail(err, -saved, "cannot open %s: %s", path, strerror(saved));
    }
    int rc = read_all(fd, path, out, len, err);
    close(fd);
    return rc;
}

bool mlps_next_line(const char **cursor, mlps_span *line)
{
    const char *start = *cursor;
    if (!start || *start == '\0')
        return false;
    const char *end = strchr(start, '\n');
    if (end) {
        line->len = (size_t)(end - start);
        *cursor = end + 1;
    } else {
        line->len = strlen(start);
        *cursor = start + line->len;
    }
    line->start = start;
    return true;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

size_t mlps_split_fields(mlps_span line, mlps_span *fields, size_t max)
{
    size_t count = 0, i = 0;
    while (i < line.len) {
        while (i < line.len && is_blank(line.start[i]))
            i++;
        if (i == line.len)
            break;
        size_t begin = i;
        while (i < line.len && !is_blank(line.start[i]))
            i++;
        if (count < max)
            fields[count] = (mlps_span){line.start + begin, i - begin};
        count++;
    }
    return count;
}

mlps_span mlps_span_trim(mlps_span span)
{
    while (span.len > 0 && is_blank(span.start[0])) {
        span.start++;
        span.len--;
    }
    while (span.len > 0 && is_blank(span.start[span.len - 1]))
        span.len--;
    return span;
}

bool mlps_split_key_value(mlps_span line, char sep, mlps_span *key, mlps_span *value)
{
    const char *at = memchr(line.start, sep, line.len);
    if (!at)
        return false;
    size_t key_len = (size_t)(at - line.start);
    *key = mlps_span_trim((mlps_span){line.start, key_len});
    *value = mlps_span_trim((mlps_span){at + 1, line.len - key_len - 1});
    return true;
}

bool mlps_span_equals(mlps_span span, const char *text)
{
    size_t n = strlen(text);
    return span.len == n && memcmp(span.start, text, n) == 0;
}

bool mlps_span_to_u64(mlps_span span, uint64_t *out)
{
    if (span.len == 0)
        return false;
    uint64_t value = 0;
    for (size_t i = 0; i < span.len; i++) {
        char c = span.start[i];
        if (c < '0' || c > '9')
            return false;
        uint64_t digit = (uint64_t)(c - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

bool mlps_span_to_double(mlps_span span, double *out)
{
    char buffer[64];
    if (span.len == 0 || span.len >= sizeof buffer)
        return false;
    memcpy(buffer, span.start, span.len);
    buffer[span.len] = '\0';
    char *end;
    errno = 0;
    double value = strtod(buffer, &end);
    if (*end != '\0' || errno == ERANGE)
        return false;
    *out = value;
    return true;
}

void mlps_span_copy(mlps_span span, char *out, size_t size)
{
    if (size == 0)
        return;
    size_t n = span.len < size - 1 ? span.len : size - 1;
    memcpy(out, span.start, n);
    out[n] = '\0';
}

char *mlps_span_strdup(mlps_span span) { return strndup(span.start, span.len); }
