/* Buffer filling (see fill.h for the byte layout). The hot path fills 4 KiB blocks from
 * four xoshiro256++ lanes held in vector registers, 32 bytes per step, with no branches
 * inside a block and stores through memcpy so that any buffer alignment works.
 *
 * Two representations of the four lanes produce the same bytes:
 *  - portable: two 128-bit vectors of two lanes (SSE2, NEON), which keeps all state in
 *    registers and two dependency chains in flight;
 *  - x86-64 with AVX2 (checked at run time): one 256-bit vector of four lanes, with two
 *    blocks generated side by side so that again two chains are in flight. */
#include "core/fill.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/log.h"
#include "core/rng.h"

#define FILL_LANES 4
#define FILL_GROUP_BYTES (FILL_LANES * sizeof(uint64_t))
#define FILL_GOLDEN_GAMMA UINT64_C(0x9e3779b97f4a7c15)

#if defined(__x86_64__) && defined(__GNUC__)
#define FILL_AVX2_PATH 1
#endif

/* What a block's generator state is derived from: the (seed, stream) part, computed once
 * per call rather than once per block. */
typedef struct fill_stream_key {
    uint64_t s0[FILL_LANES], s1[FILL_LANES]; /* shared by every block of the stream */
    uint64_t block_key2, block_key3;
} fill_stream_key;

/* The splitmix64 finalizer: a bijection of 64-bit words that spreads every input bit. */
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void fill_stream_key_init(fill_stream_key *key, uint64_t seed, uint64_t stream)
{
    uint64_t sm = mix64(mix64(seed ^ UINT64_C(0x6a09e667f3bcc908)) ^ stream);
    for (int lane = 0; lane < FILL_LANES; lane++) {
        key->s0[lane] = mlps_splitmix64_next(&sm);
        key->s1[lane] = mlps_splitmix64_next(&sm);
    }
    key->block_key2 = mlps_splitmix64_next(&sm);
    key->block_key3 = mlps_splitmix64_next(&sm);
}

/* Defines, for a vector type `vec` of `width` lanes, the state type `name` and:
 *   name_init(g, key, block, first_lane)  lanes first_lane.. of `block`;
 *   name_next(g)                          one xoshiro256++ step of every lane.
 * Two of the four state words depend on the block through a bijection of
 * (block * 4 + lane), so distinct blocks of a stream always start from distinct states.
 * One definition serves both widths, so the representations cannot drift apart. */
#define FILL_DEFINE_LANES(name, vec, width, attributes)                                      \
    typedef struct name {                                                                    \
        vec s0, s1, s2, s3;                                                                  \
    } name;                                                                                  \
                                                                                             \
    attributes static inline __attribute__((always_inline)) vec name##_rotl(vec x, int k)    \
    {                                                                                        \
        return (x << k) | (x >> (64 - k));                                                   \
    }                                                                                        \
                                                                                             \
    attributes static inline __attribute__((always_inline)) vec name##_mix64(vec z)          \
    {                                                                                        \
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);                                  \
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);                                  \
        return z ^ (z >> 31);                                                                \
    }                                                                                        \
                                                                                             \
    attributes static inline __attribute__((always_inline)) void name##_init(                \
        name *g, const fill_stream_key *key, uint64_t block, int first_lane)                 \
    {                                                                                        \
        vec counter;                                                                         \
        for (int i = 0; i < (width); i++)                                                    \
            counter[i] = (block * FILL_LANES + (uint64_t)(first_lane + i)) * FILL_GOLDEN_GAMMA; \
        memcpy(&g->s0, key->s0 + first_lane, sizeof(vec));                                  \
        memcpy(&g->s1, key->s1 + first_lane, sizeof(vec));                                  \
        g->s2 = name##_mix64(counter + key->block_key2);                                     \
        g->s3 = name##_mix64(counter + key->block_key3);                                     \
    }                                                                                        \
                                                                                             \
    attributes static inline __attribute__((always_inline)) vec name##_next(name *g)         \
    {                                                                                        \
        vec result = name##_rotl(g->s0 + g->s3, 23) + g->s0;                                 \
        vec t = g->s1 << 17;                                                                 \
        g->s2 ^= g->s0;                                                                      \
        g->s3 ^= g->s1;                                                                      \
        g->s1 ^= g->s2;                                                                      \
        g->s0 ^= g->s3;                                                                      \
        g->s2 ^= t;                                                                          \
        g->s3 = name##_rotl(g->s3, 45);                                                      \
        return result;                                                                       \
    }

typedef uint64_t fill_u64x2 __attribute__((vector_size(16)));
FILL_DEFINE_LANES(fill_x2, fill_u64x2, 2, )

/* The portable representation: lanes 0-1 in lo, 2-3 in hi. Named fields rather than an
 * array, so that the compiler keeps all eight state vectors in registers. */
typedef struct fill_lanes {
    fill_x2 lo, hi;
} fill_lanes;

static inline void fill_lanes_init(fill_lanes *g, const fill_stream_key *key, uint64_t block)
{
    fill_x2_init(&g->lo, key, block, 0);
    fill_x2_init(&g->hi, key, block, 2);
}

/* Writes the next 32-byte group to dst (any alignment). */
static inline void fill_lanes_store_next(fill_lanes *g, uint8_t *dst)
{
    fill_u64x2 lo = fill_x2_next(&g->lo);
    fill_u64x2 hi = fill_x2_next(&g->hi);
    memcpy(dst, &lo, sizeof lo);
    memcpy(dst + sizeof lo, &hi, sizeof hi);
}

/* Copies bytes [from, to) of the next group, for block parts not on a group boundary. */
static void fill_lanes_copy_next(fill_lanes *g, uint8_t *dst, size_t from, size_t to)
{
    uint8_t group[FILL_GROUP_BYTES];
    fill_lanes_store_next(g, group);
    memcpy(dst, group + from, to - from);
}

/* Writes bytes [from, to) of one block's random sequence to dst (dst holds byte `from`). */
static void fill_block_random(uint8_t *dst, const fill_stream_key *key, uint64_t block,
                              size_t from, size_t to)
{
    fill_lanes g;
    fill_lanes_init(&g, key, block);
    size_t group_start = from - from % FILL_GROUP_BYTES;
    for (size_t skipped = 0; skipped < group_start; skipped += FILL_GROUP_BYTES) {
        (void)fill_x2_next(&g.lo);
        (void)fill_x2_next(&g.hi);
    }
    if (from > group_start) {
        size_t end = to < group_start + FILL_GROUP_BYTES ? to : group_start + FILL_GROUP_BYTES;
        fill_lanes_copy_next(&g, dst, from - group_start, end - group_start);
        dst += end - from;
        from = end;
    }
    for (; from + FILL_GROUP_BYTES <= to; from += FILL_GROUP_BYTES) {
        fill_lanes_store_next(&g, dst);
        dst += FILL_GROUP_BYTES;
    }
    if (from < to)
        fill_lanes_copy_next(&g, dst, 0, to - from);
}

#ifdef FILL_AVX2_PATH
typedef uint64_t fill_u64x4 __attribute__((vector_size(32)));
FILL_DEFINE_LANES(fill_x4, fill_u64x4, 4, __attribute__((target("avx2"))))

/* Writes bytes [0, to) of blocks `block` and `block + 1` to dst and dst + 4 KiB, the two
 * generators' steps interleaved so that one block's chain runs while the other's waits.
 * (The portable representation has too few registers for this.) */
__attribute__((target("avx2"))) static void
fill_block_pair_random_avx2(uint8_t *dst, const fill_stream_key *key, uint64_t block, size_t to)
{
    fill_x4 first, second;
    fill_x4_init(&first, key, block, 0);
    fill_x4_init(&second, key, block + 1, 0);
    uint8_t *second_dst = dst + MLPS_FILL_BLOCK_BYTES;
    size_t from = 0;
    for (; from + FILL_GROUP_BYTES <= to; from += FILL_GROUP_BYTES) {
        fill_u64x4 a = fill_x4_next(&first), b = fill_x4_next(&second);
        memcpy(dst + from, &a, FILL_GROUP_BYTES);
        memcpy(second_dst + from, &b, FILL_GROUP_BYTES);
    }
    if (from < to) {
        fill_u64x4 a = fill_x4_next(&first), b = fill_x4_next(&second);
        memcpy(dst + from, &a, to - from);
        memcpy(second_dst + from, &b, to - from);
    }
}
#endif

/* Bytes [0, to) of two consecutive blocks, the second at dst + 4 KiB. */
static void fill_block_pair_random(uint8_t *dst, const fill_stream_key *key, uint64_t block,
                                   size_t to)
{
#ifdef FILL_AVX2_PATH
    if (__builtin_cpu_supports("avx2")) {
        fill_block_pair_random_avx2(dst, key, block, to);
        return;
    }
#endif
    fill_block_random(dst, key, block, 0, to);
    fill_block_random(dst + MLPS_FILL_BLOCK_BYTES, key, block + 1, 0, to);
}

size_t mlps_fill_random_bytes_per_block(double compress_ratio)
{
    if (!(compress_ratio > 1.0))
        return MLPS_FILL_BLOCK_BYTES;
    double random_bytes = round((double)MLPS_FILL_BLOCK_BYTES / compress_ratio);
    return random_bytes < 1.0 ? 1 : (size_t)random_bytes;
}

/* Bytes [from, to) of one block: random below random_per_block, zeros above. */
static void fill_block_part(uint8_t *dst, const fill_stream_key *key, uint64_t block,
                            size_t from, size_t to, size_t random_per_block)
{
    size_t random_end = to < random_per_block ? to : random_per_block;
    if (from < random_end)
        fill_block_random(dst, key, block, from, random_end);
    size_t zero_from = from > random_end ? from : random_end;
    if (zero_from < to)
        memset(dst + (zero_from - from), 0, to - zero_from);
}

/* The common core: bytes [offset, offset + len) where each block starts with
 * random_per_block random bytes followed by zeros. Whole blocks go two at a time. */
static void fill_range(uint8_t *dst, size_t len, const fill_stream_key *key, uint64_t offset,
                       size_t random_per_block)
{
    while (len > 0) {
        uint64_t block = offset / MLPS_FILL_BLOCK_BYTES;
        size_t from = (size_t)(offset % MLPS_FILL_BLOCK_BYTES);
        size_t done;
        if (from == 0 && len >= 2 * MLPS_FILL_BLOCK_BYTES) {
            fill_block_pair_random(dst, key, block, random_per_block);
            size_t zeros = MLPS_FILL_BLOCK_BYTES - random_per_block;
            if (zeros > 0) {
                memset(dst + random_per_block, 0, zeros);
                memset(dst + MLPS_FILL_BLOCK_BYTES + random_per_block, 0, zeros);
            }
            done = 2 * MLPS_FILL_BLOCK_BYTES;
        } else {
            size_t to = MLPS_FILL_BLOCK_BYTES - from < len ? MLPS_FILL_BLOCK_BYTES : from + len;
            fill_block_part(dst, key, block, from, to, random_per_block);
            done = to - from;
        }
        dst += done;
        len -= done;
        offset += done;
    }
}

void mlps_fill_compressible_at(void *buf, size_t len, double compress_ratio, uint64_t seed,
                               uint64_t stream, uint64_t byte_offset)
{
    fill_stream_key key;
    fill_stream_key_init(&key, seed, stream);
    fill_range(buf, len, &key, byte_offset, mlps_fill_random_bytes_per_block(compress_ratio));
}

void mlps_fill_compressible(void *buf, size_t len, double compress_ratio, uint64_t seed,
                            uint64_t stream)
{
    mlps_fill_compressible_at(buf, len, compress_ratio, seed, stream, 0);
}

void mlps_fill_random_at(void *buf, size_t len, uint64_t seed, uint64_t stream,
                         uint64_t byte_offset)
{
    mlps_fill_compressible_at(buf, len, 1.0, seed, stream, byte_offset);
}

void mlps_fill_random(void *buf, size_t len, uint64_t seed, uint64_t stream)
{
    mlps_fill_compressible_at(buf, len, 1.0, seed, stream, 0);
}

/* Shared by the threads of one mlps_fill_parallel call; chunks are claimed in order. */
typedef struct fill_job {
    uint8_t *buf;
    size_t len;
    fill_stream_key key;
    size_t random_per_block;
    atomic_size_t next_chunk;
} fill_job;

static void *fill_job_work(void *arg)
{
    fill_job *job = arg;
    size_t chunks = (job->len + MLPS_FILL_CHUNK_BYTES - 1) / MLPS_FILL_CHUNK_BYTES;
    for (;;) {
        size_t chunk = atomic_fetch_add_explicit(&job->next_chunk, 1, memory_order_relaxed);
        if (chunk >= chunks)
            return NULL;
        size_t start = chunk * MLPS_FILL_CHUNK_BYTES;
        size_t n = job->len - start < MLPS_FILL_CHUNK_BYTES ? job->len - start
                                                            : MLPS_FILL_CHUNK_BYTES;
        fill_range(job->buf + start, n, &job->key, start, job->random_per_block);
    }
}

int mlps_fill_parallel(void *buf, size_t len, uint64_t seed, unsigned threads,
                       double compress_ratio, mlps_error *err)
{
    if (threads == 0 || threads > MLPS_FILL_MAX_THREADS)
        return mlps_fail_usage(err, -EINVAL, "fill: thread count %u is invalid; use 1 to %u",
                               threads, MLPS_FILL_MAX_THREADS);
    if (isnan(compress_ratio))
        return mlps_fail_usage(err, -EINVAL,
                               "fill: compression ratio is NaN; use a number (<= 1 means "
                               "incompressible)");

    fill_job job = {.buf = buf, .len = len,
                    .random_per_block = mlps_fill_random_bytes_per_block(compress_ratio)};
    fill_stream_key_init(&job.key, seed, 0);
    atomic_init(&job.next_chunk, 0);

    size_t chunks = (len + MLPS_FILL_CHUNK_BYTES - 1) / MLPS_FILL_CHUNK_BYTES;
    size_t helpers = threads - 1u < chunks ? threads - 1u : (chunks > 0 ? chunks - 1 : 0);
    pthread_t tids[MLPS_FILL_MAX_THREADS];
    size_t started = 0;
    for (; started < helpers; started++) {
        int rc = pthread_create(&tids[started], NULL, fill_job_work, &job);
        if (rc != 0) {
            mlps_debug("fill: started %zu of %zu helper threads (%s); the rest of the work "
                       "runs on fewer threads", started, helpers, strerror(rc));
            break;
        }
    }
    fill_job_work(&job);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    return 0;
}
