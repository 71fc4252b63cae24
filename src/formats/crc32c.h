/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing, and
 * TFRecord's "masked" form of it. It sits on the data-generation hot path (every record's payload
 * is checksummed as it is written), so the default entry point uses the CPU's CRC32 instruction
 * when there is one and a slicing-by-8 table otherwise; both give the same values. */
#ifndef MLPS_FORMATS_CRC32C_H
#define MLPS_FORMATS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc (0 for a fresh checksum) over len bytes: crc32c(a || b) ==
 * mlps_crc32c_update(mlps_crc32c_update(0, a), b). */
uint32_t mlps_crc32c_update(uint32_t crc, const void *data, size_t len);

/* The same values, always through the portable table (for tests and for comparison). */
uint32_t mlps_crc32c_update_portable(uint32_t crc, const void *data, size_t len);

static inline uint32_t mlps_crc32c(const void *data, size_t len)
{
    return mlps_crc32c_update(0, data, len);
}

/* TFRecord stores rotate-right-15(crc) + 0xa282ead8, so that a CRC over data that itself
 * holds CRCs stays well distributed. */
static inline uint32_t mlps_crc32c_mask(uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + UINT32_C(0xa282ead8);
}

static inline uint32_t mlps_crc32c_unmask(uint32_t masked)
{
    uint32_t rotated = masked - UINT32_C(0xa282ead8);
    return (rotated >> 17) | (rotated << 15);
}

#endif
