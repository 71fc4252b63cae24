/* The KV-cache autoscaler's step function (see autoscale.h for the rules). */
#include "kvcache/autoscale.h"

#include <math.h>

const char *mlps_kv_autoscale_action_name(mlps_kv_autoscale_action action)
{
    switch (action) {
    case MLPS_KV_SCALE_UP: return "scale_up";
    case MLPS_KV_SCALE_DOWN: return "scale_down";
    case MLPS_KV_SCALE_STOP: return "stop";
    default: return "hold";
    }
}

void mlps_kv_autoscaler_init(mlps_kv_autoscaler *a, mlps_kv_autoscaler_mode mode,
                             double target_saturation, double read_p95_threshold_ms,
                             int min_users, int max_users, int users)
{
    *a = (mlps_kv_autoscaler){
        .mode = mode,
        .target_saturation = target_saturation,
        .read_p95_threshold_ms = read_p95_threshold_ms > 0 ? read_p95_threshold_ms : 100.0,
        .min_users = min_users < 1 ? 1 : min_users,
        .max_users = max_users,
        .users = users,
        .peak_users = users,
    };
}

static int clamp_users(const mlps_kv_autoscaler *a, int users)
{
    if (users < a->min_users)
        users = a->min_users;
    if (users > a->max_users)
        users = a->max_users;
    return users;
}

/* Steady throughput and a rising latency trend make the latency signal count fully. */
static double trend_factor(const mlps_kv_autoscaler *a)
{
    const int n = MLPS_KV_AUTOSCALE_WINDOW;
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++)
        mean += a->throughput[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        var += (a->throughput[i] - mean) * (a->throughput[i] - mean);
    double cv = sqrt(var / n) / (mean + 0.01);
    /* least-squares slope of the latencies over their order of arrival */
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int k = 0; k < n; k++) {
        int slot = (a->samples - n + k) % n;
        double y = a->read_p95_ms[slot];
        sx += k;
        sy += y;
        sxx += (double)k * k;
        sxy += k * y;
    }
    double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    return (cv < 0.1 && slope > 0) ? 1.0 : 0.5;
}

double mlps_kv_autoscaler_saturation(const mlps_kv_autoscaler *a)
{
    if (a->samples < MLPS_KV_AUTOSCALE_WINDOW)
        return 0.0;
    double worst = 0;
    for (int i = 0; i < MLPS_KV_AUTOSCALE_WINDOW; i++)
        if (a->read_p95_ms[i] > worst)
            worst = a->read_p95_ms[i];
    double level = fmin(worst / a->read_p95_threshold_ms, 1.0);
    return level * trend_factor(a);
}

static mlps_kv_autoscale_action qos_step(mlps_kv_autoscaler *a, double saturation)
{
    if (a->cooldown > 0) {
        a->cooldown--;
        return MLPS_KV_SCALE_HOLD;
    }
    if (saturation > 1.1 * a->target_saturation) {
        if (++a->high_streak < 2)
            return MLPS_KV_SCALE_HOLD;
        a->high_streak = 0;
        a->cooldown = 3;
        int users = clamp_users(a, (int)floor(a->users * 0.8));
        if (users == a->users)
            return MLPS_KV_SCALE_HOLD;
        a->users = users;
        return MLPS_KV_SCALE_DOWN;
    }
    a->high_streak = 0;
    if (saturation < 0.9 * a->target_saturation) {
        /* ceil, so that a single user can still grow */
        int users = clamp_users(a, (int)ceil(a->users * 1.2));
        if (users == a->users)
            return MLPS_KV_SCALE_HOLD;
        a->users = users;
        return MLPS_KV_SCALE_UP;
    }
    return MLPS_KV_SCALE_HOLD;
}

static mlps_kv_autoscale_action capacity_step(mlps_kv_autoscaler *a, double throughput)
{
    if (throughput > 1.01 * a->peak_throughput) {
        a->peak_throughput = throughput;
        a->peak_users = a->users;
        a->no_improvement = 0;
        int step = (int)(a->users * (a->first_step_done ? 0.2 : 0.4));
        a->first_step_done = true;
        step = step < 5 ? 5 : step > 100 ? 100 : step;
        int users = clamp_users(a, a->users + step);
        if (users == a->users)
            return MLPS_KV_SCALE_HOLD;
        a->users = users;
        return MLPS_KV_SCALE_UP;
    }
    if (++a->no_improvement >= 2)
        return MLPS_KV_SCALE_STOP;
    return MLPS_KV_SCALE_HOLD;
}

mlps_kv_autoscale_action mlps_kv_autoscaler_step(mlps_kv_autoscaler *a, double read_p95_ms,
                                                 double throughput_tokens_per_sec)
{
    int slot = a->samples % MLPS_KV_AUTOSCALE_WINDOW;
    a->read_p95_ms[slot] = read_p95_ms;
    a->throughput[slot] = throughput_tokens_per_sec;
    a->samples++;
    a->last_saturation = mlps_kv_autoscaler_saturation(a);
    if (a->mode == MLPS_KV_AUTOSCALE_CAPACITY)
        return capacity_step(a, throughput_tokens_per_sec);
    return qos_step(a, a->last_saturation);
}
