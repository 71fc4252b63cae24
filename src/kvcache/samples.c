/* Latency samples for the KV-cache report: a locked growable array, and percentiles by linear
 * interpolation over a sorted copy (see samples.h). */
#include "kvcache/samples.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void mlps_kv_samples_init(mlps_kv_samples *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
}

void mlps_kv_samples_destroy(mlps_kv_samples *s)
{
    free(s->values);
    pthread_mutex_destroy(&s->lock);
    s->values = NULL;
    s->count = s->capacity = 0;
}

int mlps_kv_samples_add(mlps_kv_samples *s, double value)
{
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    if (s->count == s->capacity) {
        size_t grown = s->capacity ? s->capacity * 2 : 1024;
        double *bigger = realloc(s->values, grown * sizeof *bigger);
        if (bigger) {
            s->values = bigger;
            s->capacity = grown;
        } else {
            rc = -ENOMEM;
        }
    }
    if (rc == 0)
        s->values[s->count++] = value;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void mlps_kv_samples_clear(mlps_kv_samples *s)
{
    pthread_mutex_lock(&s->lock);
    s->count = 0;
    pthread_mutex_unlock(&s->lock);
}

size_t mlps_kv_samples_count(mlps_kv_samples *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

int mlps_kv_samples_copy(mlps_kv_samples *s, double **values, size_t *count)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->count;
    double *copy = malloc((n ? n : 1) * sizeof *copy);
    if (copy && n)
        memcpy(copy, s->values, n * sizeof *copy);
    pthread_mutex_unlock(&s->lock);
    if (!copy)
        return -ENOMEM;
    *values = copy;
    *count = n;
    return 0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void mlps_kv_sorted_take(mlps_kv_sorted *out, double *values, size_t count)
{
    qsort(values, count, sizeof *values, compare_doubles);
    out->values = values;
    out->count = count;
    out->sum = 0;
    for (size_t i = 0; i < count; i++)
        out->sum += values[i];
}

int mlps_kv_samples_sorted(mlps_kv_samples *s, mlps_kv_sorted *out)
{
    double *values;
    size_t count;
    int rc = mlps_kv_samples_copy(s, &values, &count);
    if (rc)
        return rc;
    mlps_kv_sorted_take(out, values, count);
    return 0;
}

void mlps_kv_sorted_free(mlps_kv_sorted *s)
{
    free(s->values);
    s->values = NULL;
    s->count = 0;
}

double mlps_kv_percentile(const mlps_kv_sorted *s, double p)
{
    if (s->count == 0)
        return 0.0;
    double h = (double)(s->count - 1) * p / 100.0;
    size_t lo = (size_t)floor(h);
    if (lo >= s->count - 1)
        return s->values[s->count - 1];
    double frac = h - (double)lo;
    return s->values[lo] + frac * (s->values[lo + 1] - s->values[lo]);
}

double mlps_kv_mean(const mlps_kv_sorted *s)
{
    return s->count ? s->sum / (double)s->count : 0.0;
}
