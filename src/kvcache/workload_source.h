/* The inside of a KV-cache workload source, shared by the three kinds (synthetic users,
 * ShareGPT replay, BurstGPT replay): each kind embeds mlps_kv_source first and fills its
 * operations, so workload.c can dispatch `next`, autoscaling and `describe` without knowing
 * which kind it holds. Also the draws every kind makes the same way (QoS rolls, Python-style
 * randint and uniform) and the RNG stream each kind owns. */
#ifndef MLPS_KVCACHE_WORKLOAD_SOURCE_H
#define MLPS_KVCACHE_WORKLOAD_SOURCE_H

#include <jansson.h>

#include "kvcache/workload.h"

/* Stream indexes of the run's seed owned by the workload: far from the small indexes a run
 * hands to its worker threads, so no two users of one seed ever share a sequence. */
enum {
    MLPS_KV_STREAM_USER_PROFILES = 100,
    MLPS_KV_STREAM_SYNTHETIC_REQUESTS = 101,
    MLPS_KV_STREAM_SHAREGPT = 102,
    MLPS_KV_STREAM_BURST = 103,
};

typedef struct mlps_kv_source_ops {
    int (*next)(mlps_kv_source *src, uint64_t now_ns, mlps_kv_request *out, uint64_t *due_ns,
                mlps_error *err);
    void (*set_active_users)(mlps_kv_source *src, int users); /* NULL: ignored */
    int (*active_users)(const mlps_kv_source *src);
    void (*describe)(mlps_kv_source *src, json_t *into); /* adds the kind's own keys */
    void (*free)(mlps_kv_source *src);
} mlps_kv_source_ops;

struct mlps_kv_source {
    const mlps_kv_source_ops *ops;
    const char *mode;          /* "synthetic", "sharegpt", "burstgpt" */
    const char *fallback_from; /* "sharegpt" when a dataset without pairs fell back; else NULL */
    const mlps_kv_settings *settings;
    uint64_t requests_issued;
    json_t *description; /* the last describe(), owned */
};

int mlps_kv_synthetic_open(const mlps_kv_source_params *params, mlps_kv_source **out,
                           mlps_error *err);
/* Sets *out to NULL (and returns 0) when the dataset yields no human→gpt pair. */
int mlps_kv_sharegpt_open(const mlps_kv_source_params *params, mlps_kv_source **out,
                          mlps_error *err);
int mlps_kv_burst_open(const mlps_kv_source_params *params, mlps_kv_source **out,
                       mlps_error *err);

/* A fresh request: zeroed, with its id and turn 1. */
void mlps_kv_request_begin(mlps_kv_request *r, uint64_t id);
/* Rolls the request's QoS class from the settings' mix and sets its priority. */
void mlps_kv_request_roll_qos(mlps_kv_request *r, mlps_rng *rng, const mlps_kv_settings *s);
/* The class's configured priority (3, 2, 1 by default). */
int mlps_kv_qos_priority(mlps_kv_qos qos, const mlps_kv_settings *s);

/* Python's random.randint(lo, hi): uniform over [lo, hi] inclusive; lo when hi < lo. */
static inline int64_t mlps_kv_randint(mlps_rng *rng, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)mlps_rng_below(rng, (uint64_t)(hi - lo) + 1u);
}

/* Python's random.uniform(lo, hi). */
static inline double mlps_kv_uniform(mlps_rng *rng, double lo, double hi)
{
    return lo + (hi - lo) * mlps_rng_uniform(rng);
}

/* Nanoseconds of a non-negative duration in seconds, rounded. */
static inline uint64_t mlps_kv_seconds_to_ns(double seconds)
{
    return seconds <= 0 ? 0 : (uint64_t)(seconds * 1e9 + 0.5);
}

#endif
