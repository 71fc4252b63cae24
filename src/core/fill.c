/* Buffer filling (see fill.h for the byte layout). The hot path is one 4 KiB block of four
 * xoshiro256++ lanes held in two 128-bit vectors: 32 bytes per step, no branches inside a
 * block, stores through memcpy so that any buffer alignment works. */
#include "core/fill.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/log.h"
#include "core/rng.h"

/* Two 64-bit lanes per vector: the width every x86-64 and AArch64 target has natively, so
 * the generator needs no target-specific flags; two vectors give four independent lanes,
 * enough parallel work to hide the latency of each step. The halves are named fields, not
 * an array, so that the compiler keeps all eight state vectors in registers. */
typedef uint64_t fill_u64x2 __attribute__((vector_size(16)));

#define FILL_LANES 4
#define FILL_GROUP_BYTES (FILL_LANES * sizeof(uint64_t))
#define FILL_GOLDEN_GAMMA UINT64_C(0x9e3779b97f4a7c15)

/* xoshiro256++ state of two lanes. */
typedef struct fill_half {
    fill_u64x2 s0, s1, s2, s3;
} fill_half;

/* Lanes 0-1 in lo, 2-3 in hi; one step of both writes a 32-byte group. */
typedef struct fill_lanes {
    fill_half lo, hi;
} fill_lanes;

/* What a block's generator state is derived from: the (seed, stream) part, computed once
 * per call rather than once per block. */
typedef struct fill_stream_key {
    fill_lanes shared; /* s0 and s1 of every lane; s2 and s3 unused */
    uint64_t block_key2, block_key3;
} fill_stream_key;

/* The splitmix64 finalizer: a bijection of 64-bit words that spreads every input bit. */
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline fill_u64x2 mix64x2(fill_u64x2 z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline fill_u64x2 rotl64x2(fill_u64x2 x, int k) { return (x << k) | (x >> (64 - k)); }

static void fill_stream_key_init(fill_stream_key *key, uint64_t seed, uint64_t stream)
{
    uint64_t sm = mix64(mix64(seed ^ UINT64_C(0x6a09e667f3bcc908)) ^ stream);
    fill_half *halves[2] = {&key->shared.lo, &key->shared.hi};
    for (int lane = 0; lane < FILL_LANES; lane++) {
        halves[lane / 2]->s0[lane % 2] = mlps_splitmix64_next(&sm);
        halves[lane / 2]->s1[lane % 2] = mlps_splitmix64_next(&sm);
    }
    key->block_key2 = mlps_splitmix64_next(&sm);
    key->block_key3 = mlps_splitmix64_next(&sm);
}

/* Two of the four state words depend on the block through a bijection of
 * (block * lanes + lane), so distinct blocks of a stream always start from distinct states. */
static inline fill_half fill_half_for_block(const fill_half *shared,
                                            const fill_stream_key *key, uint64_t first_lane)
{
    fill_u64x2 counter = ((fill_u64x2){0, 1} + first_lane) * FILL_GOLDEN_GAMMA;
    return (fill_half){.s0 = shared->s0,
                       .s1 = shared->s1,
                       .s2 = mix64x2(counter + key->block_key2),
                       .s3 = mix64x2(counter + key->block_key3)};
}

static inline fill_lanes fill_lanes_for_block(const fill_stream_key *key, uint64_t block)
{
    return (fill_lanes){.lo = fill_half_for_block(&key->shared.lo, key, block * FILL_LANES),
                        .hi = fill_half_for_block(&key->shared.hi, key, block * FILL_LANES + 2)};
}

static inline fill_u64x2 fill_half_next(fill_half *g)
{
    fill_u64x2 result = rotl64x2(g->s0 + g->s3, 23) + g->s0;
    fill_u64x2 t = g->s1 << 17;
    g->s2 ^= g->s0;
    g->s3 ^= g->s1;
    g->s1 ^= g->s2;
    g->s0 ^= g->s3;
    g->s2 ^= t;
    g->s3 = rotl64x2(g->s3, 45);
    return result;
}

/* Writes the next 32-byte group to dst (any alignment). */
static inline void fill_lanes_store_next(fill_lanes *g, uint8_t *dst)
{
    fill_u64x2 lo = fill_half_next(&g->lo);
    fill_u64x2 hi = fill_half_next(&g->hi);
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
    fill_lanes g = fill_lanes_for_block(key, block);
    size_t group_start = from - from % FILL_GROUP_BYTES;
    for (size_t skipped = 0; skipped < group_start; skipped += FILL_GROUP_BYTES) {
        (void)fill_half_next(&g.lo);
        (void)fill_half_next(&g.hi);
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

size_t mlps_fill_random_bytes_per_block(double compress_ratio)
{
    if (!(compress_ratio > 1.0))
        return MLPS_FILL_BLOCK_BYTES;
    double random_bytes = round((double)MLPS_FILL_BLOCK_BYTES / compress_ratio);
    return random_bytes < 1.0 ? 1 : (size_t)random_bytes;
}

/* The common core: bytes [offset, offset + len) where each block starts with
 * random_per_block random bytes followed by zeros. */
static void fill_range(uint8_t *dst, size_t len, const fill_stream_key *key, uint64_t offset,
                       size_t random_per_block)
{
    while (len > 0) {
        uint64_t block = offset / MLPS_FILL_BLOCK_BYTES;
        size_t from = (size_t)(offset % MLPS_FILL_BLOCK_BYTES);
        size_t to = MLPS_FILL_BLOCK_BYTES - from < len ? MLPS_FILL_BLOCK_BYTES : from + len;
        size_t random_end = to < random_per_block ? to : random_per_block;
        if (from < random_end)
            fill_block_random(dst, key, block, from, random_end);
        size_t zero_from = from > random_end ? from : random_end;
        if (zero_from < to)
            memset(dst + (zero_from - from), 0, to - zero_from);
        dst += to - from;
        len -= to - from;
        offset += to - from;
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
