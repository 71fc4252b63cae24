/* Config scalars: how text from a YAML file or a command-line override becomes a typed value,
 * following the YAML 1.1 spellings that PyYAML-based workload files are written against
 * (yes/no booleans, ~ for null), and how doubles print so that they read back exactly. */
#include "core/config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool text_in(const char *text, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(text, *words) == 0)
            return true;
    return false;
}

bool mlps_cfg_text_is_null(const char *text)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    return text_in(text, nulls);
}

int mlps_cfg_parse_bool(const char *text, bool *out)
{
    static const char *const truths[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
                                         "on",   "On",   "ON",   NULL};
    static const char *const falsehoods[] = {"false", "False", "FALSE", "no",  "No",
                                             "NO",    "off",   "Off",   "OFF", NULL};
    if (text_in(text, truths))
        *out = true;
    else if (text_in(text, falsehoods))
        *out = false;
    else
        return -EINVAL;
    return 0;
}

/* Length of the run of decimal digits at text. */
static size_t digit_run(const char *text)
{
    size_t n = 0;
    while (isdigit((unsigned char)text[n]))
        n++;
    return n;
}

static const char *skip_sign(const char *text)
{
    return (*text == '+' || *text == '-') ? text + 1 : text;
}

int mlps_cfg_parse_int(const char *text, int64_t *out)
{
    const char *digits = skip_sign(text);
    size_t n = digit_run(digits);
    if (n == 0 || digits[n] != '\0')
        return -EINVAL;
    errno = 0;
    long long value = strtoll(text, NULL, 10);
    if (errno == ERANGE)
        return -ERANGE;
    *out = (int64_t)value;
    return 0;
}

/* [+-] (digits [. digits?] | . digits) [(e|E) [+-] digits]: the decimal forms only, so that
 * strtod's hex, "inf" and "nan" spellings are not accepted. */
static bool looks_decimal(const char *text)
{
    const char *p = skip_sign(text);
    size_t whole = digit_run(p);
    p += whole;
    size_t fraction = 0;
    if (*p == '.') {
        p++;
        fraction = digit_run(p);
        p += fraction;
    }
    if (whole == 0 && fraction == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p = skip_sign(p + 1);
        size_t exponent = digit_run(p);
        if (exponent == 0)
            return false;
        p += exponent;
    }
    return *p == '\0';
}

int mlps_cfg_parse_double(const char *text, double *out)
{
    if (!looks_decimal(text))
        return -EINVAL;
    errno = 0;
    double value = strtod(text, NULL);
    if (!isfinite(value) || (errno == ERANGE && value != 0.0))
        return -ERANGE;
    *out = value;
    return 0;
}

mlps_cfg_type mlps_cfg_infer_type(const char *text)
{
    bool b;
    int64_t i;
    double d;
    if (mlps_cfg_parse_bool(text, &b) == 0)
        return MLPS_CFG_BOOL;
    if (mlps_cfg_parse_int(text, &i) == 0)
        return MLPS_CFG_INT;
    if (mlps_cfg_parse_double(text, &d) == 0)
        return MLPS_CFG_DOUBLE;
    return MLPS_CFG_STRING;
}

json_t *mlps_cfg_plain_scalar_to_json(const char *text)
{
    if (mlps_cfg_text_is_null(text))
        return json_null();
    mlps_cfg_value value = {0};
    if (mlps_cfg_value_from_text(&value, mlps_cfg_infer_type(text), text) != 0)
        return NULL;
    json_t *json = json_incref(value.json);
    mlps_cfg_value_clear(&value);
    return json;
}

void mlps_cfg_format_double(double value, char *buf, size_t size)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, value);
        if (strtod(buf, NULL) == value)
            break;
    }
    /* Keep it a float when read back untyped: "1" would be an integer. */
    if (!strpbrk(buf, ".eEn") && strlen(buf) + 3 <= size)
        strcat(buf, ".0");
}

static json_t *typed_json(const mlps_cfg_value *value)
{
    switch (value->type) {
    case MLPS_CFG_INT:
        return json_integer((json_int_t)value->integer);
    case MLPS_CFG_DOUBLE:
        return json_real(value->number);
    case MLPS_CFG_BOOL:
        return json_boolean(value->boolean);
    default:
        return json_string(value->text);
    }
}

static int parse_typed(mlps_cfg_value *value, mlps_cfg_type type, const char *text)
{
    switch (type) {
    case MLPS_CFG_INT:
        return mlps_cfg_parse_int(text, &value->integer);
    case MLPS_CFG_DOUBLE:
        return mlps_cfg_parse_double(text, &value->number);
    case MLPS_CFG_BOOL:
        return mlps_cfg_parse_bool(text, &value->boolean);
    case MLPS_CFG_STRING:
        return 0;
    default:
        return -EINVAL;
    }
}

int mlps_cfg_value_from_text(mlps_cfg_value *value, mlps_cfg_type type, const char *text)
{
    *value = (mlps_cfg_value){.type = type};
    int rc = parse_typed(value, type, text);
    if (rc != 0)
        return rc;
    value->text = strdup(text);
    if (!value->text)
        return -ENOMEM;
    value->json = typed_json(value);
    if (!value->json) {
        mlps_cfg_value_clear(value);
        /* jansson refuses only bad UTF-8 here, short of memory. */
        return -EILSEQ;
    }
    return 0;
}

void mlps_cfg_value_from_json(mlps_cfg_value *value, json_t *tree)
{
    *value = (mlps_cfg_value){.type = MLPS_CFG_SUBTREE, .json = tree};
}

void mlps_cfg_value_clear(mlps_cfg_value *value)
{
    free(value->text);
    json_decref(value->json);
    *value = (mlps_cfg_value){0};
}
