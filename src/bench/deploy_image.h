/* deploy_image.h: a tuned graph as one self-contained block of bytes, for the process that measures deployed
 * memory (deploy_memory.h).
 *
 * The image holds exactly what a deployment of edgetune's engine loads: every value (name, type, shape, kind,
 * quantization record) and node (operator, attributes, fused activation) of the tuned graph, and the constant
 * data as the tuned graph holds it (int8 codes for int8 and packed-4-bit layers, fp32 for fp32 layers,
 * channel-pruned shapes), each block 64-byte aligned so that a reader can map the image and borrow the data in
 * place, as the ONNX reader borrows from a model file. It is written and read by the same edgetune binary (parent
 * and child of one run): it is not a file format for users (that is `edgetune save`).
 *
 * Layout: "ETIMG001", u64 meta bytes, u64 data offset (absolute, 64-aligned), u64 total bytes; the meta records
 * (little-endian, host layout); then the data blocks. */
#ifndef ET_BENCH_DEPLOY_IMAGE_H
#define ET_BENCH_DEPLOY_IMAGE_H

#include <stddef.h>

#include "model/graph.h"

/* Writes g's image to fd (from its current position). ET_E_IO naming what failed, ET_E_NOMEM. *bytes (may be
 * NULL) gets the image size. */
et_status et_deploy_image_write(const et_graph *g, int fd, size_t *bytes, et_err *err);

/* Builds a graph from an image at data[0..len) (a mapping the caller keeps alive as long as the graph and any plan
 * made from it: constant data is borrowed from it). ET_E_INPUT for a damaged image. The caller frees *out. */
et_status et_deploy_image_read(const void *data, size_t len, et_graph **out, et_err *err);

#endif
