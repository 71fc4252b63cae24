/* Included once by each test program that starts MPI. The MPI runtime's leaks at exit are
 * suppressed by tests/lsan.supp, which matches library names anywhere in the allocation stack;
 * the default fast unwinder stops at the first frame inside those libraries (built without
 * frame pointers, some unloaded by exit), leaving stacks nothing can match. The slower full
 * unwinder gives the whole stack. Only sanitizer builds see this. */
#ifndef MLPS_TESTS_MPI_SANITIZER_H
#define MLPS_TESTS_MPI_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }
#endif

#endif
