/* quant_info.c: quantization records in a graph's arena (see quant_info.h). */
#include "model/quant_info.h"

et_quant_info *et_quant_info_new(et_graph *g, int n, float **scale, int32_t **zero_point) {
    et_quant_info *q = et_arena_calloc(&g->arena, 1, sizeof *q);
    float *s = et_arena_calloc(&g->arena, (size_t)(n > 0 ? n : 1), sizeof *s);
    int32_t *z = et_arena_calloc(&g->arena, (size_t)(n > 0 ? n : 1), sizeof *z);
    if (!q || !s || !z)
        return NULL;
    q->n = n;
    q->axis = -1;
    q->scale = s;
    q->zero_point = z;
    if (scale)
        *scale = s;
    if (zero_point)
        *zero_point = z;
    return q;
}

const et_quant_info *et_quant_info_act(et_graph *g, float scale, int32_t zero_point) {
    float *s;
    int32_t *z;
    et_quant_info *q = et_quant_info_new(g, 1, &s, &z);
    if (!q)
        return NULL;
    s[0] = scale;
    z[0] = zero_point;
    q->value_bits = 8;
    q->storage_bits = 8;
    q->qmin = -128;
    q->qmax = 127;
    return q;
}
