/* Keyed bijections of [0, size) computed one index at a time: the training plan uses them to
 * shuffle files and samples per epoch without materialising a permutation (a dataset can hold
 * billions of samples). A Feistel network permutes the smallest power of two (at least 4) that
 * covers the range, with halves of floor(bits/2) and ceil(bits/2) bits that trade places every
 * round; cycle walking (applying it again while the result falls outside the range) restricts
 * it to [0, size). The domain is under twice the size, so a lookup takes fewer than two network
 * passes on average. The same (size, key) always gives the same order. */
#ifndef MLPS_TRAINING_PERMUTE_H
#define MLPS_TRAINING_PERMUTE_H

#include <stdint.h>

typedef struct mlps_permutation {
    uint64_t size;      /* the range [0, size) being permuted */
    uint64_t key;       /* selects the permutation */
    unsigned bits;      /* the network permutes [0, 2^bits); 0 when size <= 1 */
} mlps_permutation;

/* A permutation of [0, size) chosen by key. Cheap (no allocation, a few operations), so a
 * caller may build one per lookup. */
void mlps_permutation_init(mlps_permutation *permutation, uint64_t size, uint64_t key);

/* The image of index (which must be below size). */
uint64_t mlps_permutation_apply(const mlps_permutation *permutation, uint64_t index);

/* The index whose image is value: mlps_permutation_apply(p, mlps_permutation_invert(p, v)) == v. */
uint64_t mlps_permutation_invert(const mlps_permutation *permutation, uint64_t value);

/* A 64-bit mix of two words (splitmix64's finaliser over their combination): derives
 * independent keys from a seed and a purpose, an epoch or a window number. */
uint64_t mlps_key_mix(uint64_t a, uint64_t b);

#endif
