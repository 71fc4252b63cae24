/* "Did you mean ...?": the nearest valid name to a mistyped one, for flags, keys and choices. */
#ifndef MLPS_CORE_SUGGEST_H
#define MLPS_CORE_SUGGEST_H

#include <stddef.h>

/* Optimal-string-alignment edit distance (insertions, deletions, substitutions, transpositions). */
size_t mlps_edit_distance(const char *a, const char *b);

/* The candidate closest to word, or NULL when none is plausibly meant (distance above a third of
 * the word's length, at least 2). Ties go to the earlier candidate. */
const char *mlps_nearest_name(const char *word, const char *const *candidates, size_t count);

#endif
