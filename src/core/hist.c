/* Latency histogram (layout and reduction rules in hist.h). Recording touches one counter
 * and three scalars; all the work of reading percentiles happens at report time. */
#include "core/hist.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void mlps_hist_init(mlps_hist *hist)
{
    memset(hist, 0, sizeof *hist);
    hist->min = UINT64_MAX;
}

size_t mlps_hist_bucket_count(void) { return MLPS_HIST_BUCKETS; }

size_t mlps_hist_bucket_index(uint64_t value)
{
    if (value < MLPS_HIST_EXACT_LIMIT)
        return (size_t)value;
    unsigned octave = 63u - (unsigned)__builtin_clzll(value);
    unsigned shift = octave - MLPS_HIST_SUB_BUCKET_BITS;
    /* value >> shift lies in [128, 256): the sub-bucket plus one octave's worth, which
     * absorbs the exact range's offset. */
    return ((size_t)shift << MLPS_HIST_SUB_BUCKET_BITS) + (size_t)(value >> shift);
}

/* Inverse of mlps_hist_bucket_index for a bucket above the exact range. */
static unsigned bucket_shift(size_t index)
{
    return (unsigned)(index >> MLPS_HIST_SUB_BUCKET_BITS) - 1u;
}

uint64_t mlps_hist_bucket_lowest(size_t index)
{
    if (index < MLPS_HIST_EXACT_LIMIT)
        return (uint64_t)index;
    unsigned shift = bucket_shift(index);
    return (uint64_t)(index - ((size_t)shift << MLPS_HIST_SUB_BUCKET_BITS)) << shift;
}

uint64_t mlps_hist_bucket_highest(size_t index)
{
    if (index < MLPS_HIST_EXACT_LIMIT)
        return (uint64_t)index;
    return mlps_hist_bucket_lowest(index) + ((UINT64_C(1) << bucket_shift(index)) - 1u);
}

void mlps_hist_record_n(mlps_hist *hist, uint64_t value, uint64_t count)
{
    if (count == 0)
        return;
    hist->counts[mlps_hist_bucket_index(value)] += count;
    hist->count += count;
    hist->sum += (unsigned __int128)value * count;
    if (value < hist->min)
        hist->min = value;
    if (value > hist->max)
        hist->max = value;
}

void mlps_hist_record(mlps_hist *hist, uint64_t value) { mlps_hist_record_n(hist, value, 1); }

void mlps_hist_merge(mlps_hist *dst, const mlps_hist *src)
{
    for (size_t i = 0; i < MLPS_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t mlps_hist_count(const mlps_hist *hist) { return hist->count; }
uint64_t mlps_hist_min(const mlps_hist *hist) { return hist->count ? hist->min : 0; }
uint64_t mlps_hist_max(const mlps_hist *hist) { return hist->count ? hist->max : 0; }
unsigned __int128 mlps_hist_sum(const mlps_hist *hist) { return hist->sum; }

double mlps_hist_mean(const mlps_hist *hist)
{
    if (hist->count == 0)
        return 0.0;
    return (double)((long double)hist->sum / (long double)hist->count);
}

/* The value standing for the rank-th smallest sample (rank < count). */
static long double value_at_rank(const mlps_hist *hist, uint64_t rank)
{
    if (rank == 0)
        return (long double)hist->min;
    if (rank >= hist->count - 1)
        return (long double)hist->max;
    size_t last = mlps_hist_bucket_index(hist->max);
    size_t i = mlps_hist_bucket_index(hist->min);
    uint64_t below = 0; /* samples in buckets before i */
    for (; i < last && below + hist->counts[i] <= rank; i++)
        below += hist->counts[i];
    long double lowest = (long double)mlps_hist_bucket_lowest(i);
    long double highest = (long double)mlps_hist_bucket_highest(i);
    long double midpoint = lowest + (highest - lowest) / 2;
    if (midpoint < (long double)hist->min)
        return (long double)hist->min;
    if (midpoint > (long double)hist->max)
        return (long double)hist->max;
    return midpoint;
}

double mlps_hist_percentile(const mlps_hist *hist, double p)
{
    if (hist->count == 0)
        return 0.0;
    if (!(p > 0.0))
        p = 0.0;
    if (p > 100.0)
        p = 100.0;
    /* Multiplying before dividing keeps pos exact for whole percentiles of small counts
     * (95 * 99 / 100 = 94.05, not 0.95 * 99). */
    long double pos = (long double)p * (long double)(hist->count - 1) / 100.0L;
    long double floor_pos = floorl(pos);
    uint64_t rank_lo = (uint64_t)floor_pos;
    if (rank_lo > hist->count - 1)
        rank_lo = hist->count - 1;
    long double fraction = pos - (long double)rank_lo;
    long double lo = value_at_rank(hist, rank_lo);
    if (fraction <= 0.0L)
        return (double)lo;
    long double hi = value_at_rank(hist, rank_lo + 1);
    return (double)(lo + fraction * (hi - lo));
}

void mlps_hist_summarize(const mlps_hist *hist, mlps_hist_summary *out)
{
    out->count = hist->count;
    out->min = (double)mlps_hist_min(hist);
    out->mean = mlps_hist_mean(hist);
    out->max = (double)mlps_hist_max(hist);
    out->p50 = mlps_hist_percentile(hist, 50.0);
    out->p90 = mlps_hist_percentile(hist, 90.0);
    out->p95 = mlps_hist_percentile(hist, 95.0);
    out->p99 = mlps_hist_percentile(hist, 99.0);
    out->p99_9 = mlps_hist_percentile(hist, 99.9);
    out->p99_99 = mlps_hist_percentile(hist, 99.99);
}

/* Adds name+suffix: value*scale to obj; false on failure. */
static int json_set_scaled(json_t *obj, const char *name, const char *suffix, double value,
                           double scale)
{
    char key[80];
    snprintf(key, sizeof key, "%s%s", name, suffix);
    return json_object_set_new(obj, key, json_real(value * scale)) == 0;
}

json_t *mlps_hist_to_json(const mlps_hist *hist, double scale, const char *unit_suffix)
{
    const char *suffix = unit_suffix ? unit_suffix : "";
    if (strlen(suffix) > 63)
        return NULL;
    mlps_hist_summary s;
    mlps_hist_summarize(hist, &s);
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    const struct {
        const char *name;
        double value;
    } fields[] = {
        {"min", s.min}, {"mean", s.mean}, {"max", s.max}, {"p50", s.p50},
        {"p90", s.p90}, {"p95", s.p95},   {"p99", s.p99}, {"p99_9", s.p99_9},
        {"p99_99", s.p99_99},
    };
    /* json_int_t is signed 64-bit; counts beyond it do not occur in practice but must not
     * wrap to negative. */
    json_int_t count = s.count > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)s.count;
    int ok = json_object_set_new(obj, "count", json_integer(count)) == 0;
    for (size_t i = 0; ok && i < sizeof fields / sizeof fields[0]; i++)
        ok = json_set_scaled(obj, fields[i].name, suffix, fields[i].value, scale);
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}
