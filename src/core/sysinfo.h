/* The system_info section of a run's metadata (the reference's ClusterInformation): one
 * entry per host with memory, CPU, block device counters, OS release, kernel and load, and
 * over all hosts the totals, the memory range and the differences a reviewer should see.
 * Every rank builds its host entry; the command layer gathers them (over MPI) and rank 0
 * combines them here. */
#ifndef MLPS_CORE_SYSINFO_H
#define MLPS_CORE_SYSINFO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/procfs.h"

/* Hosts whose memory differs by more than this fraction of the smallest are flagged. */
#define MLPS_SYSINFO_MEMORY_SPREAD_LIMIT 0.10

/* Everything a host entry holds, already collected. NULL pointers become null, except
 * disks, which is an empty list when disk_count is 0. */
typedef struct mlps_host_facts {
    const char *hostname;
    const char *collection_timestamp; /* ISO 8601 UTC, "2025-01-31T12:00:00Z" */
    const mlps_meminfo *memory;
    const mlps_cpuinfo *cpu;
    const mlps_diskstat *disks;
    size_t disk_count;
    json_t *os; /* borrowed: the parsed os-release object */
    const char *kernel;
    const mlps_loadavg *loadavg;
} mlps_host_facts;

/* {hostname, collection_timestamp, memory{...}, cpu{...}, disks[...], os{...}, kernel,
 * loadavg{...}}; memory values are bytes. */
json_t *mlps_sysinfo_host_json_from(const mlps_host_facts *facts);

/* This host's entry from the live /proc and /etc files, gethostname and uname, stamped with
 * the current UTC time. Memory and CPU are required (NULL and err when they cannot be read);
 * a missing disk, OS or load source becomes null and its message goes into an "errors"
 * object keyed by section. */
json_t *mlps_sysinfo_host_json(mlps_error *err);

/* The ClusterInformation object: {total_memory_bytes, total_cores, num_hosts,
 * min_memory_bytes, max_memory_bytes, collection_method, collection_timestamp, hosts[],
 * host_consistency_issues[]}. hosts_array (borrowed) may hold several entries of one
 * hostname (several ranks per host); only the first of each is kept and counted. Issues
 * are noted for a memory spread above MLPS_SYSINFO_MEMORY_SPREAD_LIMIT and for differing
 * core counts, OS VERSION_ID or kernel. NULL when hosts_array is not an array. */
json_t *mlps_sysinfo_cluster_json(json_t *hosts_array, const char *collection_method);

/* "YYYY-MM-DDTHH:MM:SSZ" for wall-clock ns. */
void mlps_format_utc_timestamp(uint64_t wall_ns, char *out, size_t size);

#endif
