/* Random numbers for workload generation: xoshiro256++ (period 2^256 - 1) seeded through
 * splitmix64, with independent per-thread / per-rank streams, bounded integers, uniform and
 * normal doubles and shuffling. Every draw is a pure function of the seed, so a run is
 * reproducible from its configured seed. A generator is plain state owned by one thread. */
#ifndef MLPS_CORE_RNG_H
#define MLPS_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct mlps_rng {
    uint64_t s[4]; /* never all zero once seeded */
} mlps_rng;

static inline uint64_t mlps_rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* splitmix64: advances *state by the golden-ratio increment and returns its mixed value.
 * Used to expand one 64-bit seed into well-spread generator state. */
static inline uint64_t mlps_splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Seeds the four state words from consecutive splitmix64 outputs of seed. */
void mlps_rng_seed(mlps_rng *rng, uint64_t seed);

/* The next 64 random bits (the xoshiro256++ output function and state update). */
static inline uint64_t mlps_rng_next(mlps_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = mlps_rotl64(s[0] + s[3], 23) + s[0];
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = mlps_rotl64(s[3], 45);
    return result;
}

/* Advances the generator by 2^128 steps: sequences separated by jumps never overlap
 * (2^128 draws each). */
void mlps_rng_jump(mlps_rng *rng);

/* Stream stream_index of seed: mlps_rng_seed(seed) followed by stream_index jumps, so
 * streams of one seed are provably non-overlapping. Costs O(stream_index) (about a
 * microsecond per jump), meant for one stream per thread or rank, not per item. */
void mlps_rng_stream(mlps_rng *out, uint64_t seed, uint64_t stream_index);

/* Uniform double in [0, 1) with 53 random bits. */
double mlps_rng_uniform(mlps_rng *rng);

/* Uniform integer in [0, bound), without modulo bias (Lemire's multiply-and-reject).
 * A bound of 0 returns 0. */
uint64_t mlps_rng_below(mlps_rng *rng, uint64_t bound);

/* Normal variate N(mean, stdev^2) by Marsaglia's polar method (one value per call). */
double mlps_rng_normal(mlps_rng *rng, double mean, double stdev);

/* Uniform random permutation of items[0..n) in place (Fisher-Yates). */
void mlps_rng_shuffle_u64(mlps_rng *rng, uint64_t *items, size_t n);

#endif
