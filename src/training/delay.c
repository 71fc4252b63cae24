/* Emulated time: reading DLIO's number-or-mapping time descriptions into an mlps_delay, and
 * drawing durations from them with the project's seeded generator. */
#include "training/delay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- parsing ---- */

static const char *const field_names[] = {"type", "mean", "stdev", "min", "max",
                                          "shape", "scale", "lam", NULL};
#define VALID_FIELDS "type, mean, stdev, min, max, shape, scale, lam"

typedef struct delay_type {
    const char *name;
    mlps_delay_kind kind;
    const char *needs[2]; /* the fields the distribution cannot do without */
} delay_type;

static const delay_type delay_types[] = {
    {"normal", MLPS_DELAY_NORMAL, {"mean", "stdev"}},
    {"uniform", MLPS_DELAY_UNIFORM, {"min", "max"}},
    {"gamma", MLPS_DELAY_GAMMA, {"shape", "scale"}},
    {"exponential", MLPS_DELAY_EXPONENTIAL, {"scale", NULL}},
    {"poisson", MLPS_DELAY_POISSON, {"lam", NULL}},
};
#define VALID_TYPES "normal, uniform, gamma, exponential, poisson"

static bool is_field_name(const char *name)
{
    for (const char *const *field = field_names; *field; field++)
        if (strcmp(*field, name) == 0)
            return true;
    return false;
}

static double *field_slot(mlps_delay *delay, const char *name)
{
    if (strcmp(name, "mean") == 0)
        return &delay->mean;
    if (strcmp(name, "stdev") == 0)
        return &delay->stdev;
    if (strcmp(name, "min") == 0)
        return &delay->min;
    if (strcmp(name, "max") == 0)
        return &delay->max;
    if (strcmp(name, "shape") == 0)
        return &delay->shape;
    if (strcmp(name, "scale") == 0)
        return &delay->scale;
    return strcmp(name, "lam") == 0 ? &delay->lam : NULL;
}

static int fail_field(mlps_error *err, const char *key, const char *field, const char *what)
{
    return mlps_fail_usage(err, -EINVAL, "config key '%s.%s' %s", key, field, what);
}

/* Copies every numeric field of object into delay, checking names and values. */
static int read_fields(const json_t *object, const char *key, mlps_delay *delay, mlps_error *err)
{
    const char *name;
    json_t *value;
    json_object_foreach ((json_t *)object, name, value) {
        if (!is_field_name(name))
            return mlps_fail_usage(err, -EINVAL, "config key '%s' has no field '%s' (valid: %s)",
                                   key, name, VALID_FIELDS);
        if (strcmp(name, "type") == 0)
            continue;
        if (!json_is_number(value))
            return fail_field(err, key, name, "must be a number of seconds");
        double number = json_number_value(value);
        if (!(number >= 0.0))
            return fail_field(err, key, name, "must not be negative");
        *field_slot(delay, name) = number;
    }
    return 0;
}

static const delay_type *find_type(const char *name)
{
    for (size_t i = 0; i < sizeof delay_types / sizeof delay_types[0]; i++)
        if (strcmp(delay_types[i].name, name) == 0)
            return &delay_types[i];
    return NULL;
}

static int parse_typed(const json_t *object, const json_t *type_value, const char *key,
                       mlps_delay *delay, mlps_error *err)
{
    const char *name = json_string_value(type_value);
    const delay_type *type = name ? find_type(name) : NULL;
    if (!type)
        return mlps_fail_usage(err, -EINVAL, "config key '%s.type' must be one of %s, got %s",
                               key, VALID_TYPES, name ? name : "a non-string");
    for (size_t i = 0; i < 2 && type->needs[i]; i++)
        if (!json_object_get(object, type->needs[i]))
            return mlps_fail_usage(err, -EINVAL, "config key '%s' of type %s needs '%s'", key,
                                   type->name, type->needs[i]);
    if (type->kind == MLPS_DELAY_UNIFORM && delay->min > delay->max)
        return mlps_fail_usage(err, -EINVAL, "config key '%s': uniform needs min <= max, got "
                               "min %g and max %g", key, delay->min, delay->max);
    if (type->kind == MLPS_DELAY_GAMMA && !(delay->shape > 0.0))
        return fail_field(err, key, "shape", "must be greater than 0 for a gamma distribution");
    delay->kind = type->kind;
    return 0;
}

static int parse_mapping(const json_t *object, const char *key, mlps_delay *delay,
                         mlps_error *err)
{
    int rc = read_fields(object, key, delay, err);
    if (rc != 0)
        return rc;
    const json_t *type_value = json_object_get(object, "type");
    if (type_value)
        return parse_typed(object, type_value, key, delay, err);
    if (json_object_size(object) == 0)
        return 0;
    if (!json_object_get(object, "mean"))
        return mlps_fail_usage(err, -EINVAL, "config key '%s' needs 'mean' (or a 'type' of %s)",
                               key, VALID_TYPES);
    delay->kind = json_object_get(object, "stdev") ? MLPS_DELAY_NORMAL : MLPS_DELAY_CONSTANT;
    return 0;
}

/* The sibling stdev key turns a constant into a normal distribution and replaces the spread of
 * a normal one, as DLIO merges it into the mapping. */
static int apply_stdev(mlps_delay *delay, double stdev, const char *stdev_key, mlps_error *err)
{
    if (!(stdev >= 0.0))
        return mlps_fail_usage(err, -EINVAL, "config key '%s' must not be negative, got %g",
                               stdev_key, stdev);
    delay->stdev = stdev;
    if (delay->kind == MLPS_DELAY_CONSTANT)
        delay->kind = MLPS_DELAY_NORMAL;
    return 0;
}

int mlps_delay_parse(const json_t *value, const char *key, bool has_stdev, double stdev,
                     const char *stdev_key, mlps_delay *out, mlps_error *err)
{
    mlps_delay delay = {.kind = MLPS_DELAY_NONE};
    int rc = 0;
    if (value && json_is_number(value)) {
        delay.mean = json_number_value(value);
        delay.kind = MLPS_DELAY_CONSTANT;
        if (!(delay.mean >= 0.0))
            rc = mlps_fail_usage(err, -EINVAL, "config key '%s' must not be negative, got %g",
                                 key, delay.mean);
    } else if (value && json_is_object(value)) {
        rc = parse_mapping(value, key, &delay, err);
    } else if (value && !json_is_null(value)) {
        rc = mlps_fail_usage(err, -EINVAL, "config key '%s' must be a number of seconds or a "
                             "mapping with fields %s", key, VALID_FIELDS);
    }
    if (rc == 0 && has_stdev)
        rc = apply_stdev(&delay, stdev, stdev_key, err);
    if (rc == 0 && delay.kind == MLPS_DELAY_NORMAL && delay.stdev == 0.0)
        delay.kind = MLPS_DELAY_CONSTANT;
    if (rc == 0)
        *out = delay;
    return rc;
}

/* ---- drawing ---- */

/* Marsaglia and Tsang's squeeze method for shape >= 1; smaller shapes are boosted by one and
 * scaled back with u^(1/shape). */
static double draw_standard_gamma(mlps_rng *rng, double shape)
{
    if (shape < 1.0) {
        double u = mlps_rng_uniform(rng);
        return draw_standard_gamma(rng, shape + 1.0) * pow(u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0;
    double c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = mlps_rng_normal(rng, 0.0, 1.0);
        double v = 1.0 + c * x;
        if (v <= 0.0)
            continue;
        v = v * v * v;
        double u = mlps_rng_uniform(rng);
        if (u < 1.0 - 0.0331 * x * x * x * x)
            return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
            return d * v;
    }
}

/* Knuth's product of uniforms: fine while e^-lam is far from underflow and lam is small. */
static double draw_poisson_small(mlps_rng *rng, double lam)
{
    double limit = exp(-lam);
    double product = mlps_rng_uniform(rng);
    double count = 0.0;
    while (product > limit) {
        count += 1.0;
        product *= mlps_rng_uniform(rng);
    }
    return count;
}

/* Hörmann's transformed rejection with squeeze (PTRS), exact for lam >= 10. */
static double draw_poisson_large(mlps_rng *rng, double lam)
{
    double root = sqrt(lam), log_lam = log(lam);
    double b = 0.931 + 2.53 * root;
    double a = -0.059 + 0.02483 * b;
    double inverse_alpha = 1.1239 + 1.1328 / (b - 3.4);
    double v_r = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        double u = mlps_rng_uniform(rng) - 0.5;
        double v = mlps_rng_uniform(rng);
        double us = 0.5 - fabs(u);
        double k = floor((2.0 * a / us + b) * u + lam + 0.43);
        if (us >= 0.07 && v <= v_r)
            return k;
        if (k < 0.0 || (us < 0.013 && v > us))
            continue;
        int sign;
        double log_factorial = lgamma_r(k + 1.0, &sign);
        if (log(v) + log(inverse_alpha) - log(a / (us * us) + b) <=
            -lam + k * log_lam - log_factorial)
            return k;
    }
}

double mlps_delay_draw(const mlps_delay *delay, mlps_rng *rng)
{
    switch (delay->kind) {
    case MLPS_DELAY_CONSTANT:
        return delay->mean;
    case MLPS_DELAY_NORMAL:
        return fabs(mlps_rng_normal(rng, delay->mean, delay->stdev));
    case MLPS_DELAY_UNIFORM:
        return delay->min + (delay->max - delay->min) * mlps_rng_uniform(rng);
    case MLPS_DELAY_GAMMA:
        return draw_standard_gamma(rng, delay->shape) * delay->scale;
    case MLPS_DELAY_EXPONENTIAL:
        return -delay->scale * log1p(-mlps_rng_uniform(rng));
    case MLPS_DELAY_POISSON:
        return delay->lam < 10.0 ? draw_poisson_small(rng, delay->lam)
                                 : draw_poisson_large(rng, delay->lam);
    default:
        return 0.0;
    }
}

double mlps_delay_expected(const mlps_delay *delay)
{
    switch (delay->kind) {
    case MLPS_DELAY_CONSTANT:
    case MLPS_DELAY_NORMAL:
        return delay->mean;
    case MLPS_DELAY_UNIFORM:
        return 0.5 * (delay->min + delay->max);
    case MLPS_DELAY_GAMMA:
        return delay->shape * delay->scale;
    case MLPS_DELAY_EXPONENTIAL:
        return delay->scale;
    case MLPS_DELAY_POISSON:
        return delay->lam;
    default:
        return 0.0;
    }
}

/* ---- describing ---- */

void mlps_delay_describe(const mlps_delay *delay, char *out, size_t size)
{
    switch (delay->kind) {
    case MLPS_DELAY_CONSTANT:
        snprintf(out, size, "%g s", delay->mean);
        break;
    case MLPS_DELAY_NORMAL:
        snprintf(out, size, "normal(mean %g s, stdev %g s)", delay->mean, delay->stdev);
        break;
    case MLPS_DELAY_UNIFORM:
        snprintf(out, size, "uniform(min %g s, max %g s)", delay->min, delay->max);
        break;
    case MLPS_DELAY_GAMMA:
        snprintf(out, size, "gamma(shape %g, scale %g s)", delay->shape, delay->scale);
        break;
    case MLPS_DELAY_EXPONENTIAL:
        snprintf(out, size, "exponential(scale %g s)", delay->scale);
        break;
    case MLPS_DELAY_POISSON:
        snprintf(out, size, "poisson(lam %g s)", delay->lam);
        break;
    default:
        snprintf(out, size, "none");
        break;
    }
}

static int set_number(json_t *object, const char *name, double value)
{
    return json_object_set_new(object, name, json_real(value));
}

json_t *mlps_delay_to_json(const mlps_delay *delay)
{
    json_t *object = json_object();
    if (!object)
        return NULL;
    int rc = 0;
    switch (delay->kind) {
    case MLPS_DELAY_CONSTANT:
        rc = set_number(object, "mean", delay->mean);
        break;
    case MLPS_DELAY_NORMAL:
        rc = set_number(object, "mean", delay->mean) | set_number(object, "stdev", delay->stdev);
        break;
    case MLPS_DELAY_UNIFORM:
        rc = json_object_set_new(object, "type", json_string("uniform")) |
             set_number(object, "min", delay->min) | set_number(object, "max", delay->max);
        break;
    case MLPS_DELAY_GAMMA:
        rc = json_object_set_new(object, "type", json_string("gamma")) |
             set_number(object, "shape", delay->shape) |
             set_number(object, "scale", delay->scale);
        break;
    case MLPS_DELAY_EXPONENTIAL:
        rc = json_object_set_new(object, "type", json_string("exponential")) |
             set_number(object, "scale", delay->scale);
        break;
    case MLPS_DELAY_POISSON:
        rc = json_object_set_new(object, "type", json_string("poisson")) |
             set_number(object, "lam", delay->lam);
        break;
    default:
        break;
    }
    if (rc != 0) {
        json_decref(object);
        return NULL;
    }
    return object;
}
