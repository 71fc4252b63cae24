/* The checkpoint size report for people: a few lines whatever the process count. Numbers carry
 * thousands separators; sizes are given in bytes and GiB (the reference's "GB"), totals also in
 * GB (10^9) because storage is sold in those. */
#include "checkpoint/datasize.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* Longest span of groups listed before the rest is summed up in one line. */
#define MAX_GROUPS_SHOWN 8

static double in_gib(double bytes) { return bytes / (double)(1ull << 30); }

/* Copies a decimal number's text with ',' between thousands of its integer part. */
static void group_thousands(const char *plain, char *out, size_t size)
{
    size_t digits = strcspn(plain, ".");
    size_t used = 0;
    for (size_t i = 0; plain[i] && used + 2 < size; i++) {
        if (i > 0 && i < digits && (digits - i) % 3 == 0)
            out[used++] = ',';
        out[used++] = plain[i];
    }
    out[used] = '\0';
}

typedef struct number {
    char text[40];
} number;

static number count_text(uint64_t value)
{
    char plain[24];
    number n;
    snprintf(plain, sizeof plain, "%" PRIu64, value);
    group_thousands(plain, n.text, sizeof n.text);
    return n;
}

static number real_text(double value, int decimals)
{
    char plain[40];
    number n;
    snprintf(plain, sizeof plain, "%.*f", decimals, value);
    group_thousands(plain, n.text, sizeof n.text);
    return n;
}

static number gib_text(double bytes, int decimals) { return real_text(in_gib(bytes), decimals); }

static void put_ranks(FILE *out, uint64_t first, uint64_t last)
{
    if (first == last)
        fprintf(out, "rank %" PRIu64, first);
    else
        fprintf(out, "ranks %" PRIu64 "–%" PRIu64, first, last);
}

static const char *plural(uint64_t count) { return count == 1 ? "" : "s"; }
static const char *each(uint64_t first, uint64_t last) { return first == last ? "" : " each"; }

static void put_header(const mlps_checkpoint_datasize *d, FILE *out)
{
    const mlps_checkpoint_layout *l = &d->layout;
    fprintf(out, "Checkpoint of %s on %" PRIu64 " process%s: TP %" PRIu64 " x PP %" PRIu64
            " x DP %" PRIu64 ", ZeRO stage %u, %s parameters\n", d->model, l->comm_size,
            l->comm_size == 1 ? "" : "es", l->params.tensor, l->params.pipeline,
            l->data_parallel, l->params.zero_stage, count_text(l->parameters).text);
    if (l->params.mode == MLPS_CHECKPOINT_MODE_SUBSET)
        fprintf(out, "Subset mode: these are the first %" PRIu64 " ranks of a job of %" PRIu64
                "\n", l->comm_size, l->data_parallel * l->model_parallel);
}

static void put_group(const mlps_checkpoint_rank_group *g, FILE *out)
{
    fputs("    ", out);
    put_ranks(out, g->first_rank, g->last_rank);
    fprintf(out, ": %s GiB%s (%s B) in %" PRIu64 " file%s", gib_text((double)g->bytes, 2).text,
            each(g->first_rank, g->last_rank), count_text(g->bytes).text, g->files,
            plural(g->files));
    if (g->model_by_layer && g->first_stage == g->last_stage)
        fprintf(out, ", stage %" PRIu64 ": layers %" PRIu64 "–%" PRIu64, g->first_stage,
                g->first_layer, g->last_layer);
    else if (g->model_by_layer)
        fprintf(out, ", stages %" PRIu64 "–%" PRIu64 ": %" PRIu64 " layers each", g->first_stage,
                g->last_stage, g->layers_each);
    fputc('\n', out);
}

static void put_span_summary(const mlps_checkpoint_rank_span *s, FILE *out)
{
    uint64_t ranks = s->last_rank - s->first_rank + 1;
    fputs("  ", out);
    put_ranks(out, s->first_rank, s->last_rank);
    if (s->min_bytes == s->max_bytes)
        fprintf(out, ": %s GiB%s (%s B)", gib_text((double)s->min_bytes, 2).text,
                each(s->first_rank, s->last_rank), count_text(s->min_bytes).text);
    else
        fprintf(out, ": %s GiB each on average (%s to %s GiB)",
                gib_text((double)s->total_bytes / (double)ranks, 2).text,
                gib_text((double)s->min_bytes, 2).text, gib_text((double)s->max_bytes, 2).text);
    if (s->min_files == s->max_files)
        fprintf(out, " in %" PRIu64 " file%s", s->min_files, plural(s->min_files));
    else
        fprintf(out, " in %" PRIu64 " to %" PRIu64 " files", s->min_files, s->max_files);
    fprintf(out, ": %s\n", mlps_checkpoint_role_name(s->role));
}

static void put_idle_span(const mlps_checkpoint_datasize *d, const mlps_checkpoint_rank_span *s,
                          FILE *out)
{
    fputs("  ", out);
    put_ranks(out, s->first_rank, s->last_rank);
    fputs(d->layout.params.zero_stage == 0
              ? ": nothing (ZeRO stage 0 keeps one copy, on the first TP x PP ranks)\n"
              : ": nothing\n", out);
}

static void put_span(const mlps_checkpoint_datasize *d, const mlps_checkpoint_rank_span *s,
                     FILE *out)
{
    if (s->role == MLPS_CHECKPOINT_ROLE_NOTHING) {
        put_idle_span(d, s, out);
        return;
    }
    put_span_summary(s, out);
    if (s->group_count < 2)
        return;
    size_t shown = s->group_count > MAX_GROUPS_SHOWN ? MAX_GROUPS_SHOWN - 1 : s->group_count;
    for (size_t i = 0; i < shown; i++)
        put_group(&d->groups[s->first_group + i], out);
    if (shown < s->group_count)
        fprintf(out, "    ... and %zu more groups of ranks\n", s->group_count - shown);
}

static void put_totals(const mlps_checkpoint_datasize *d, FILE *out)
{
    const mlps_checkpoint_totals *t = &d->totals;
    fprintf(out, "Per checkpoint: %s B = %s GiB = %s GB in %s files (model %s GiB, "
            "optimizer %s GiB)\n", count_text(t->bytes).text, gib_text((double)t->bytes, 4).text,
            real_text((double)t->bytes / 1e9, 2).text, count_text(t->files).text,
            gib_text((double)t->model_bytes, 4).text, gib_text((double)t->optimizer_bytes, 4).text);
    if (t->reported_bytes != t->bytes)
        fprintf(out, "checkpoint_size_GB as the reference reports it: %.4f (it also counts model "
                "state that ZeRO 2 ranks hold but do not write)\n", d->checkpoint_size_gib);
}

static void put_cache_advice(const mlps_checkpoint_datasize *d, FILE *out)
{
    fprintf(out, "Page cache: %s GiB of checkpoint per client host (%" PRIu64 " host%s) is %s "
            "%d x %s GiB of host memory", gib_text(d->bytes_per_host, 2).text, d->hosts,
            plural(d->hosts), d->drop_caches_needed ? "less than" : "at least",
            MLPS_CHECKPOINT_MEMORY_MULTIPLE, gib_text((double)d->host_memory_bytes, 2).text);
    if (!d->drop_caches_needed) {
        fputs(": writes and reads may run in one go.\n", out);
        return;
    }
    fputs(", so reads could be served from memory. Drop the caches between writing and "
          "reading:\n"
          "  1. write only: run with -ncr 0 (--num-checkpoints-read 0)\n"
          "  2. on every client host: sync; echo 3 > /proc/sys/vm/drop_caches\n"
          "  3. read only: run with -ncw 0 (--num-checkpoints-write 0)\n", out);
}

int mlps_checkpoint_datasize_write_text(const mlps_checkpoint_datasize *d, FILE *out)
{
    put_header(d, out);
    fputs("Per rank:\n", out);
    for (size_t i = 0; i < d->span_count; i++)
        put_span(d, &d->spans[i], out);
    put_totals(d, out);
    if (d->memory_known)
        put_cache_advice(d, out);
    return ferror(out) ? -EIO : 0;
}
