/* The host keys of DLIO's summary.json, shared by the benchmarks that write one: the facts of
 * every host of the job (gathered from the ranks, one entry per host name) and, against how much
 * data each host handles, whether its page cache could hold it. */
#ifndef MLPS_CORE_HOST_SUMMARY_H
#define MLPS_CORE_HOST_SUMMARY_H

#include <jansson.h>

#include "core/comm.h"

/* Collective: the ClusterInformation object on rank 0 (NULL on the other ranks or on failure). */
json_t *mlps_host_summary_gather(const mlps_comm *comm, mlps_error *err);

/* Adds num_hosts, hostname, host_cpu_count[], host_processor_name, host_memory_GB[] (GiB),
 * data_size_per_host_GB and potential_caching[] (1 where the host's memory exceeds its data) to
 * summary. When a host's data is under `multiple` x its memory, a warning says that reads may be
 * served from its page cache (`what` names the data: "share of the dataset", "checkpoint"). */
void mlps_host_summary_add(json_t *summary, const json_t *cluster, int node_count,
                           double data_bytes_per_host, double multiple, const char *what);

#endif
