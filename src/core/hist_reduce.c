/* Cross-rank histogram merge; see hist_reduce.h. Bucket counts and the sample count are summed,
 * min and max reduced. The exact 128-bit sum travels as four 32-bit limbs held in 64-bit words,
 * so summing them over up to 2^32 ranks cannot overflow; the carries are propagated afterwards. */
#include "core/hist_reduce.h"

enum { SUM_LIMBS = 4 };

static void split_sum(unsigned __int128 sum, uint64_t limbs[SUM_LIMBS])
{
    for (int i = 0; i < SUM_LIMBS; i++)
        limbs[i] = (uint64_t)(sum >> (32 * i)) & 0xffffffffu;
}

static unsigned __int128 join_sum(const uint64_t limbs[SUM_LIMBS])
{
    unsigned __int128 sum = 0;
    for (int i = SUM_LIMBS - 1; i >= 0; i--)
        sum = (sum << 32) + limbs[i];
    return sum;
}

int mlps_hist_reduce(const mlps_comm *comm, mlps_hist *hist, mlps_error *err)
{
    uint64_t limbs[SUM_LIMBS];
    split_sum(hist->sum, limbs);
    int rc = mlps_comm_sum_u64(comm, hist->counts, MLPS_HIST_BUCKETS, err);
    if (!rc)
        rc = mlps_comm_sum_u64(comm, &hist->count, 1, err);
    if (!rc)
        rc = mlps_comm_sum_u64(comm, limbs, SUM_LIMBS, err);
    if (!rc)
        rc = mlps_comm_min_u64(comm, &hist->min, 1, err);
    if (!rc)
        rc = mlps_comm_max_u64(comm, &hist->max, 1, err);
    if (rc)
        mlps_error_prefix(err, "merging latency histograms across ranks: ");
    else
        hist->sum = join_sum(limbs);
    return rc;
}
