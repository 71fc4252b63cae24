/* The KV-cache autoscaler's decisions (spec 30 §4.6), as a pure step function the run calls
 * every interval with what it measured, so the rules can be tested without a 100-second run.
 * Unlike the reference, the run applies the decision: the number of active users changes.
 *
 * Saturation: 0 until 10 samples exist; then min(max read P95 of the last 10 / threshold, 1)
 * × (1.0 when the throughput is steady (std/(mean+0.01) < 0.1) and the latency trend rises,
 * else 0.5). qos mode: after a scale-down, 3 intervals of cooldown; saturation above 1.1 ×
 * target twice in a row → users × 0.8; below 0.9 × target → users × 1.2. capacity mode: grow
 * by clamp(users × 0.4 the first time, × 0.2 after, 5..100) while throughput beats the peak by
 * 1 %; two intervals without improvement end the run. Users stay within [min, max]. */
#ifndef MLPS_KVCACHE_AUTOSCALE_H
#define MLPS_KVCACHE_AUTOSCALE_H

#include <stdbool.h>

#include "kvcache/options.h"

#define MLPS_KV_AUTOSCALE_WINDOW 10

typedef enum mlps_kv_autoscale_action {
    MLPS_KV_SCALE_HOLD,
    MLPS_KV_SCALE_UP,
    MLPS_KV_SCALE_DOWN,
    MLPS_KV_SCALE_STOP, /* capacity mode found the peak */
} mlps_kv_autoscale_action;

const char *mlps_kv_autoscale_action_name(mlps_kv_autoscale_action action);

typedef struct mlps_kv_autoscaler {
    mlps_kv_autoscaler_mode mode;
    double target_saturation;
    double read_p95_threshold_ms;
    int min_users, max_users;
    int users;
    /* history */
    double read_p95_ms[MLPS_KV_AUTOSCALE_WINDOW];
    double throughput[MLPS_KV_AUTOSCALE_WINDOW];
    int samples; /* total taken */
    int cooldown, high_streak;
    double peak_throughput;
    int peak_users;
    int no_improvement;
    bool first_step_done;
    double last_saturation;
} mlps_kv_autoscaler;

void mlps_kv_autoscaler_init(mlps_kv_autoscaler *a, mlps_kv_autoscaler_mode mode,
                             double target_saturation, double read_p95_threshold_ms,
                             int min_users, int max_users, int users);

/* One interval: the storage read P95 of the interval (ms) and the cumulative throughput
 * (tokens/s). Returns the action; a->users holds the new user count. */
mlps_kv_autoscale_action mlps_kv_autoscaler_step(mlps_kv_autoscaler *a, double read_p95_ms,
                                                 double throughput_tokens_per_sec);

double mlps_kv_autoscaler_saturation(const mlps_kv_autoscaler *a);

#endif
