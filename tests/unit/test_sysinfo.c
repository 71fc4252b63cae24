/* Tests for the host description: exact values parsed from fixed /proc and os-release
 * samples, the host entry's layout, the cluster totals, duplicate hosts, the consistency
 * issues, and one live collection on this machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/procfs.h"
#include "core/sysinfo.h"

#define KIB 1024ull
#define GIB (1024ull * 1024ull * 1024ull)

static const char meminfo_sample[] =
    "MemTotal:       16384000 kB\n"
    "MemFree:         8192000 kB\n"
    "MemAvailable:   12000000 kB\n"
    "Buffers:          100000 kB\n"
    "Cached:          2000000 kB\n"
    "SwapCached:         4096 kB\n"
    "Active:          3000000 kB\n"
    "Inactive:        1500000 kB\n"
    "Active(anon):     500000 kB\n"
    "Shmem:             50000 kB\n"
    "HugePages_Total:       0\n";

static void meminfo_values_are_bytes(void **state)
{
    (void)state;
    mlps_meminfo m;
    assert_int_equal(mlps_parse_meminfo(meminfo_sample, &m, NULL), 0);
    assert_int_equal(m.total, 16384000 * KIB);
    assert_int_equal(m.free, 8192000 * KIB);
    assert_int_equal(m.available, 12000000 * KIB);
    assert_int_equal(m.buffers, 100000 * KIB);
    assert_int_equal(m.cached, 2000000 * KIB);
    assert_int_equal(m.active, 3000000 * KIB);
    assert_int_equal(m.inactive, 1500000 * KIB);
    assert_int_equal(m.shared, 50000 * KIB);
    assert_int_equal(m.used, (16384000ull - 8192000 - 100000 - 2000000) * KIB);
}

static void meminfo_without_total_is_rejected(void **state)
{
    (void)state;
    mlps_meminfo m;
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_parse_meminfo("MemFree: 10 kB\n", &m, &err), -EINVAL);
    assert_non_null(strstr(err.message, "MemTotal"));
}

/* 2 sockets x 2 cores x 2 hardware threads, listed the way the kernel does. */
static char *two_socket_cpuinfo(void)
{
    size_t size = 8192;
    char *text = malloc(size);
    size_t used = 0;
    for (int cpu = 0; cpu < 8; cpu++) {
        int socket = cpu / 4, core = (cpu / 2) % 2;
        used += (size_t)snprintf(text + used, size - used,
                                 "processor\t: %d\n"
                                 "vendor_id\t: GenuineIntel\n"
                                 "model name\t: Example CPU @ 2.00GHz\n"
                                 "physical id\t: %d\n"
                                 "siblings\t: 4\n"
                                 "core id\t\t: %d\n"
                                 "cpu cores\t: 2\n"
                                 "flags\t\t: fpu vme de pse tsc msr pae lm constant_tsc\n"
                                 "\n",
                                 cpu, socket, core);
    }
    return text;
}

static void cpuinfo_counts_distinct_cores_and_threads(void **state)
{
    (void)state;
    char *text = two_socket_cpuinfo();
    mlps_cpuinfo cpu;
    assert_int_equal(mlps_parse_cpuinfo(text, "unused", &cpu, NULL), 0);
    free(text);
    assert_int_equal(cpu.num_cores, 4);
    assert_int_equal(cpu.num_logical_cores, 8);
    assert_string_equal(cpu.model, "Example CPU @ 2.00GHz");
    assert_string_equal(cpu.architecture, "x86_64");
}

static void cpuinfo_without_topology_counts_logical_cpus(void **state)
{
    (void)state;
    const char *text = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd lm\n\n"
                       "processor\t: 1\nBogoMIPS\t: 50.00\n\n"
                       "processor\t: 2\nBogoMIPS\t: 50.00\n"
                       "processor\t: 3\nBogoMIPS\t: 50.00\n";
    mlps_cpuinfo cpu;
    assert_int_equal(mlps_parse_cpuinfo(text, "aarch64", &cpu, NULL), 0);
    assert_int_equal(cpu.num_cores, 4);
    assert_int_equal(cpu.num_logical_cores, 4);
    assert_string_equal(cpu.model, "");
    assert_string_equal(cpu.architecture, "aarch64");
}

static void cpuinfo_long_mode_needs_the_whole_flag(void **state)
{
    (void)state;
    mlps_cpuinfo cpu;
    assert_int_equal(mlps_parse_cpuinfo("processor : 0\nflags : fpu lmx clm\n", "i686", &cpu,
                                        NULL),
                     0);
    assert_string_equal(cpu.architecture, "i686");
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_parse_cpuinfo("model name : x\n", "i686", &cpu, &err), -EINVAL);
    assert_non_null(strstr(err.message, "no processor"));
}

static const char diskstats_sample[] =
    "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
    "   8       1 sda1 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25\n"
    " 259       0 nvme0n1 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 "
    "117\n"
    "   8      16 sdb 1 2 x 4 5 6 7 8 9 10 11\n"
    "   8      32 sdc 1 2 3\n"
    "   8      48 sdd 1 2 3 4 5 6 7 8 9 10 11 12\n"
    "\n";

static void diskstats_reads_14_18_and_20_columns(void **state)
{
    (void)state;
    mlps_diskstat *rows;
    size_t count;
    assert_int_equal(mlps_parse_diskstats(diskstats_sample, &rows, &count, NULL), 0);
    assert_int_equal(count, 3);

    assert_string_equal(rows[0].device_name, "sda");
    assert_int_equal(rows[0].major, 8);
    assert_int_equal(rows[0].minor, 0);
    assert_int_equal(rows[0].num_columns, 14);
    assert_int_equal(rows[0].reads_completed, 1);
    assert_int_equal(rows[0].sectors_read, 3);
    assert_int_equal(rows[0].time_writing_ms, 8);
    assert_int_equal(rows[0].weighted_time_doing_ios_ms, 11);
    assert_int_equal(rows[0].discards_completed, 0);

    assert_string_equal(rows[1].device_name, "sda1");
    assert_int_equal(rows[1].num_columns, 18);
    assert_int_equal(rows[1].weighted_time_doing_ios_ms, 21);
    assert_int_equal(rows[1].discards_completed, 22);
    assert_int_equal(rows[1].time_discarding_ms, 25);
    assert_int_equal(rows[1].flush_requests_completed, 0);

    assert_string_equal(rows[2].device_name, "nvme0n1");
    assert_int_equal(rows[2].major, 259);
    assert_int_equal(rows[2].num_columns, 20);
    assert_int_equal(rows[2].writes_completed, 105);
    assert_int_equal(rows[2].sectors_written, 107);
    assert_int_equal(rows[2].ios_in_progress, 109);
    assert_int_equal(rows[2].sectors_discarded, 114);
    assert_int_equal(rows[2].time_discarding_ms, 115);
    assert_int_equal(rows[2].flush_requests_completed, 116);
    assert_int_equal(rows[2].time_flushing_ms, 117);

    json_t *short_row = mlps_diskstat_json(&rows[0]);
    json_t *full_row = mlps_diskstat_json(&rows[2]);
    assert_int_equal(json_object_size(short_row), 14);
    assert_null(json_object_get(short_row, "discards_completed"));
    assert_int_equal(json_object_size(full_row), 20);
    assert_int_equal(json_integer_value(json_object_get(full_row, "time_flushing_ms")), 117);
    assert_string_equal(json_string_value(json_object_get(full_row, "device_name")), "nvme0n1");
    json_decref(short_row);
    json_decref(full_row);
    free(rows);
}

static void loadavg_splits_running_and_total(void **state)
{
    (void)state;
    mlps_loadavg load;
    assert_int_equal(mlps_parse_loadavg("0.50 0.40 0.30 2/345 6789\n", &load, NULL), 0);
    assert_true(load.load_1min == 0.5);
    assert_true(load.load_5min == 0.4);
    assert_true(load.load_15min == 0.3);
    assert_int_equal(load.running_processes, 2);
    assert_int_equal(load.total_processes, 345);
    assert_int_equal(load.last_pid, 6789);
    mlps_error err;
    mlps_error_clear(&err);
    assert_int_equal(mlps_parse_loadavg("0.50 0.40 0.30 2-345 6789\n", &load, &err), -EINVAL);
    assert_non_null(strstr(err.message, "loadavg"));
}

static void os_release_values_lose_their_quotes(void **state)
{
    (void)state;
    json_t *os = mlps_parse_os_release("# comment\n"
                                       "NAME=\"Ubuntu\"\n"
                                       "VERSION_ID=\"22.04\"\n"
                                       "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n"
                                       "ID=ubuntu\n"
                                       "\n"
                                       "VERSION_CODENAME='jammy'\n"
                                       "QUOTED=\"say \\\"hi\\\"\"\n");
    assert_int_equal(json_object_size(os), 6);
    assert_string_equal(json_string_value(json_object_get(os, "NAME")), "Ubuntu");
    assert_string_equal(json_string_value(json_object_get(os, "VERSION_ID")), "22.04");
    assert_string_equal(json_string_value(json_object_get(os, "PRETTY_NAME")),
                        "Ubuntu 22.04.4 LTS");
    assert_string_equal(json_string_value(json_object_get(os, "ID")), "ubuntu");
    assert_string_equal(json_string_value(json_object_get(os, "VERSION_CODENAME")), "jammy");
    assert_string_equal(json_string_value(json_object_get(os, "QUOTED")), "say \"hi\"");
    json_decref(os);
}

/* A host entry with the given memory, cores, OS version and kernel. */
static json_t *synthetic_host(const char *name, uint64_t memory_bytes, uint32_t cores,
                              const char *version_id, const char *kernel)
{
    mlps_meminfo memory = {.total = memory_bytes};
    mlps_cpuinfo cpu = {.num_cores = cores, .num_logical_cores = cores * 2};
    json_t *os = json_pack("{s:s}", "VERSION_ID", version_id);
    mlps_host_facts facts = {
        .hostname = name,
        .collection_timestamp = "2025-01-31T12:00:00Z",
        .memory = &memory,
        .cpu = &cpu,
        .os = os,
        .kernel = kernel,
    };
    json_t *host = mlps_sysinfo_host_json_from(&facts);
    json_decref(os);
    return host;
}

static void host_entry_has_the_sections_in_order(void **state)
{
    (void)state;
    mlps_meminfo memory;
    assert_int_equal(mlps_parse_meminfo(meminfo_sample, &memory, NULL), 0);
    mlps_loadavg load;
    assert_int_equal(mlps_parse_loadavg("0.50 0.40 0.30 2/345 6789", &load, NULL), 0);
    mlps_host_facts facts = {
        .hostname = "node1",
        .collection_timestamp = "2025-01-31T12:00:00Z",
        .memory = &memory,
        .kernel = "6.8.0-45-generic",
        .loadavg = &load,
    };
    json_t *host = mlps_sysinfo_host_json_from(&facts);
    const char *keys[] = {"hostname", "collection_timestamp", "memory", "cpu", "disks",
                          "os", "kernel", "loadavg"};
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(host, key, value) {
        assert_true(i < 8);
        assert_string_equal(key, keys[i++]);
    }
    assert_int_equal(i, 8);
    json_t *mem = json_object_get(host, "memory");
    assert_int_equal(json_integer_value(json_object_get(mem, "total")), 16384000 * KIB);
    assert_int_equal(json_integer_value(json_object_get(mem, "used")), 6092000 * KIB);
    assert_int_equal(json_integer_value(json_object_get(mem, "shared")), 50000 * KIB);
    assert_true(json_is_null(json_object_get(host, "cpu")));
    assert_true(json_is_null(json_object_get(host, "os")));
    assert_int_equal(json_array_size(json_object_get(host, "disks")), 0);
    json_t *loadavg = json_object_get(host, "loadavg");
    assert_int_equal(json_integer_value(json_object_get(loadavg, "running_processes")), 2);
    assert_int_equal(json_integer_value(json_object_get(loadavg, "total_processes")), 345);
    assert_int_equal(json_integer_value(json_object_get(loadavg, "last_pid")), 6789);
    json_decref(host);
}

static void cluster_totals_skip_duplicate_hosts_and_flag_memory_spread(void **state)
{
    (void)state;
    json_t *hosts = json_array();
    json_array_append_new(hosts, synthetic_host("a", 100 * GIB, 16, "22.04", "6.8.0"));
    json_array_append_new(hosts, synthetic_host("b", 120 * GIB, 16, "22.04", "6.8.0"));
    json_array_append_new(hosts, synthetic_host("a", 999 * GIB, 64, "12", "6.1.0"));
    json_t *cluster = mlps_sysinfo_cluster_json(hosts, "mpi");
    assert_non_null(cluster);
    assert_int_equal(json_integer_value(json_object_get(cluster, "num_hosts")), 2);
    assert_int_equal(json_integer_value(json_object_get(cluster, "total_memory_bytes")),
                     220 * GIB);
    assert_int_equal(json_integer_value(json_object_get(cluster, "total_cores")), 32);
    assert_int_equal(json_integer_value(json_object_get(cluster, "min_memory_bytes")),
                     100 * GIB);
    assert_int_equal(json_integer_value(json_object_get(cluster, "max_memory_bytes")),
                     120 * GIB);
    assert_string_equal(json_string_value(json_object_get(cluster, "collection_method")),
                        "mpi");
    assert_true(json_is_string(json_object_get(cluster, "collection_timestamp")));
    json_t *kept = json_object_get(cluster, "hosts");
    assert_int_equal(json_array_size(kept), 2);
    assert_ptr_equal(json_array_get(kept, 0), json_array_get(hosts, 0));
    json_t *issues = json_object_get(cluster, "host_consistency_issues");
    assert_int_equal(json_array_size(issues), 1);
    assert_string_equal(json_string_value(json_array_get(issues, 0)),
                        "Memory differs across hosts by 20.0% (min 100.0 GiB, max 120.0 GiB; "
                        "more than 10% is flagged)");
    json_decref(cluster);
    json_decref(hosts);
}

static void cluster_flags_differing_cores_os_and_kernel(void **state)
{
    (void)state;
    json_t *hosts = json_array();
    json_array_append_new(hosts, synthetic_host("a", 100 * GIB, 32, "22.04", "6.8.0"));
    json_array_append_new(hosts, synthetic_host("b", 110 * GIB, 16, "12", "6.1.0"));
    json_array_append_new(hosts, synthetic_host("c", 105 * GIB, 16, "22.04", "6.8.0"));
    mlps_host_facts unknown = {.hostname = "d"};
    json_array_append_new(hosts, mlps_sysinfo_host_json_from(&unknown));
    json_t *cluster = mlps_sysinfo_cluster_json(hosts, "local_fallback");
    json_t *issues = json_object_get(cluster, "host_consistency_issues");
    assert_int_equal(json_array_size(issues), 3);
    assert_string_equal(json_string_value(json_array_get(issues, 0)),
                        "CPU core count differs across hosts: 16, 32");
    assert_string_equal(json_string_value(json_array_get(issues, 1)),
                        "OS version (VERSION_ID) differs across hosts: 12, 22.04");
    assert_string_equal(json_string_value(json_array_get(issues, 2)),
                        "Kernel version differs across hosts: 6.1.0, 6.8.0");
    assert_int_equal(json_integer_value(json_object_get(cluster, "total_cores")), 64);
    assert_int_equal(json_integer_value(json_object_get(cluster, "num_hosts")), 4);
    assert_int_equal(json_integer_value(json_object_get(cluster, "total_memory_bytes")),
                     315 * GIB);
    /* The host without a memory figure does not pull the minimum to 0. */
    assert_int_equal(json_integer_value(json_object_get(cluster, "min_memory_bytes")),
                     100 * GIB);
    assert_int_equal(json_integer_value(json_object_get(cluster, "max_memory_bytes")),
                     110 * GIB);
    json_decref(cluster);
    json_decref(hosts);
    assert_null(mlps_sysinfo_cluster_json(NULL, "mpi"));
}

static void live_host_entry_describes_this_machine(void **state)
{
    (void)state;
    mlps_error err;
    mlps_error_clear(&err);
    json_t *host = mlps_sysinfo_host_json(&err);
    assert_non_null(host);
    char name[256] = "";
    gethostname(name, sizeof name - 1);
    assert_string_equal(json_string_value(json_object_get(host, "hostname")), name);
    json_t *cpu = json_object_get(host, "cpu");
    assert_int_equal(json_integer_value(json_object_get(cpu, "num_logical_cores")),
                     sysconf(_SC_NPROCESSORS_ONLN));
    json_t *memory = json_object_get(host, "memory");
    long long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    assert_int_equal(json_integer_value(json_object_get(memory, "total")), pages * page);
    assert_true(json_is_string(json_object_get(host, "kernel")));
    const char *stamp = json_string_value(json_object_get(host, "collection_timestamp"));
    assert_int_equal(strlen(stamp), 20);
    assert_int_equal(stamp[19], 'Z');
    json_decref(host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(meminfo_values_are_bytes),
        cmocka_unit_test(meminfo_without_total_is_rejected),
        cmocka_unit_test(cpuinfo_counts_distinct_cores_and_threads),
        cmocka_unit_test(cpuinfo_without_topology_counts_logical_cpus),
        cmocka_unit_test(cpuinfo_long_mode_needs_the_whole_flag),
        cmocka_unit_test(diskstats_reads_14_18_and_20_columns),
        cmocka_unit_test(loadavg_splits_running_and_total),
        cmocka_unit_test(os_release_values_lose_their_quotes),
        cmocka_unit_test(host_entry_has_the_sections_in_order),
        cmocka_unit_test(cluster_totals_skip_duplicate_hosts_and_flag_memory_spread),
        cmocka_unit_test(cluster_flags_differing_cores_os_and_kernel),
        cmocka_unit_test(live_host_entry_describes_this_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
