/* AU, throughput and bytes per second of one block of steps, and their step-weighted mean over
 * an epoch's blocks; the formulas are in metrics.h. */
#include "training/metrics.h"

#include "core/clock.h"

static double block_wall_seconds(const mlps_block_record *block)
{
    return block->end_ns >= block->start_ns
               ? mlps_ns_to_seconds(block->end_ns - block->start_ns)
               : -mlps_ns_to_seconds(block->start_ns - block->end_ns);
}

static double per_second(double amount, double seconds)
{
    return seconds > 0 ? amount / seconds : 0;
}

void mlps_block_metrics_compute(const mlps_metric_window *window, const mlps_block_record *block,
                                mlps_block_metrics *out)
{
    *out = (mlps_block_metrics){.steps = block->steps};
    /* Step indices are signed here: e is negative when exclusions cover every step. */
    int64_t first = (int64_t)window->exclude_start_steps;
    int64_t last = (int64_t)window->steps - 1 - (int64_t)window->exclude_end_steps;
    double excluded_seconds = 0;
    for (int64_t i = 0; i < (int64_t)block->steps; i++) {
        if (i < first || i > last) {
            excluded_seconds += block->processed[i];
            continue;
        }
        out->window_steps++;
        out->compute_seconds += block->compute[i];
        out->window_bytes += block->bytes[i];
    }
    out->total_time = block_wall_seconds(block) - excluded_seconds;
    if (out->window_steps == 0 || out->total_time <= 0)
        return;
    double batch = (double)window->batch_size;
    out->au_percent = out->compute_seconds > 0 ? 100.0 * out->compute_seconds / out->total_time
                                               : 0;
    out->throughput = per_second((double)out->window_steps * batch, out->total_time);
    uint64_t reference_steps = block->steps > 2 ? block->steps - 2 : 0;
    out->reference_throughput = per_second((double)reference_steps * batch, out->total_time);
    out->bytes_per_second = per_second((double)out->window_bytes, out->total_time);
}

/* The step-weighted mean is accumulated as weighted sums and divided once at the end. */
static void add_weighted_block(mlps_epoch_metrics *sums, const mlps_block_metrics *block)
{
    double weight = (double)block->steps;
    sums->steps += block->steps;
    sums->au_percent += block->au_percent * weight;
    sums->throughput += block->throughput * weight;
    sums->reference_throughput += block->reference_throughput * weight;
    sums->bytes_per_second += block->bytes_per_second * weight;
}

static void divide_by_weights(mlps_epoch_metrics *sums)
{
    if (sums->steps == 0) {
        *sums = (mlps_epoch_metrics){0};
        return;
    }
    double total_weight = (double)sums->steps;
    sums->au_percent /= total_weight;
    sums->throughput /= total_weight;
    sums->reference_throughput /= total_weight;
    sums->bytes_per_second /= total_weight;
}

void mlps_epoch_metrics_combine(const mlps_block_metrics *blocks, size_t count,
                                mlps_epoch_metrics *out)
{
    *out = (mlps_epoch_metrics){0};
    for (size_t b = 0; b < count; b++)
        add_weighted_block(out, &blocks[b]);
    divide_by_weights(out);
}

void mlps_epoch_metrics_compute(const mlps_metric_window *window, const mlps_epoch_record *record,
                                mlps_epoch_metrics *out)
{
    *out = (mlps_epoch_metrics){0};
    for (size_t b = 0; b < record->block_count; b++) {
        mlps_block_metrics block;
        mlps_block_metrics_compute(window, &record->blocks[b], &block);
        add_weighted_block(out, &block);
    }
    divide_by_weights(out);
}
