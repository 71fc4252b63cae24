/* Deterministic buffer contents for writes: incompressible random bytes, or bytes that a
 * compressor shrinks by a chosen ratio. The bytes are a pure function of (seed, stream,
 * logical byte offset), so a file can be produced in one call, piece by piece, or by many
 * threads, and the result is identical; a later reader can regenerate and verify it.
 *
 * Layout: the logical byte stream is cut into 4 KiB blocks. Block b of (seed, stream) is
 * produced by four xoshiro256++ lanes: a stream key k = mix(mix(seed ^ c) ^ stream) seeds a
 * splitmix64 sequence giving words 0 and 1 of lanes 0..3 and two block keys; words 2 and 3
 * of lane l are mix((4b + l) * golden + block key). Each 32-byte group of the block holds
 * one output of every lane (lane l at bytes 8l..8l+7, host byte order). Keying every
 * block separately makes any offset cheap to start from and lets threads split work on
 * any block boundary. */
#ifndef MLPS_CORE_FILL_H
#define MLPS_CORE_FILL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* The unit keyed by its own generator state, and the unit of compressibility. */
#define MLPS_FILL_BLOCK_BYTES 4096u
/* The work unit handed to one thread at a time by mlps_fill_parallel. */
#define MLPS_FILL_CHUNK_BYTES (1u << 20)
#define MLPS_FILL_MAX_THREADS 1024u

/* Incompressible bytes [0, len) of (seed, stream). */
void mlps_fill_random(void *buf, size_t len, uint64_t seed, uint64_t stream);

/* Bytes [byte_offset, byte_offset + len) of (seed, stream): filling a file piece by piece
 * with this gives the same bytes as one mlps_fill_random over the whole file. */
void mlps_fill_random_at(void *buf, size_t len, uint64_t seed, uint64_t stream,
                         uint64_t byte_offset);

/* Compressible bytes: in every 4 KiB block the first round(4096 / compress_ratio) bytes are
 * the random bytes mlps_fill_random would put there and the rest are zeros, so a
 * compressor's output is about len / compress_ratio. A ratio <= 1 (or NaN) gives exactly
 * mlps_fill_random's bytes. */
void mlps_fill_compressible(void *buf, size_t len, double compress_ratio, uint64_t seed,
                            uint64_t stream);
void mlps_fill_compressible_at(void *buf, size_t len, double compress_ratio, uint64_t seed,
                               uint64_t stream, uint64_t byte_offset);

/* Number of random (non-zero-filled) bytes at the start of each 4 KiB block for a ratio. */
size_t mlps_fill_random_bytes_per_block(double compress_ratio);

/* Fills buf with stream 0 of seed using `threads` threads (the caller counts as one) that
 * take 1 MiB chunks in turn. The bytes equal mlps_fill_compressible(buf, len,
 * compress_ratio, seed, 0) whatever the thread count; compress_ratio <= 1 means
 * incompressible. Returns 0, or -EINVAL (usage error) when threads is 0 or above
 * MLPS_FILL_MAX_THREADS or compress_ratio is NaN. If threads cannot be started, the
 * calling thread does their share. */
int mlps_fill_parallel(void *buf, size_t len, uint64_t seed, unsigned threads,
                       double compress_ratio, mlps_error *err);

#endif
