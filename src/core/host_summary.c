/* Host keys of summary.json; see host_summary.h. */
#include "core/host_summary.h"

#include "core/log.h"
#include "core/sysinfo.h"

#define GIB 1073741824.0

json_t *mlps_host_summary_gather(const mlps_comm *comm, mlps_error *err)
{
    mlps_error host_err = {0};
    json_t *mine = mlps_sysinfo_host_json(&host_err);
    json_t *all = NULL;
    int rc = mlps_comm_gather_json(comm, mine, &all, err);
    json_decref(mine);
    if (rc || !all)
        return NULL;
    json_t *cluster = mlps_sysinfo_cluster_json(all, comm->size > 1 ? "mpi" : "local");
    json_decref(all);
    return cluster;
}

static json_t *cpu_count_of(const json_t *host)
{
    json_t *count = json_object_get(json_object_get(host, "cpu"), "num_logical_cores");
    return count ? json_incref(count) : json_null();
}

void mlps_host_summary_add(json_t *summary, const json_t *cluster, int node_count,
                           double data_bytes_per_host, double multiple, const char *what)
{
    json_t *hosts = json_object_get(cluster, "hosts");
    json_t *memory_gb = json_array(), *cpu_count = json_array(), *caching = json_array();
    for (size_t i = 0; i < json_array_size(hosts); i++) {
        json_t *host = json_array_get(hosts, i);
        double memory = (double)json_integer_value(
            json_object_get(json_object_get(host, "memory"), "total"));
        json_array_append_new(memory_gb, json_real(memory / GIB));
        json_array_append_new(cpu_count, cpu_count_of(host));
        json_array_append_new(caching, json_integer(memory > data_bytes_per_host ? 1 : 0));
        if (memory * multiple > data_bytes_per_host)
            mlps_warn("host %s: its %s (%.2f GiB) is under %gx its memory (%.2f GiB); reads may "
                      "come from the page cache, not the storage",
                      json_string_value(json_object_get(host, "hostname")), what,
                      data_bytes_per_host / GIB, multiple, memory / GIB);
    }
    json_t *first = json_array_get(hosts, 0);
    json_object_set_new(summary, "num_hosts", json_integer(node_count));
    json_object_set(summary, "hostname", json_object_get(first, "hostname"));
    json_object_set_new(summary, "host_cpu_count", cpu_count);
    json_object_set(summary, "host_processor_name",
                    json_object_get(json_object_get(first, "cpu"), "model"));
    json_object_set_new(summary, "host_memory_GB", memory_gb);
    json_object_set_new(summary, "data_size_per_host_GB", json_real(data_bytes_per_host / GIB));
    json_object_set_new(summary, "potential_caching", caching);
}
