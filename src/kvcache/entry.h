/* The bytes of one KV-cache entry and its .npy framing (spec 30 §2). An entry's data is a pure
 * function of (global seed, key): the per-key seed is the first 8 bytes of SHA-256(key), read
 * little-endian, XOR the global seed; the bytes are generated from it block by block (no shared
 * noise buffer to copy from, so any byte range can be produced on demand, by any thread, without
 * holding the whole entry), then stamped against deduplication: every byte is XORed with a
 * 4096-byte stamp drawn from the key's seed, at its offset modulo 4096, and the first 8 bytes of
 * every full 4 KiB block i are XORed with i (little-endian). */
#ifndef MLPS_KVCACHE_ENTRY_H
#define MLPS_KVCACHE_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "kvcache/model.h"

#define MLPS_KV_STAMP_BYTES 4096u

typedef struct mlps_kv_entry_gen {
    uint64_t seed;        /* the per-key seed */
    uint64_t total_bytes; /* the entry's size: only full blocks get their index stamped */
    uint8_t stamp[MLPS_KV_STAMP_BYTES];
} mlps_kv_entry_gen;

/* (first 8 bytes of SHA-256(key) as a little-endian u64) XOR global_seed. */
uint64_t mlps_kv_entry_seed(uint64_t global_seed, const char *key);

void mlps_kv_entry_gen_init(mlps_kv_entry_gen *gen, uint64_t global_seed, const char *key,
                            uint64_t total_bytes);

/* Bytes [offset, offset + len) of the entry; any split gives the same bytes. */
void mlps_kv_entry_fill(const mlps_kv_entry_gen *gen, void *buf, size_t len, uint64_t offset);

/* The NumPy v1.0 header for an entry's array: magic, version, length, then the dict
 * {'descr': '<f2' or '<f4', 'fortran_order': False, 'shape': (...), } padded with spaces and a
 * final newline to a multiple of 64 bytes (128 for the 5-D shapes). Returns its length, or 0
 * when cap is too small. */
#define MLPS_KV_NPY_HEADER_MAX 256
size_t mlps_kv_npy_header(const mlps_kv_entry_shape *shape, char *out, size_t cap);

#endif
