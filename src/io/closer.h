/* A closer: a thread that closes finished files (mlps_file_close: fsync, publication of an
 * MLPS_OPEN_ATOMIC write under its name, or an object store's completed upload) in the order they
 * were handed over, so a writer goes on with its next file while the storage makes the last one
 * durable. Nothing about a file's guarantees changes: it still appears under its name only after
 * all its bytes are written and flushed, and a failed close still discards it.
 *
 * At most `depth` files are handed over and not yet closed; handing over one more waits for room,
 * so what a file still holds at close (an object's last part) is bounded too. After a close fails,
 * every file handed over later is discarded (mlps_file_abort) instead of closed, and the failure,
 * which names the file, is returned by every later hand-over and by mlps_closer_finish.
 *
 * One closer serves one writing thread. */
#ifndef MLPS_IO_CLOSER_H
#define MLPS_IO_CLOSER_H

#include "core/error.h"
#include "io/store.h"

typedef struct mlps_closer mlps_closer;

/* Starts the closing thread; depth is 1..64. */
int mlps_closer_start(unsigned depth, mlps_closer **out, mlps_error *err);

/* Hands over a file with no request in flight, to be closed on the closer's thread; the file
 * belongs to the closer from now on, whatever the outcome. Waits while depth files are pending.
 * Returns the failure of an earlier close, if any (the file is then discarded). */
int mlps_closer_close(mlps_closer *closer, mlps_file *file, mlps_error *err);

/* Waits until every file handed over is closed, stops the thread and frees the closer. Returns
 * the first failure of a close. NULL is a closer with nothing to do. */
int mlps_closer_finish(mlps_closer *closer, mlps_error *err);

#endif
