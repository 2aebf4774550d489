/* checkpoint.h: a training run on disk, so that it survives Ctrl-C, SIGKILL and a full disk (checkpoint.c).
 *
 * A checkpoint holds the network's master weights, pruning masks, BatchNorm statistics and activation ranges,
 * the optimizer's state and the trainer's state (epochs done, position in the current epoch, running sums,
 * history), plus a tag the caller composes from everything the run depends on (model, knobs, data, settings):
 * a checkpoint is only resumed under the same tag. The file ends with a SHA-256 of its content, so a damaged or
 * truncated file is refused instead of trained on. It is written to a temporary file in the same folder,
 * flushed to disk and renamed over the old one: at every moment the path holds the last complete checkpoint. */
#ifndef ET_TRAIN_CHECKPOINT_H
#define ET_TRAIN_CHECKPOINT_H

#include "train/optim.h"
#include "train/trainer.h"

/* Writes the checkpoint. ET_E_IO / ET_E_PERMISSION naming the path (the previous file is left as it was). */
et_status et_checkpoint_write(const char *path, const char *tag, et_tnet *net, et_optim *opt, const et_train_state *st,
                              et_err *err);

/* Reads a checkpoint into a network and optimizer built as the ones that wrote it. ET_E_IO when the file cannot
 * be read; ET_E_INPUT naming the path for a file that is not a checkpoint, damaged, made under another tag
 * (the message shows both), or for a network of other parameters. Nothing is changed on failure. */
et_status et_checkpoint_read(const char *path, const char *tag, et_tnet *net, et_optim *opt, et_train_state *st,
                             et_err *err);

#endif
