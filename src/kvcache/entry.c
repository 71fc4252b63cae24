/* KV-cache entry bytes and .npy framing (see entry.h). The random bytes come from the shared
 * block-keyed filler (core/fill.h) with the per-key seed, produced in small pieces that are
 * stamped while still in cache. */
#include "kvcache/entry.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/fill.h"
#include "core/rng.h"

/* Pieces small enough to stay in L2 between filling and stamping. */
#define ENTRY_PIECE_BYTES (64u * 1024u)

uint64_t mlps_kv_entry_seed(uint64_t global_seed, const char *key)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    uint64_t head = 0;
    if (EVP_Digest(key, strlen(key), digest, &digest_len, EVP_sha256(), NULL) == 1)
        for (int i = 7; i >= 0; i--)
            head = (head << 8) | digest[i];
    return head ^ global_seed;
}

void mlps_kv_entry_gen_init(mlps_kv_entry_gen *gen, uint64_t global_seed, const char *key,
                            uint64_t total_bytes)
{
    gen->seed = mlps_kv_entry_seed(global_seed, key);
    gen->total_bytes = total_bytes;
    mlps_rng rng;
    mlps_rng_seed(&rng, gen->seed);
    for (size_t i = 0; i < MLPS_KV_STAMP_BYTES; i += sizeof(uint64_t)) {
        uint64_t word = mlps_rng_next(&rng);
        memcpy(gen->stamp + i, &word, sizeof word);
    }
}

typedef uint64_t u64x2 __attribute__((vector_size(16)));

/* dst ^= src over len bytes, 16 at a time (any alignment): the stamp must cost little next to
 * generating the bytes. */
static void xor_bytes(uint8_t *dst, const uint8_t *src, size_t len)
{
    size_t i = 0;
    for (; i + sizeof(u64x2) <= len; i += sizeof(u64x2)) {
        u64x2 a, b;
        memcpy(&a, dst + i, sizeof a);
        memcpy(&b, src + i, sizeof b);
        a ^= b;
        memcpy(dst + i, &a, sizeof a);
    }
    for (; i < len; i++)
        dst[i] ^= src[i];
}

/* XORs the stamp (and, for a full block, its index) into bytes [from, to) of block `block`,
 * which sit at dst. */
static void stamp_block_part(const mlps_kv_entry_gen *gen, uint8_t *dst, uint64_t block,
                             size_t from, size_t to)
{
    xor_bytes(dst, gen->stamp + from, to - from);
    bool full = (block + 1) * MLPS_KV_STAMP_BYTES <= gen->total_bytes;
    if (!full || from >= sizeof(uint64_t))
        return;
    for (size_t b = from; b < sizeof(uint64_t) && b < to; b++)
        dst[b - from] ^= (uint8_t)(block >> (8 * b));
}

static void stamp_range(const mlps_kv_entry_gen *gen, uint8_t *dst, size_t len, uint64_t offset)
{
    while (len > 0) {
        uint64_t block = offset / MLPS_KV_STAMP_BYTES;
        size_t from = (size_t)(offset % MLPS_KV_STAMP_BYTES);
        size_t part = MLPS_KV_STAMP_BYTES - from;
        if (part > len)
            part = len;
        stamp_block_part(gen, dst, block, from, from + part);
        dst += part;
        offset += part;
        len -= part;
    }
}

void mlps_kv_entry_fill(const mlps_kv_entry_gen *gen, void *buf, size_t len, uint64_t offset)
{
    uint8_t *dst = buf;
    while (len > 0) {
        size_t piece = len < ENTRY_PIECE_BYTES ? len : ENTRY_PIECE_BYTES;
        mlps_fill_random_at(dst, piece, gen->seed, 0, offset);
        stamp_range(gen, dst, piece, offset);
        dst += piece;
        offset += piece;
        len -= piece;
    }
}

/* "(12, 2, 10, 4, 128)", "(7,)" */
static int format_shape(const mlps_kv_entry_shape *shape, char *out, size_t cap)
{
    size_t used = 0;
    int n = snprintf(out, cap, "(");
    for (int i = 0; n >= 0 && i < shape->ndims; i++) {
        used += (size_t)n;
        if (used >= cap)
            return -1;
        n = snprintf(out + used, cap - used, "%s%llu", i ? ", " : "",
                     (unsigned long long)shape->dims[i]);
    }
    if (n < 0)
        return -1;
    used += (size_t)n;
    if (used >= cap)
        return -1;
    n = snprintf(out + used, cap - used, "%s", shape->ndims == 1 ? ",)" : ")");
    return n < 0 || used + (size_t)n >= cap ? -1 : 0;
}

size_t mlps_kv_npy_header(const mlps_kv_entry_shape *shape, char *out, size_t cap)
{
    static const char magic[] = "\x93NUMPY\x01\x00";
    enum { PREAMBLE = 10, ALIGN = 64 };
    char shape_text[128], dict[MLPS_KV_NPY_HEADER_MAX];
    if (format_shape(shape, shape_text, sizeof shape_text) != 0)
        return 0;
    int dict_len = snprintf(dict, sizeof dict,
                            "{'descr': '<f%d', 'fortran_order': False, 'shape': %s, }",
                            shape->element_bytes, shape_text);
    if (dict_len < 0 || (size_t)dict_len >= sizeof dict)
        return 0;
    size_t total = PREAMBLE + (size_t)dict_len + 1; /* + the final newline */
    total = (total + ALIGN - 1) / ALIGN * ALIGN;
    if (total > cap || total - PREAMBLE > 0xffff)
        return 0;
    size_t header_len = total - PREAMBLE;
    memcpy(out, magic, 8);
    out[8] = (char)(header_len & 0xff);
    out[9] = (char)(header_len >> 8);
    memcpy(out + PREAMBLE, dict, (size_t)dict_len);
    memset(out + PREAMBLE + dict_len, ' ', total - PREAMBLE - (size_t)dict_len - 1);
    out[total - 1] = '\n';
    return total;
}
