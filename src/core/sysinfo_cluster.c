/* Combining host entries into the cluster view: totals over distinct hosts, the memory
 * range, and the differences between hosts that make results harder to compare. See
 * sysinfo.h. */
#include "core/sysinfo.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

/* The first entry of each hostname; entries without a hostname are all kept. */
static json_t *distinct_hosts(json_t *hosts_array)
{
    json_t *kept = json_array();
    json_t *seen = json_object();
    size_t i;
    json_t *host;
    json_array_foreach(hosts_array, i, host) {
        const char *name = json_string_value(json_object_get(host, "hostname"));
        if (name && json_object_get(seen, name))
            continue;
        if (name)
            json_object_set_new(seen, name, json_true());
        json_array_append(kept, host);
    }
    json_decref(seen);
    return kept;
}

static json_int_t host_integer(json_t *host, const char *section, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(host, section), key));
}

static const char *host_string(json_t *host, const char *section, const char *key)
{
    json_t *holder = section ? json_object_get(host, section) : host;
    return json_string_value(json_object_get(holder, key));
}

static int compare_integers(const void *a, const void *b)
{
    json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;
    return (x > y) - (x < y);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends "label: a, b, c" (distinct sorted values) to issues when there are several. */
static void note_differing_integers(json_t *issues, const char *label, json_int_t *values,
                                    size_t count)
{
    qsort(values, count, sizeof *values, compare_integers);
    char text[1024];
    int used = snprintf(text, sizeof text, "%s:", label);
    size_t distinct = 0;
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && values[i] == values[i - 1])
            continue;
        used += snprintf(text + used, sizeof text - (size_t)used, "%s %lld",
                         distinct ? "," : "", (long long)values[i]);
        distinct++;
        if ((size_t)used >= sizeof text)
            break;
    }
    if (distinct > 1)
        json_array_append_new(issues, json_string(text));
}

static void note_differing_strings(json_t *issues, const char *label, const char **values,
                                   size_t count)
{
    qsort(values, count, sizeof *values, compare_strings);
    char text[1024];
    int used = snprintf(text, sizeof text, "%s:", label);
    size_t distinct = 0;
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && strcmp(values[i], values[i - 1]) == 0)
            continue;
        used += snprintf(text + used, sizeof text - (size_t)used, "%s %s", distinct ? "," : "",
                         values[i]);
        distinct++;
        if ((size_t)used >= sizeof text)
            break;
    }
    if (distinct > 1)
        json_array_append_new(issues, json_string(text));
}

static void note_memory_spread(json_t *issues, json_int_t min_bytes, json_int_t max_bytes)
{
    if (min_bytes <= 0)
        return;
    double spread = (double)(max_bytes - min_bytes) / (double)min_bytes;
    if (spread <= MLPS_SYSINFO_MEMORY_SPREAD_LIMIT)
        return;
    char text[256];
    snprintf(text, sizeof text,
             "Memory differs across hosts by %.1f%% (min %.1f GiB, max %.1f GiB; more than "
             "%.0f%% is flagged)",
             spread * 100.0, (double)min_bytes / GIB, (double)max_bytes / GIB,
             MLPS_SYSINFO_MEMORY_SPREAD_LIMIT * 100.0);
    json_array_append_new(issues, json_string(text));
}

typedef struct cluster_totals {
    json_int_t total_memory;
    json_int_t total_cores;
    json_int_t min_memory;
    json_int_t max_memory;
} cluster_totals;

/* Hosts without a memory figure count as 0 in the total but not in the range. */
static cluster_totals sum_hosts(json_t *hosts)
{
    cluster_totals totals = {0};
    bool have_memory = false;
    size_t i;
    json_t *host;
    json_array_foreach(hosts, i, host) {
        json_int_t memory = host_integer(host, "memory", "total");
        totals.total_memory += memory;
        totals.total_cores += host_integer(host, "cpu", "num_cores");
        if (memory <= 0)
            continue;
        if (!have_memory || memory < totals.min_memory)
            totals.min_memory = memory;
        if (!have_memory || memory > totals.max_memory)
            totals.max_memory = memory;
        have_memory = true;
    }
    return totals;
}

/* Compares the distinct hosts; a host lacking a value is left out of that comparison. */
static json_t *consistency_issues(json_t *hosts)
{
    json_t *issues = json_array();
    size_t count = json_array_size(hosts);
    if (count < 2)
        return issues;
    json_int_t *memories = calloc(count, sizeof *memories);
    json_int_t *cores = calloc(count, sizeof *cores);
    const char **versions = calloc(count, sizeof *versions);
    const char **kernels = calloc(count, sizeof *kernels);
    size_t n_memories = 0, n_cores = 0, n_versions = 0, n_kernels = 0;
    if (!memories || !cores || !versions || !kernels)
        count = 0;
    size_t i;
    json_t *host;
    for (i = 0; i < count && (host = json_array_get(hosts, i)); i++) {
        json_int_t memory = host_integer(host, "memory", "total");
        json_int_t core_count = host_integer(host, "cpu", "num_cores");
        const char *version = host_string(host, "os", "VERSION_ID");
        const char *kernel = host_string(host, NULL, "kernel");
        if (memory > 0)
            memories[n_memories++] = memory;
        if (core_count > 0)
            cores[n_cores++] = core_count;
        if (version && *version)
            versions[n_versions++] = version;
        if (kernel && *kernel)
            kernels[n_kernels++] = kernel;
    }
    if (n_memories > 0) {
        qsort(memories, n_memories, sizeof *memories, compare_integers);
        note_memory_spread(issues, memories[0], memories[n_memories - 1]);
    }
    note_differing_integers(issues, "CPU core count differs across hosts", cores, n_cores);
    note_differing_strings(issues, "OS version (VERSION_ID) differs across hosts", versions,
                           n_versions);
    note_differing_strings(issues, "Kernel version differs across hosts", kernels, n_kernels);
    free(memories);
    free(cores);
    free(versions);
    free(kernels);
    return issues;
}

json_t *mlps_sysinfo_cluster_json(json_t *hosts_array, const char *collection_method)
{
    if (!json_is_array(hosts_array))
        return NULL;
    json_t *hosts = distinct_hosts(hosts_array);
    cluster_totals totals = sum_hosts(hosts);
    char timestamp[32];
    mlps_format_utc_timestamp(mlps_wall_ns(), timestamp, sizeof timestamp);
    json_t *cluster = json_object();
    json_object_set_new(cluster, "total_memory_bytes", json_integer(totals.total_memory));
    json_object_set_new(cluster, "total_cores", json_integer(totals.total_cores));
    json_object_set_new(cluster, "num_hosts", json_integer((json_int_t)json_array_size(hosts)));
    json_object_set_new(cluster, "min_memory_bytes", json_integer(totals.min_memory));
    json_object_set_new(cluster, "max_memory_bytes", json_integer(totals.max_memory));
    json_object_set_new(cluster, "collection_method",
                        json_string(collection_method ? collection_method : "unknown"));
    json_object_set_new(cluster, "collection_timestamp", json_string(timestamp));
    json_t *issues = consistency_issues(hosts);
    json_object_set_new(cluster, "hosts", hosts);
    json_object_set_new(cluster, "host_consistency_issues", issues);
    return cluster;
}
