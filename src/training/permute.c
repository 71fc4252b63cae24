/* Feistel-network permutations with cycle walking; see permute.h. */
#include "training/permute.h"

/* Six rounds: four already make a pseudorandom permutation from a good round function; the two
 * extra ones keep small domains (a few bits per half) from showing visible structure. The count
 * must be even so that the halves end at the sizes they started with. */
enum { FEISTEL_ROUNDS = 6 };

uint64_t mlps_key_mix(uint64_t a, uint64_t b)
{
    uint64_t z = a ^ (b + UINT64_C(0x9e3779b97f4a7c15) + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static unsigned bits_to_hold(uint64_t largest)
{
    return largest == 0 ? 0 : 64u - (unsigned)__builtin_clzll(largest);
}

void mlps_permutation_init(mlps_permutation *permutation, uint64_t size, uint64_t key)
{
    permutation->size = size;
    permutation->key = key;
    /* Two bits at least: with one, a half of zero bits carries nothing and the network could
     * only ever be the identity. */
    unsigned bits = size <= 1 ? 0 : bits_to_hold(size - 1);
    permutation->bits = size <= 1 ? 0 : (bits < 2 ? 2 : bits);
}

static uint64_t mask_of(unsigned bits)
{
    return bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

static uint64_t round_function(const mlps_permutation *permutation, unsigned round, uint64_t half,
                               unsigned output_bits)
{
    return mlps_key_mix(permutation->key + round, half) & mask_of(output_bits);
}

/* One pass over the whole power-of-two domain. Each round maps (L, R), of l and r bits, to
 * (R, L ^ F(R)), of r and l bits. */
static uint64_t feistel_forward(const mlps_permutation *permutation, uint64_t x)
{
    unsigned left_bits = permutation->bits / 2, right_bits = permutation->bits - left_bits;
    uint64_t left = x >> right_bits, right = x & mask_of(right_bits);
    for (unsigned round = 0; round < FEISTEL_ROUNDS; round++) {
        uint64_t next_right = left ^ round_function(permutation, round, right, left_bits);
        left = right;
        right = next_right;
        unsigned swapped = left_bits;
        left_bits = right_bits;
        right_bits = swapped;
    }
    return (left << right_bits) | right;
}

/* Undoes the rounds last to first: (L, R) came from (R ^ F(L), L). */
static uint64_t feistel_backward(const mlps_permutation *permutation, uint64_t x)
{
    unsigned left_bits = permutation->bits / 2, right_bits = permutation->bits - left_bits;
    uint64_t left = x >> right_bits, right = x & mask_of(right_bits);
    for (unsigned round = FEISTEL_ROUNDS; round-- > 0;) {
        uint64_t previous_left = right ^ round_function(permutation, round, left, right_bits);
        right = left;
        left = previous_left;
        unsigned swapped = left_bits;
        left_bits = right_bits;
        right_bits = swapped;
    }
    return (left << right_bits) | right;
}

/* Walking the cycle of x until it re-enters [0, size) gives a bijection of [0, size): the walk
 * from any in-range value ends at the next in-range value of its cycle, and distinct starts end
 * at distinct values. It always ends, since the cycle returns to x itself at the latest. */
uint64_t mlps_permutation_apply(const mlps_permutation *permutation, uint64_t index)
{
    if (permutation->size <= 1)
        return index;
    uint64_t x = index;
    do {
        x = feistel_forward(permutation, x);
    } while (x >= permutation->size);
    return x;
}

uint64_t mlps_permutation_invert(const mlps_permutation *permutation, uint64_t value)
{
    if (permutation->size <= 1)
        return value;
    uint64_t x = value;
    do {
        x = feistel_backward(permutation, x);
    } while (x >= permutation->size);
    return x;
}
