/* One emulated accelerator step; see step.h. */
#include "training/step.h"

#include "core/clock.h"

int mlps_step_run(mlps_loader *loader, const mlps_delay *compute, mlps_rng *rng,
                  mlps_step_times *out, mlps_error *err)
{
    uint64_t load_start = mlps_monotonic_ns();
    *out = (mlps_step_times){0};
    int rc = mlps_loader_next_batch(loader, &out->bytes, err);
    if (rc)
        return rc;
    uint64_t compute_start = mlps_monotonic_ns();
    mlps_sleep_until_ns(compute_start + mlps_seconds_to_ns(mlps_delay_draw(compute, rng)));
    uint64_t compute_end = mlps_monotonic_ns();
    out->load_seconds = mlps_ns_to_seconds(compute_start - load_start);
    out->compute_seconds = mlps_ns_to_seconds(compute_end - compute_start);
    return 0;
}
