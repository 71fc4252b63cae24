/* What the s3:// backend tells beyond the store interface: how many requests it had to try again
 * (connection errors, 5xx, 429, SlowDown), for the run's results. */
#ifndef MLPS_IO_S3_H
#define MLPS_IO_S3_H

#include <stdint.h>

#include "io/store.h"

/* Retries made by the store so far; 0 for a store of another scheme. */
uint64_t mlps_store_s3_retries(const mlps_store *store);

#endif
