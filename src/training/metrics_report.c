/* The [METRIC] block that ends the training log, in DLIO's wording (tools and people grep for
 * it; the checkpoint lines only when checkpoints were written, the Eval lines only with
 * evaluation), followed by our two additions: the throughput by DLIO v2.0's (n - 2) formula and the
 * bytes actually read. */
#include "training/metrics.h"

#include <stdio.h>
#include <stdlib.h>

#define METRIC_RULE "[METRIC] ==========================================================\n"

char *mlps_metrics_report_text(const mlps_run_metrics *m)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out)
        return NULL;
    const double mebibyte = 1024.0 * 1024.0;
    fprintf(out, "Averaged metric over all epochs\n" METRIC_RULE);
    fprintf(out, "[METRIC] Number of Simulated Accelerators: %d \n", m->ranks);
    fprintf(out, "[METRIC] Training Accelerator Utilization [AU] (%%): %.4f (%.4f)\n",
            m->au_percent.mean, m->au_percent.stdev);
    fprintf(out, "[METRIC] Training Throughput (samples/second): %.4f (%.4f)\n",
            m->throughput.mean, m->throughput.stdev);
    fprintf(out, "[METRIC] Training I/O Throughput (MB/second): %.4f (%.4f)\n",
            m->io_mean_mib_per_second, m->io_stdev_mib_per_second);
    fprintf(out, "[METRIC] train_au_meet_expectation: %s\n",
            m->meets_expectation ? "success" : "fail");
    if (m->checkpoints.enabled && m->checkpoints.count > 0) {
        const mlps_train_ckpt_metrics *c = &m->checkpoints;
        fprintf(out, "[METRIC] Checkpoint save duration (seconds): %.4f (%.4f)\n",
                c->duration_seconds.mean, c->duration_seconds.stdev);
        fprintf(out, "[METRIC] Checkpoint save I/O Throughput (GB/second): %.4f (%.4f)\n",
                c->io_gib_per_second.mean, c->io_gib_per_second.stdev);
    }
    if (m->evaluation) {
        const mlps_run_metrics *e = m->evaluation;
        fprintf(out, "[METRIC] Eval Accelerator Utilization [AU] (%%): %.4f (%.4f)\n",
                e->au_percent.mean, e->au_percent.stdev);
        fprintf(out, "[METRIC] Eval Throughput (samples/second): %.6f (%.6f)\n",
                e->throughput.mean, e->throughput.stdev);
        fprintf(out, "[METRIC] Eval Throughput (MiB/second): %.6f (%.6f)\n",
                e->io_mean_mib_per_second, e->io_stdev_mib_per_second);
        fprintf(out, "[METRIC] eval_au_meet_expectation: %s\n",
                e->meets_expectation ? "success" : "fail");
    }
    fprintf(out, "[METRIC] Training Throughput by the (n-2) reference formula (samples/second): "
            "%.4f (%.4f)\n", m->reference_throughput.mean, m->reference_throughput.stdev);
    fprintf(out, "[METRIC] Training bytes read (MiB/second): %.4f (%.4f)\n",
            m->bytes_per_second.mean / mebibyte, m->bytes_per_second.stdev / mebibyte);
    fprintf(out, METRIC_RULE);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
