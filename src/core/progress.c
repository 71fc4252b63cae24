/* Progress line; see progress.h. */
#include "core/progress.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/units.h"

static uint64_t plain_interval_ns(void)
{
    const char *env = getenv("MLPS_PROGRESS_INTERVAL");
    double seconds = env ? atof(env) : 10.0;
    return mlps_seconds_to_ns(seconds > 0 ? seconds : 10.0);
}

void mlps_progress_start(mlps_progress *p, const char *label, mlps_progress_unit unit,
                         const char *item_name, uint64_t total, bool enabled, int live)
{
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label);
    p->unit = unit;
    p->item_name = item_name ? item_name : "items";
    p->total = total;
    p->enabled = enabled;
    p->out = stderr;
    p->live = live < 0 ? isatty(STDERR_FILENO) : live != 0;
    p->interval_ns = p->live ? MLPS_NS_PER_SEC / 4 : plain_interval_ns();
    p->start_ns = mlps_monotonic_ns();
    atomic_init(&p->done, 0);
    atomic_init(&p->last_print_ns, p->start_ns);
}

void mlps_progress_add(mlps_progress *p, uint64_t amount)
{
    atomic_fetch_add_explicit(&p->done, amount, memory_order_relaxed);
}

static void format_amount(const mlps_progress *p, uint64_t amount, char *out, size_t size)
{
    if (p->unit == MLPS_PROGRESS_BYTES)
        mlps_format_bytes(amount, out, size);
    else
        snprintf(out, size, "%llu", (unsigned long long)amount);
}

static void format_rate(const mlps_progress *p, double per_second, char *out, size_t size)
{
    if (p->unit == MLPS_PROGRESS_BYTES)
        mlps_format_rate(per_second, out, size);
    else
        snprintf(out, size, "%.1f %s/s", per_second, p->item_name);
}

void mlps_progress_format(const mlps_progress *p, uint64_t now_ns, char *out, size_t size)
{
    uint64_t done = atomic_load_explicit(&p->done, memory_order_relaxed);
    double elapsed = mlps_ns_to_seconds(now_ns > p->start_ns ? now_ns - p->start_ns : 0);
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    char done_text[32], total_text[32], rate_text[48], elapsed_text[24], eta_text[24];
    format_amount(p, done, done_text, sizeof done_text);
    format_rate(p, rate, rate_text, sizeof rate_text);
    mlps_format_duration(elapsed, elapsed_text, sizeof elapsed_text);
    if (p->total == 0) {
        snprintf(out, size, "%s: %s%s%s, %s, elapsed %s", p->label, done_text,
                 p->unit == MLPS_PROGRESS_ITEMS ? " " : "",
                 p->unit == MLPS_PROGRESS_ITEMS ? p->item_name : "", rate_text, elapsed_text);
        return;
    }
    format_amount(p, p->total, total_text, sizeof total_text);
    double fraction = (double)done / (double)p->total;
    if (rate > 0 && done < p->total)
        mlps_format_duration((double)(p->total - done) / rate, eta_text, sizeof eta_text);
    else
        snprintf(eta_text, sizeof eta_text, done >= p->total ? "0:00" : "--:--");
    snprintf(out, size, "%s: %5.1f%% %s/%s%s%s, %s, elapsed %s, ETA %s", p->label, 100.0 * fraction,
             done_text, total_text, p->unit == MLPS_PROGRESS_ITEMS ? " " : "",
             p->unit == MLPS_PROGRESS_ITEMS ? p->item_name : "", rate_text, elapsed_text, eta_text);
}

static void print_now(mlps_progress *p, uint64_t now_ns, bool final)
{
    char line[512];
    mlps_progress_format(p, now_ns, line, sizeof line);
    if (p->detail) {
        size_t used = strlen(line);
        if (used + 2 < sizeof line) {
            memcpy(line + used, ", ", 3);
            p->detail(p->detail_ctx, line + used + 2, sizeof line - used - 2);
        }
    }
    if (p->live) {
        fprintf(p->out, "\r%s\033[K%s", line, final ? "\n" : "");
        fflush(p->out);
    } else {
        mlps_info("%s", line);
    }
}

void mlps_progress_tick(mlps_progress *p)
{
    if (!p->enabled)
        return;
    uint64_t now = mlps_monotonic_ns();
    uint64_t last = atomic_load_explicit(&p->last_print_ns, memory_order_relaxed);
    if (now - last < p->interval_ns)
        return;
    /* Only the thread that moves the stamp forward prints, so lines never interleave. */
    if (atomic_compare_exchange_strong(&p->last_print_ns, &last, now))
        print_now(p, now, false);
}

void mlps_progress_finish(mlps_progress *p)
{
    if (p->enabled)
        print_now(p, mlps_monotonic_ns(), true);
}
