/* Per-file sample dimensions drawn on demand from a stream keyed by the workload seed and the
 * file's generation index; see plan.h for how this relates to DLIO's NumPy draw. */
#include "training/plan.h"

#include <math.h>

#include "core/rng.h"
#include "training/permute.h"

/* Keeps this stream apart from the other streams derived from the same workload seed. */
#define SAMPLE_DIMS_PURPOSE UINT64_C(0x64696d656e73696f) /* "dimensio" */

void mlps_sample_dims_init(mlps_sample_dims *dims, double record_length,
                           double record_length_stdev, uint64_t seed)
{
    double root = record_length > 0 ? sqrt(record_length) : 0;
    dims->dimension = (uint64_t)floor(root);
    dims->dimension_stdev =
        root > 0 && record_length_stdev > 0 ? record_length_stdev / (2.0 * root) : 0;
    dims->seed = seed;
}

/* int() truncates toward zero, then anything below 1 becomes 1. */
static uint64_t dimension_from_draw(double draw)
{
    if (!(draw >= 1.0))
        return 1;
    if (draw >= 0x1p63)
        return UINT64_C(1) << 63;
    return (uint64_t)draw;
}

void mlps_sample_dims_of_file(const mlps_sample_dims *dims, uint64_t generation_index,
                              uint64_t *d1, uint64_t *d2)
{
    if (dims->dimension_stdev <= 0) {
        *d1 = *d2 = dims->dimension;
        return;
    }
    mlps_rng rng;
    mlps_rng_seed(&rng, mlps_key_mix(mlps_key_mix(dims->seed,
                                                                  SAMPLE_DIMS_PURPOSE),
                                             generation_index));
    double mean = (double)dims->dimension;
    *d1 = dimension_from_draw(mlps_rng_normal(&rng, mean, dims->dimension_stdev));
    *d2 = dimension_from_draw(mlps_rng_normal(&rng, mean, dims->dimension_stdev));
}
