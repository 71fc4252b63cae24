/* Emulated time: how long one training step computes (train.computation_time), one evaluation
 * step takes (evaluation.eval_time) or one sample is preprocessed (reader.preprocess_time).
 *
 * A workload gives such a time the way DLIO accepts it: a number of seconds, or a mapping. A
 * mapping without `type` is {mean} or {mean, stdev}; with `type` it is one of the distributions
 * normal(mean, stdev), uniform(min, max), gamma(shape, scale), exponential(scale) or
 * poisson(lam). A sibling key such as train.computation_time_stdev adds a stdev to it. Each
 * draw is the absolute value of the sample, so a sleep is never negative. */
#ifndef MLPS_TRAINING_DELAY_H
#define MLPS_TRAINING_DELAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/rng.h"

typedef enum mlps_delay_kind {
    MLPS_DELAY_NONE,        /* unset: every draw is 0 */
    MLPS_DELAY_CONSTANT,    /* mean */
    MLPS_DELAY_NORMAL,      /* |N(mean, stdev)| */
    MLPS_DELAY_UNIFORM,     /* uniform in [min, max) */
    MLPS_DELAY_GAMMA,       /* gamma(shape, scale) */
    MLPS_DELAY_EXPONENTIAL, /* exponential with mean scale */
    MLPS_DELAY_POISSON,     /* poisson(lam), whole seconds */
} mlps_delay_kind;

typedef struct mlps_delay {
    mlps_delay_kind kind;
    double mean, stdev;  /* constant, normal */
    double min, max;     /* uniform */
    double shape, scale; /* gamma; exponential uses scale */
    double lam;          /* poisson */
} mlps_delay;

/* Reads the value of key (a JSON number or object as the config hands out a SUBTREE; NULL or
 * JSON null when unset) plus the stdev from the sibling key stdev_key when has_stdev. Fields
 * must be non-negative numbers that suit the distribution; anything else is a usage error naming
 * the key and what would be valid. */
int mlps_delay_parse(const json_t *value, const char *key, bool has_stdev, double stdev,
                     const char *stdev_key, mlps_delay *out, mlps_error *err);

/* One duration in seconds, never negative. Consumes random numbers only for distributions. */
double mlps_delay_draw(const mlps_delay *delay, mlps_rng *rng);

/* The expected value of the distribution before the absolute value is taken (so for a normal
 * whose spread reaches below zero the draws average a little more). */
double mlps_delay_expected(const mlps_delay *delay);

/* "0.323 s", "normal(mean 0.3 s, stdev 0.01 s)", "gamma(shape 2, scale 0.1 s)", ... */
void mlps_delay_describe(const mlps_delay *delay, char *out, size_t size);

/* The description as JSON, DLIO's dictionary form ({"mean": 0.323} or {"type": "gamma", ...});
 * an empty object when unset. New reference, NULL when out of memory. */
json_t *mlps_delay_to_json(const mlps_delay *delay);

#endif
