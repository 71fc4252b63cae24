/* Agreeing on failure across ranks: after a step that each rank runs on its own, every rank
 * learns whether any rank failed, and the failure is reported once, by rank 0, in the words of
 * the first rank that failed. */
#ifndef MLPS_CORE_COMM_AGREE_H
#define MLPS_CORE_COMM_AGREE_H

#include "core/comm.h"

/* Collective. rc is this rank's result and err its message. Returns 0 on every rank when all
 * succeeded; otherwise a non-zero code on every rank, with rank 0's err holding the first failing
 * rank's message ("rank 3: ..." when it is not rank 0, plus how many other ranks failed), and the
 * other ranks' err message emptied so that only rank 0 prints it. Every rank's err gets that
 * failure's exit status, so the job exits with it whichever rank ends first. Agree a failure once:
 * a second agreement counts the ranks that learned of it as failing themselves. */
int mlps_comm_agree(const mlps_comm *comm, int rc, mlps_error *err);

#endif
