/* The KV-cache run result's life cycle: every latency set it owns is set up and torn down
 * here, together with the autoscaler's events and the throughput timeline. */
#include "kvcache/report.h"

#include <stdlib.h>
#include <string.h>

/* Every sample set the result owns (the cache owns its own latencies). */
static size_t owned_samples(mlps_kv_run_result *r, mlps_kv_samples **out)
{
    size_t n = 0;
    out[n++] = &r->e2e;
    out[n++] = &r->storage;
    out[n++] = &r->generation;
    out[n++] = &r->prefill;
    out[n++] = &r->decode;
    for (int q = 0; q < MLPS_KV_QOS_COUNT; q++)
        out[n++] = &r->qos_e2e[q];
    return n;
}

#define OWNED_SAMPLES_MAX (5 + MLPS_KV_QOS_COUNT)

void mlps_kv_run_result_init(mlps_kv_run_result *r)
{
    memset(r, 0, sizeof *r);
    mlps_kv_samples *sets[OWNED_SAMPLES_MAX];
    size_t n = owned_samples(r, sets);
    for (size_t i = 0; i < n; i++)
        mlps_kv_samples_init(sets[i]);
}

void mlps_kv_run_result_destroy(mlps_kv_run_result *r)
{
    mlps_kv_samples *sets[OWNED_SAMPLES_MAX];
    size_t n = owned_samples(r, sets);
    for (size_t i = 0; i < n; i++)
        mlps_kv_samples_destroy(sets[i]);
    free(r->autoscale_events);
    free(r->timeline);
    r->autoscale_events = NULL;
    r->autoscale_event_count = 0;
    r->timeline = NULL;
    r->timeline_count = 0;
}
