/* channel_match.h: which of a teacher layer's output channels a channel-pruned student layer kept, recovered from
 * the two layers' outputs on the same inputs. Channel pruning (tune/prune_channel.c) removes output channels and
 * keeps the rest in their order, and recovery refits the kept channels toward the teacher's same channels, so
 * each kept channel's output lies near its teacher channel's. The tune's own masks are freed once the graph has
 * shrunk and a --resume starts from a checkpoint without the tune, so the map is found here, from the networks
 * alone, instead of being carried out of the tune. */
#ifndef ET_TRAIN_CHANNEL_MATCH_H
#define ET_TRAIN_CHANNEL_MATCH_H

#include <stdint.h>

/* s: count samples of cs channels of hw elements each (NCHW, one sample after another), t: the same samples with
 * ct >= cs channels. Writes map[j] = the teacher channel of student channel j, strictly increasing (the pruning
 * keeps the order), chosen to minimise the sum over j of |s_j - t_map[j]|^2 / (|s_j|^2 + |t_map[j]|^2) (0: equal;
 * 1: unrelated; channels zero in both count 0). Returns the mean of that distance over the student's channels,
 * or -1 when cs > ct, cs < 1 or out of memory (map untouched). */
double et_channel_match(const float *s, int cs, const float *t, int ct, int64_t hw, int count, int *map);

#endif
