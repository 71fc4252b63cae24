/* Latency samples kept whole: the KV-cache report quotes p50 … p99.99 with the reference's
 * linear interpolation (sort, h = (n−1)·p/100, v[⌊h⌋] + frac·(v[⌊h⌋+1] − v[⌊h⌋])), which a
 * histogram cannot reproduce exactly. Appends are thread-safe; a run of millions of operations
 * costs 8 bytes each. Values are seconds. */
#ifndef MLPS_KVCACHE_SAMPLES_H
#define MLPS_KVCACHE_SAMPLES_H

#include <pthread.h>
#include <stddef.h>

typedef struct mlps_kv_samples {
    pthread_mutex_t lock;
    double *values;
    size_t count, capacity;
} mlps_kv_samples;

void mlps_kv_samples_init(mlps_kv_samples *s);
void mlps_kv_samples_destroy(mlps_kv_samples *s);
/* Returns 0 or -ENOMEM (the sample is dropped). */
int mlps_kv_samples_add(mlps_kv_samples *s, double value);
void mlps_kv_samples_clear(mlps_kv_samples *s);
size_t mlps_kv_samples_count(mlps_kv_samples *s);

/* A sorted private copy for percentiles, taken under the lock. Free with mlps_kv_sorted_free. */
typedef struct mlps_kv_sorted {
    double *values;
    size_t count;
    double sum;
} mlps_kv_sorted;
int mlps_kv_samples_sorted(mlps_kv_samples *s, mlps_kv_sorted *out);
/* Copy in insertion order (for the JSON arrays of per-request latencies). */
int mlps_kv_samples_copy(mlps_kv_samples *s, double **values, size_t *count);
/* Sorts an arbitrary array into a mlps_kv_sorted (takes ownership of values). */
void mlps_kv_sorted_take(mlps_kv_sorted *out, double *values, size_t count);
void mlps_kv_sorted_free(mlps_kv_sorted *s);

/* p in [0,100], linear interpolation; 0 for an empty set. */
double mlps_kv_percentile(const mlps_kv_sorted *s, double p);
double mlps_kv_mean(const mlps_kv_sorted *s);

#endif
