/* augment.h: input augmentation for distillation (finetune/distill --augment): an image input (rank 4, N C H W)
 * flipped left-right with probability 1/2 and shifted by up to 2 pixels each way, the border pixels repeated into
 * what the shift uncovers (a background stays background whatever its normalised value). Without labels the
 * teacher labels every augmented image itself, so the student sees new inputs at every epoch ("function
 * matching", Beyer et al. 2022); a left-right flip must not change the class (true of Fashion-MNIST and of
 * photographs, not of digits or text: the flag is off by default). */
#ifndef ET_TRAIN_AUGMENT_H
#define ET_TRAIN_AUGMENT_H

#include <stdint.h>

/* The transform of one sample, from key (seeded, so a resumed run sees the same ones). */
typedef struct et_augment {
    int flip;   /* 0 or 1 */
    int dx, dy; /* -2..2: the content moves right by dx, down by dy */
} et_augment;

et_augment et_augment_pick(uint64_t key);

/* Applies a to x (channels x h x w floats, in place); scratch holds h x w floats. */
void et_augment_image(float *x, int64_t channels, int64_t h, int64_t w, et_augment a, float *scratch);

#endif
