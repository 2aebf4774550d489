/* bcast.c: broadcast iteration with dimension collapsing. */
#include "engine/nodes/bcast.h"

#include <string.h>

void et_bcast_init(et_bcast *b, const et_shape *out, const et_shape *const *ins, int n) {
    memset(b, 0, sizeof *b);
    b->n_ops = n;
    int64_t st[ET_BCAST_MAX_OPERANDS][ET_MAX_RANK];
    for (int k = 0; k < n; k++)
        et_broadcast_strides(ins[k], out, st[k]);
    /* collapse: drop size-1 dims, merge dim i into i+1 when every operand's strides are compatible */
    int r = 0;
    for (int i = 0; i < out->rank; i++) {
        if (out->dim[i] == 1)
            continue;
        if (r > 0) {
            bool merge = true;
            for (int k = 0; k < n; k++) {
                int64_t prev = b->stride[k][r - 1], cur = st[k][i];
                /* previous dim's stride must equal cur * dim[i] (contiguous) or both be 0 (broadcast) */
                if (!((prev == 0 && cur == 0) || (cur != 0 && prev == cur * out->dim[i])))
                    merge = false;
            }
            if (merge) {
                b->dim[r - 1] *= out->dim[i];
                for (int k = 0; k < n; k++)
                    b->stride[k][r - 1] = st[k][i];
                continue;
            }
        }
        b->dim[r] = out->dim[i];
        for (int k = 0; k < n; k++)
            b->stride[k][r] = st[k][i];
        r++;
    }
    if (r == 0) {
        b->dim[0] = 1;
        for (int k = 0; k < n; k++)
            b->stride[k][0] = 0;
        r = 1;
    }
    b->rank = r;
    b->inner = b->dim[r - 1];
    b->outer = 1;
    for (int i = 0; i < r - 1; i++)
        b->outer *= b->dim[i];
    if (et_shape_numel(out) == 0)
        b->outer = 0;
}

void et_bcast_offsets(const et_bcast *b, int64_t row, int64_t *offsets) {
    for (int k = 0; k < b->n_ops; k++)
        offsets[k] = 0;
    for (int i = b->rank - 2; i >= 0; i--) {
        int64_t idx = row % b->dim[i];
        row /= b->dim[i];
        for (int k = 0; k < b->n_ops; k++)
            offsets[k] += idx * b->stride[k][i];
    }
}
