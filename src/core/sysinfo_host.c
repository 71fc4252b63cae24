/* One host's system_info entry: collection from the live system and its JSON form. See
 * sysinfo.h. */
#include "core/sysinfo.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

void mlps_format_utc_timestamp(uint64_t wall_ns, char *out, size_t size)
{
    time_t seconds = (time_t)(wall_ns / MLPS_NS_PER_SEC);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *bytes_value(uint64_t bytes) { return json_integer((json_int_t)bytes); }

static json_t *memory_json(const mlps_meminfo *memory)
{
    json_t *object = json_object();
    json_object_set_new(object, "total", bytes_value(memory->total));
    json_object_set_new(object, "available", bytes_value(memory->available));
    json_object_set_new(object, "used", bytes_value(memory->used));
    json_object_set_new(object, "free", bytes_value(memory->free));
    json_object_set_new(object, "active", bytes_value(memory->active));
    json_object_set_new(object, "inactive", bytes_value(memory->inactive));
    json_object_set_new(object, "buffers", bytes_value(memory->buffers));
    json_object_set_new(object, "cached", bytes_value(memory->cached));
    json_object_set_new(object, "shared", bytes_value(memory->shared));
    return object;
}

static json_t *cpu_json(const mlps_cpuinfo *cpu)
{
    return json_pack("{s:I, s:I, s:s, s:s}", "num_cores", (json_int_t)cpu->num_cores,
                     "num_logical_cores", (json_int_t)cpu->num_logical_cores, "model",
                     cpu->model, "architecture", cpu->architecture);
}

static json_t *disks_json(const mlps_diskstat *disks, size_t count)
{
    json_t *array = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(array, mlps_diskstat_json(&disks[i]));
    return array;
}

static json_t *text_or_null(const char *text)
{
    json_t *value = text ? json_string(text) : NULL;
    return value ? value : json_null();
}

json_t *mlps_sysinfo_host_json_from(const mlps_host_facts *facts)
{
    json_t *object = json_object();
    json_object_set_new(object, "hostname", text_or_null(facts->hostname));
    json_object_set_new(object, "collection_timestamp",
                        text_or_null(facts->collection_timestamp));
    json_object_set_new(object, "memory",
                        facts->memory ? memory_json(facts->memory) : json_null());
    json_object_set_new(object, "cpu", facts->cpu ? cpu_json(facts->cpu) : json_null());
    json_object_set_new(object, "disks", disks_json(facts->disks, facts->disk_count));
    json_object_set_new(object, "os", facts->os ? json_incref(facts->os) : json_null());
    json_object_set_new(object, "kernel", text_or_null(facts->kernel));
    json_object_set_new(object, "loadavg",
                        facts->loadavg ? mlps_loadavg_json(facts->loadavg) : json_null());
    return object;
}

/* What the live collection gathered; optional parts that failed stay NULL. */
typedef struct host_collection {
    char hostname[256];
    char timestamp[32];
    struct utsname names;
    mlps_meminfo memory;
    mlps_cpuinfo cpu;
    mlps_diskstat *disks;
    size_t disk_count;
    bool have_disks;
    json_t *os;
    mlps_loadavg loadavg;
    bool have_loadavg;
    json_t *errors;
} host_collection;

static void note_section_error(host_collection *c, const char *section, const mlps_error *err)
{
    json_object_set_new(c->errors, section, json_string(err->message));
}

static void collect_optional_sections(host_collection *c)
{
    mlps_error err;
    mlps_error_clear(&err);
    c->have_disks = mlps_read_diskstats(&c->disks, &c->disk_count, &err) == 0;
    if (!c->have_disks)
        note_section_error(c, "disks", &err);
    if (mlps_read_os_release(&c->os, &err) != 0)
        note_section_error(c, "os", &err);
    c->have_loadavg = mlps_read_loadavg(&c->loadavg, &err) == 0;
    if (!c->have_loadavg)
        note_section_error(c, "loadavg", &err);
}

json_t *mlps_sysinfo_host_json(mlps_error *err)
{
    host_collection c;
    memset(&c, 0, sizeof c);
    if (mlps_read_meminfo(&c.memory, err) != 0 || mlps_read_cpuinfo(&c.cpu, err) != 0)
        return NULL;
    if (gethostname(c.hostname, sizeof c.hostname - 1) != 0)
        strcpy(c.hostname, "unknown");
    bool have_uname = uname(&c.names) == 0;
    mlps_format_utc_timestamp(mlps_wall_ns(), c.timestamp, sizeof c.timestamp);
    c.errors = json_object();
    collect_optional_sections(&c);

    mlps_host_facts facts = {
        .hostname = c.hostname,
        .collection_timestamp = c.timestamp,
        .memory = &c.memory,
        .cpu = &c.cpu,
        .disks = c.disks,
        .disk_count = c.disk_count,
        .os = c.os,
        .kernel = have_uname ? c.names.release : NULL,
        .loadavg = c.have_loadavg ? &c.loadavg : NULL,
    };
    json_t *host = mlps_sysinfo_host_json_from(&facts);
    if (!c.have_disks)
        json_object_set_new(host, "disks", json_null());
    if (json_object_size(c.errors) > 0)
        json_object_set(host, "errors", c.errors);
    json_decref(c.errors);
    json_decref(c.os);
    free(c.disks);
    return host;
}
