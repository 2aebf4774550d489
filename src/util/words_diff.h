/* words_diff.h: where two settings strings differ, in a few words a person can read.
 *
 * A training checkpoint is tagged with one line of the settings it was made for (model and data hashes, knobs,
 * epochs, rates ...); when a resume is refused, printing both whole lines hides the one word that differs. */
#ifndef ET_UTIL_WORDS_DIFF_H
#define ET_UTIL_WORDS_DIFF_H

#include <stdbool.h>
#include <stddef.h>

/* Compares `was` and `now` word by word (words split on spaces) and writes to was_out and now_out the runs of words
 * that differ, at most three runs joined by ", ", each led by the word before it for context (unless that word is
 * "|" or "-", which say nothing), and ", ..." when more differ; words over 16 characters (hashes) are cut to their first 12 and "...".
 * Returns false when the two have different numbers of words (more than 256) or do not differ: the caller then
 * shows the whole strings. Both outputs are always terminated (cap >= 1); a run that does not fit is cut. */
bool et_words_diff(const char *was, const char *now, char *was_out, char *now_out, size_t cap);

#endif
