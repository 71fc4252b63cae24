/* A sink (format.h) that appends through a sequential writer (io/seqwriter.h), so a format writer
 * streams a file of any size to storage with the writer's fixed memory, and its random payloads
 * are generated straight into the I/O buffers. */
#ifndef MLPS_FORMATS_SINK_SEQWRITER_H
#define MLPS_FORMATS_SINK_SEQWRITER_H

#include "formats/format.h"
#include "io/seqwriter.h"

/* Fills sink (written = 0) to append to w; w stays the caller's to close or abort. */
void mlps_seqwriter_sink(mlps_seqwriter *w, mlps_sink *sink);

#endif
