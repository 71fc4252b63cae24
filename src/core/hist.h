/* Latency histogram: log-linear buckets in the manner of HdrHistogram, relative error of
 * any reported percentile at most 1/256 (bucket half-width). Each thread records into its
 * own histogram without locks or allocation; histograms are merged afterwards, across
 * threads with mlps_hist_merge and across ranks by the communication layer reducing the
 * raw fields described below.
 *
 * Buckets: values below 256 have one bucket each; every octave [2^m, 2^(m+1)) above that
 * (m = 8..63) is split into 128 equal sub-buckets, so a bucket is at most 1/128 of its
 * lowest value wide, up to UINT64_MAX. The unit is the caller's (usually nanoseconds). */
#ifndef MLPS_CORE_HIST_H
#define MLPS_CORE_HIST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define MLPS_HIST_EXACT_LIMIT 256u      /* values below this are counted exactly */
#define MLPS_HIST_SUB_BUCKET_BITS 7u
#define MLPS_HIST_SUB_BUCKETS (1u << MLPS_HIST_SUB_BUCKET_BITS) /* per octave */
#define MLPS_HIST_FIRST_OCTAVE 8u       /* log2(MLPS_HIST_EXACT_LIMIT) */
#define MLPS_HIST_BUCKETS \
    (MLPS_HIST_EXACT_LIMIT + (64u - MLPS_HIST_FIRST_OCTAVE) * MLPS_HIST_SUB_BUCKETS)

/* The whole state, with no pointers, so a histogram can live on the stack, in an array, or
 * be sent as plain bytes. Reducing several histograms into one (what mlps_hist_merge does):
 *   count, sum, counts[]  are summed (counts element-wise; sum as a 128-bit integer),
 *   min                   is min-reduced (UINT64_MAX while empty, the identity of min),
 *   max                   is max-reduced (0 while empty, the identity of max).
 * Over MPI, either reduce the fields that way or reduce whole histograms with a
 * user-defined operation that calls mlps_hist_merge on each element. */
typedef struct mlps_hist {
    uint64_t count;
    uint64_t min;
    uint64_t max;
    unsigned __int128 sum; /* exact: 2^64 samples of UINT64_MAX still fit */
    uint64_t counts[MLPS_HIST_BUCKETS];
} mlps_hist;

/* Headline statistics in the histogram's unit; all zero when it is empty. */
typedef struct mlps_hist_summary {
    uint64_t count;
    double min, mean, max;
    double p50, p90, p95, p99, p99_9, p99_99;
} mlps_hist_summary;

void mlps_hist_init(mlps_hist *hist);
void mlps_hist_record(mlps_hist *hist, uint64_t value);
/* Records value `count` times (count 0 records nothing). */
void mlps_hist_record_n(mlps_hist *hist, uint64_t value, uint64_t count);
/* dst becomes the union of dst and src: the same state as recording both sets into one. */
void mlps_hist_merge(mlps_hist *dst, const mlps_hist *src);

uint64_t mlps_hist_count(const mlps_hist *hist);
/* Exact smallest and largest recorded values; 0 when empty. */
uint64_t mlps_hist_min(const mlps_hist *hist);
uint64_t mlps_hist_max(const mlps_hist *hist);
/* Exact sum of recorded values. */
unsigned __int128 mlps_hist_sum(const mlps_hist *hist);
/* Exact sum divided by count (rounded once to double); 0 when empty. */
double mlps_hist_mean(const mlps_hist *hist);

/* The p-th percentile (p in 0..100, clamped) by linear interpolation between the closest
 * ranks, as numpy's default: pos = p/100 * (count - 1), interpolating between the
 * floor(pos)-th and ceil(pos)-th smallest samples. The smallest and largest samples are
 * the exact min and max; any other sample stands for its bucket's midpoint, clamped to
 * [min, max]. 0 when empty. */
double mlps_hist_percentile(const mlps_hist *hist, double p);

void mlps_hist_summarize(const mlps_hist *hist, mlps_hist_summary *out);

/* The summary as a JSON object: "count" plus min, mean, max, p50, p90, p95, p99, p99_9 and
 * p99_99, each multiplied by scale and named with unit_suffix appended (scale 1e-6 and
 * "_ms" turn nanoseconds into "p99_ms" milliseconds). NULL on allocation failure or a
 * suffix longer than 63 characters. The caller owns the reference. */
json_t *mlps_hist_to_json(const mlps_hist *hist, double scale, const char *unit_suffix);

/* Bucket layout, for reducing counts[] and for tests. */
size_t mlps_hist_bucket_count(void);
size_t mlps_hist_bucket_index(uint64_t value);
uint64_t mlps_hist_bucket_lowest(size_t index);
uint64_t mlps_hist_bucket_highest(size_t index);

#endif
