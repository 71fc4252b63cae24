/* The arithmetic and the output of `mlps kvcache datasize` (kvcache_datasize.h). */
#include "cli/kvcache_datasize.h"

#include "core/units.h"

#define GIB 1073741824.0

/* Σ_{c=0}^{n} ⌊c/4⌋: each full block of four values j contributes 4j, the partial last one q. */
static double sum_quarters_to(int64_t n)
{
    if (n < 0)
        return 0;
    double q = (double)(n / 4), r = (double)(n % 4);
    return 4 * q * (q - 1) / 2 + q * (r + 1);
}

/* Mean of (max(1, ⌊C/4⌋) + C) / 2 for C uniform on [lo, hi] (lo ≥ 1). */
static double mean_request_context(int64_t lo, int64_t hi)
{
    double count = (double)(hi - lo + 1);
    double quarters = sum_quarters_to(hi) - sum_quarters_to(lo - 1);
    /* C < 4 has ⌊C/4⌋ = 0, raised to 1. */
    int64_t small_hi = hi < 3 ? hi : 3;
    double raised = small_hi >= lo ? (double)(small_hi - lo + 1) : 0;
    double mean_c = ((double)lo + (double)hi) / 2;
    return ((quarters + raised) / count + mean_c) / 2;
}

double mlps_kv_mean_context_tokens(const mlps_kv_settings *settings)
{
    double total = 0;
    for (int t = 0; t < MLPS_KV_USER_TYPE_COUNT; t++)
        total += mean_request_context(settings->templates[t].context_min,
                                      settings->templates[t].context_max);
    return total / MLPS_KV_USER_TYPE_COUNT;
}

mlps_kv_datasize_row mlps_kv_datasize_of(const char *model, uint64_t bytes_per_token,
                                         uint64_t users, uint64_t context_tokens)
{
    mlps_kv_datasize_row row = {.model = model, .bytes_per_token = bytes_per_token};
    row.entry_bytes_2048 = 2048 * bytes_per_token;
    row.entry_bytes_8192 = 8192 * bytes_per_token;
    row.working_set_bytes = users * context_tokens * bytes_per_token;
    double gib = (double)row.working_set_bytes / GIB;
    row.gpu_mem_gb = 0.2 * gib;
    row.cpu_mem_gb = 0.5 * gib;
    row.storage_capacity_gb = 2.0 * gib;
    return row;
}

void mlps_kv_datasize_write_text(const mlps_kv_datasize_row *rows, size_t count, uint64_t users,
                                 uint64_t context_tokens, const char *context_source, FILE *out)
{
    fprintf(out, "KV cache for %llu users with one live entry of %llu tokens each (%s)\n\n",
            (unsigned long long)users, (unsigned long long)context_tokens, context_source);
    fprintf(out, "%-24s %12s %12s %12s %14s   %-28s\n", "model", "bytes/token", "entry@2048",
            "entry@8192", "working set", "suggested GiB: gpu cpu storage");
    for (size_t i = 0; i < count; i++) {
        const mlps_kv_datasize_row *r = &rows[i];
        char e2[32], e8[32], ws[32];
        mlps_format_bytes(r->entry_bytes_2048, e2, sizeof e2);
        mlps_format_bytes(r->entry_bytes_8192, e8, sizeof e8);
        mlps_format_bytes(r->working_set_bytes, ws, sizeof ws);
        fprintf(out, "%-24s %12llu %12s %12s %14s   %.2f %.2f %.2f\n", r->model,
                (unsigned long long)r->bytes_per_token, e2, e8, ws, r->gpu_mem_gb, r->cpu_mem_gb,
                r->storage_capacity_gb);
    }
    fprintf(out, "\nSuggested tiers (0.2x, 0.5x and 2x the working set) make the run spill to\n"
                 "storage: pass them as --gpu-mem-gb, --cpu-mem-gb and --storage-capacity-gb.\n");
}

json_t *mlps_kv_datasize_to_json(const mlps_kv_datasize_row *rows, size_t count, uint64_t users,
                                 uint64_t context_tokens, const char *context_source)
{
    json_t *models = json_array();
    for (size_t i = 0; i < count; i++) {
        const mlps_kv_datasize_row *r = &rows[i];
        json_array_append_new(
            models,
            json_pack("{s:s, s:I, s:I, s:I, s:I, s:{s:f, s:f, s:f}}", "model", r->model,
                      "bytes_per_token", (json_int_t)r->bytes_per_token, "entry_bytes_2048",
                      (json_int_t)r->entry_bytes_2048, "entry_bytes_8192",
                      (json_int_t)r->entry_bytes_8192, "working_set_bytes",
                      (json_int_t)r->working_set_bytes, "suggested", "gpu_mem_gb", r->gpu_mem_gb,
                      "cpu_mem_gb", r->cpu_mem_gb, "storage_capacity_gb",
                      r->storage_capacity_gb));
    }
    return json_pack("{s:I, s:I, s:s, s:o}", "num_users", (json_int_t)users, "context_tokens",
                     (json_int_t)context_tokens, "context_source", context_source, "models",
                     models);
}
