/* The sink over a sequential writer: see sink_seqwriter.h. */
#include "formats/sink_seqwriter.h"

static int seqwriter_write(void *ctx, const void *data, size_t len, mlps_error *err)
{
    return mlps_seqwriter_write(ctx, data, len, err);
}

static int seqwriter_write_random(void *ctx, uint64_t len, uint64_t seed, uint64_t stream,
                                  uint64_t offset, mlps_error *err)
{
    return mlps_seqwriter_write_random(ctx, len, seed, stream, offset, err);
}

void mlps_seqwriter_sink(mlps_seqwriter *w, mlps_sink *sink)
{
    *sink = (mlps_sink){.write = seqwriter_write, .write_random = seqwriter_write_random, .ctx = w};
}
