/* CRC-32 by carry-less multiplication (see crc32.h).
 *
 * Folding: a 16-byte block R, read little-endian, is a polynomial of degree < 128 whose bit i
 * is the coefficient of x^(127-i) (the reflected bit order of the ZIP CRC). Moving R forward
 * over D more message bits means replacing it with something congruent to R * x^D modulo the
 * CRC polynomial P. With R = H * x^64 + L (H is R's first eight bytes),
 * R * x^D == H * (x^(64+D) mod P) + L * (x^D mod P); each product is one PCLMULQDQ, whose
 * reflected result comes out shifted by one bit, so the constants are x^(64+D-1) and x^(D-1)
 * mod P, stored reflected (coefficient of x^d at bit 63-d). Four blocks are carried at once
 * (D = 512) for throughput, then merged into one (D = 384, 256, 128) and folded forward over
 * whatever whole blocks remain.
 *
 * The incoming CRC is taken in by XORing its register into the first four bytes, so the folded
 * 16 bytes end up with the same remainder as the whole message from a zero register; zlib
 * then reduces those 16 bytes and any tail shorter than a block, which avoids a separate
 * Barrett reduction and keeps zlib the judge of the final value. */
#include "formats/crc32.h"

#include <zlib.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CRC32_X86_PATH 1
#endif

/* Below this, zlib is as fast as setting up the fold. */
#define CRC32_FOLD_MIN_BYTES 256u

static uint32_t crc32_zlib(uint32_t crc, const void *data, size_t len)
{
    return (uint32_t)crc32_z(crc, data, len);
}

#ifdef CRC32_X86_PATH
/* Constants (reflected): {x^(64+D-1) mod P, x^(D-1) mod P} for the first and second eight
 * bytes of a block, for D = 512, 384, 256 and 128 bits. */
#define CRC32_K512_FIRST UINT64_C(0x653d982200000000)
#define CRC32_K512_SECOND UINT64_C(0xcad38e8f00000000)
#define CRC32_K384_FIRST UINT64_C(0x69ccfc0d00000000)
#define CRC32_K384_SECOND UINT64_C(0x2a28386200000000)
#define CRC32_K256_FIRST UINT64_C(0x9570d49500000000)
#define CRC32_K256_SECOND UINT64_C(0x01b5fd1d00000000)
#define CRC32_K128_FIRST UINT64_C(0x65673b4600000000)
#define CRC32_K128_SECOND UINT64_C(0x9ba54c6f00000000)

#define CRC32_FOLD_TARGET __attribute__((target("pclmul,sse4.1")))

CRC32_FOLD_TARGET static inline __m128i fold_forward(__m128i block, __m128i k)
{
    return _mm_xor_si128(_mm_clmulepi64_si128(block, k, 0x00),
                         _mm_clmulepi64_si128(block, k, 0x11));
}

CRC32_FOLD_TARGET static inline __m128i load_block(const unsigned char *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* len >= 64. */
CRC32_FOLD_TARGET static uint32_t crc32_fold(uint32_t crc, const unsigned char *p, size_t len)
{
    const __m128i k512 = _mm_set_epi64x((long long)CRC32_K512_SECOND, (long long)CRC32_K512_FIRST);
    const __m128i k384 = _mm_set_epi64x((long long)CRC32_K384_SECOND, (long long)CRC32_K384_FIRST);
    const __m128i k256 = _mm_set_epi64x((long long)CRC32_K256_SECOND, (long long)CRC32_K256_FIRST);
    const __m128i k128 = _mm_set_epi64x((long long)CRC32_K128_SECOND, (long long)CRC32_K128_FIRST);
    __m128i a0 = _mm_xor_si128(load_block(p), _mm_cvtsi32_si128((int)~crc));
    __m128i a1 = load_block(p + 16), a2 = load_block(p + 32), a3 = load_block(p + 48);
    for (p += 64, len -= 64; len >= 64; p += 64, len -= 64) {
        a0 = _mm_xor_si128(fold_forward(a0, k512), load_block(p));
        a1 = _mm_xor_si128(fold_forward(a1, k512), load_block(p + 16));
        a2 = _mm_xor_si128(fold_forward(a2, k512), load_block(p + 32));
        a3 = _mm_xor_si128(fold_forward(a3, k512), load_block(p + 48));
    }
    __m128i r = _mm_xor_si128(_mm_xor_si128(fold_forward(a0, k384), fold_forward(a1, k256)),
                              _mm_xor_si128(fold_forward(a2, k128), a3));
    for (; len >= 16; p += 16, len -= 16)
        r = _mm_xor_si128(fold_forward(r, k128), load_block(p));
    unsigned char folded[16];
    _mm_storeu_si128((__m128i *)(void *)folded, r);
    /* From a zero register: zlib's pre-inversion of 0xffffffff. */
    uint32_t c = crc32_zlib(UINT32_MAX, folded, sizeof folded);
    return len ? crc32_zlib(c, p, len) : c;
}
#endif

uint32_t mlps_crc32_update(uint32_t crc, const void *data, size_t len)
{
#ifdef CRC32_X86_PATH
    if (len >= CRC32_FOLD_MIN_BYTES && __builtin_cpu_supports("pclmul"))
        return crc32_fold(crc, data, len);
#endif
    return crc32_zlib(crc, data, len);
}
