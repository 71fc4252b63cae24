/* Reading small text files whole (including /proc files, whose size stat reports as 0) and
 * scanning them line by line and field by field without copying. The /proc parsers and the
 * mount table reader build on these so that each of them only states its format. */
#ifndef MLPS_CORE_TEXT_SCAN_H
#define MLPS_CORE_TEXT_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* A view into a caller-owned string: not NUL-terminated. */
typedef struct mlps_span {
    const char *start;
    size_t len;
} mlps_span;

/* Reads the whole file into a NUL-terminated malloc'd buffer (*out, freed by the caller);
 * *len (may be NULL) receives its length. Fails naming the path. */
int mlps_read_text_file(const char *path, char **out, size_t *len, mlps_error *err);

/* Yields the next line of *cursor (without its '\n') and advances; false at the end of text.
 * A last line without a newline is still yielded. */
bool mlps_next_line(const char **cursor, mlps_span *line);

/* Splits line on spaces and tabs; stores at most max fields and returns how many there are
 * in total, so a caller can reject rows with an unexpected column count. */
size_t mlps_split_fields(mlps_span line, mlps_span *fields, size_t max);

/* Splits "key<sep>value" at the first sep, trimming blanks around both parts. */
bool mlps_split_key_value(mlps_span line, char sep, mlps_span *key, mlps_span *value);

bool mlps_span_equals(mlps_span span, const char *text);
mlps_span mlps_span_trim(mlps_span span);
/* Parses a whole span of decimal digits; false on anything else or overflow. */
bool mlps_span_to_u64(mlps_span span, uint64_t *out);
/* Parses a whole span as a floating-point number. */
bool mlps_span_to_double(mlps_span span, double *out);
/* Copies into a fixed buffer, truncating; always NUL-terminates when size > 0. */
void mlps_span_copy(mlps_span span, char *out, size_t size);
/* Returns a malloc'd NUL-terminated copy, NULL when out of memory. */
char *mlps_span_strdup(mlps_span span);

#endif
