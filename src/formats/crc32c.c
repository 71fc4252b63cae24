/* CRC32C: the SSE4.2 crc32 instruction on x86-64 (checked at run time), the ARMv8 CRC
 * instructions where the compiler targets them, and a slicing-by-8 table everywhere else. The
 * table is a constant of the polynomial; it is computed once on first use rather than spelled
 * out as 2048 literals. */
#include "formats/crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#define CRC32C_X86_PATH 1
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#define CRC32C_ARM_PATH 1
#endif

#define CRC32C_POLY_REFLECTED UINT32_C(0x82f63b78)

static uint32_t crc32c_table[8][256];
static pthread_once_t crc32c_table_once = PTHREAD_ONCE_INIT;

/* table[0] is the classic byte-at-a-time table; table[k][b] is the CRC of byte b followed by
 * k zero bytes, which lets eight input bytes be folded with eight independent lookups. */
static void crc32c_table_build(void)
{
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ ((crc & 1) ? CRC32C_POLY_REFLECTED : 0);
        crc32c_table[0][byte] = crc;
    }
    for (int k = 1; k < 8; k++)
        for (uint32_t byte = 0; byte < 256; byte++) {
            uint32_t prev = crc32c_table[k - 1][byte];
            crc32c_table[k][byte] = (prev >> 8) ^ crc32c_table[0][prev & 0xff];
        }
}

static inline uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint32_t mlps_crc32c_update_portable(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc32c_table_once, crc32c_table_build);
    const unsigned char *p = data;
    uint32_t c = ~crc;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t word = load_le64(p) ^ c;
        c = crc32c_table[7][word & 0xff] ^ crc32c_table[6][(word >> 8) & 0xff] ^
            crc32c_table[5][(word >> 16) & 0xff] ^ crc32c_table[4][(word >> 24) & 0xff] ^
            crc32c_table[3][(word >> 32) & 0xff] ^ crc32c_table[2][(word >> 40) & 0xff] ^
            crc32c_table[1][(word >> 48) & 0xff] ^ crc32c_table[0][word >> 56];
    }
    for (; len; p++, len--)
        c = (c >> 8) ^ crc32c_table[0][(c ^ *p) & 0xff];
    return ~c;
}

#ifdef CRC32C_X86_PATH
__attribute__((target("sse4.2"))) static uint32_t crc32c_update_sse42(uint32_t crc,
                                                                      const void *data,
                                                                      size_t len)
{
    const unsigned char *p = data;
    uint64_t c = ~crc;
    for (; len && ((uintptr_t)p & 7); p++, len--)
        c = _mm_crc32_u8((uint32_t)c, *p);
    /* Four independent-latency steps per iteration keep the unit busy without the
     * complexity of interleaved streams and recombination. */
    for (; len >= 32; p += 32, len -= 32) {
        uint64_t w[4];
        memcpy(w, p, sizeof w);
        c = _mm_crc32_u64(c, w[0]);
        c = _mm_crc32_u64(c, w[1]);
        c = _mm_crc32_u64(c, w[2]);
        c = _mm_crc32_u64(c, w[3]);
    }
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof w);
        c = _mm_crc32_u64(c, w);
    }
    for (; len; p++, len--)
        c = _mm_crc32_u8((uint32_t)c, *p);
    return ~(uint32_t)c;
}
#endif

#ifdef CRC32C_ARM_PATH
static uint32_t crc32c_update_arm(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t c = ~crc;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof w);
        c = __crc32cd(c, w);
    }
    for (; len; p++, len--)
        c = __crc32cb(c, *p);
    return ~c;
}
#endif

uint32_t mlps_crc32c_update(uint32_t crc, const void *data, size_t len)
{
#if defined(CRC32C_X86_PATH)
    if (__builtin_cpu_supports("sse4.2"))
        return crc32c_update_sse42(crc, data, len);
#elif defined(CRC32C_ARM_PATH)
    return crc32c_update_arm(crc, data, len);
#endif
    return mlps_crc32c_update_portable(crc, data, len);
}
