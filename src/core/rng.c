/* xoshiro256++ seeding, jumping and derived distributions; the step itself is inline in
 * rng.h because buffer filling and samplers call it in hot loops. */
#include "core/rng.h"

#include <math.h>

void mlps_rng_seed(mlps_rng *rng, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = mlps_splitmix64_next(&sm);
    /* splitmix64 is a bijection of distinct counters, so four outputs are never all zero;
     * the guard keeps the invariant explicit should seeding ever change. */
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
        rng->s[0] = 1;
}

/* The jump polynomial: the state after 2^128 steps is the GF(2) combination of the states
 * visited in the next 256 steps selected by these bits. */
static const uint64_t xoshiro256_jump_polynomial[4] = {
    UINT64_C(0x180ec6d33cfd0aba),
    UINT64_C(0xd5a61266f0c9392c),
    UINT64_C(0xa9582618e03fc9aa),
    UINT64_C(0x39abdc4529b1661c),
};

void mlps_rng_jump(mlps_rng *rng)
{
    uint64_t acc[4] = {0, 0, 0, 0};
    for (int word = 0; word < 4; word++) {
        for (int bit = 0; bit < 64; bit++) {
            if (xoshiro256_jump_polynomial[word] & (UINT64_C(1) << bit)) {
                for (int i = 0; i < 4; i++)
                    acc[i] ^= rng->s[i];
            }
            (void)mlps_rng_next(rng);
        }
    }
    for (int i = 0; i < 4; i++)
        rng->s[i] = acc[i];
}

void mlps_rng_stream(mlps_rng *out, uint64_t seed, uint64_t stream_index)
{
    mlps_rng_seed(out, seed);
    for (uint64_t i = 0; i < stream_index; i++)
        mlps_rng_jump(out);
}

double mlps_rng_uniform(mlps_rng *rng)
{
    return (double)(mlps_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t mlps_rng_below(mlps_rng *rng, uint64_t bound)
{
    if (bound == 0)
        return 0;
    unsigned __int128 product = (unsigned __int128)mlps_rng_next(rng) * bound;
    uint64_t low = (uint64_t)product;
    if (low < bound) {
        /* Products whose low half falls below 2^64 mod bound belong to an incomplete
         * stripe; rejecting them makes every result equally likely. */
        uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            product = (unsigned __int128)mlps_rng_next(rng) * bound;
            low = (uint64_t)product;
        }
    }
    return (uint64_t)(product >> 64);
}

double mlps_rng_normal(mlps_rng *rng, double mean, double stdev)
{
    double u, v, s;
    do {
        u = 2.0 * mlps_rng_uniform(rng) - 1.0;
        v = 2.0 * mlps_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return mean + stdev * u * sqrt(-2.0 * log(s) / s);
}

void mlps_rng_shuffle_u64(mlps_rng *rng, uint64_t *items, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)mlps_rng_below(rng, i);
        uint64_t tmp = items[i - 1];
        items[i - 1] = items[j];
        items[j] = tmp;
    }
}
