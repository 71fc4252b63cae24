/* The --io-trace-log writer: in trace mode no byte is moved; every cache operation becomes one
 * CSV row "Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase" (wall-clock epoch seconds with 6
 * decimals; Read/Write; Tier-0/1/2 for gpu/cpu/storage; Prefill/Decode/Evict), streamed through
 * zstd level 3 when the path ends in ".zst". Thread-safe. The file is written under a temporary
 * name and published on close, so a run that dies leaves no complete-looking trace. */
#ifndef MLPS_KVCACHE_TRACE_H
#define MLPS_KVCACHE_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "kvcache/cache.h"

typedef struct mlps_kv_trace mlps_kv_trace;

int mlps_kv_trace_open(const char *path, mlps_kv_trace **out, mlps_error *err);
/* write=false for a read. Errors are remembered and reported by close. */
void mlps_kv_trace_op(mlps_kv_trace *trace, bool write, uint64_t bytes, mlps_kv_tier tier,
                      const char *key, mlps_kv_phase phase);
uint64_t mlps_kv_trace_rows(mlps_kv_trace *trace);
/* Flushes, finishes the zstd frame and publishes the file; frees the trace. */
int mlps_kv_trace_close(mlps_kv_trace *trace, mlps_error *err);
/* Frees without publishing (the run failed). */
void mlps_kv_trace_abandon(mlps_kv_trace *trace);

#endif
