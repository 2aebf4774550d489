/* drop_model.c: the refitted scale of the search's accuracy model (drop_model.h). */
#include "search/drop_model.h"

#include <math.h>

void et_drop_model_init(et_drop_model *m, double limit_pp) { *m = (et_drop_model){.scale = 1.0, .limit_pp = limit_pp}; }

bool et_drop_model_add(et_drop_model *m, double additive_pp, double measured_pp) {
    if (isnan(additive_pp) || isnan(measured_pp) || !(additive_pp > 0.0))
        return false;
    if (m->limit_pp > 0.0 && (additive_pp > m->limit_pp || measured_pp > m->limit_pp))
        return false;
    m->sum_additive_pp += additive_pp;
    m->sum_measured_pp += measured_pp;
    m->n_obs++;
    double s = m->sum_measured_pp / m->sum_additive_pp;
    m->scale = s < ET_DROP_SCALE_MIN ? ET_DROP_SCALE_MIN : s > ET_DROP_SCALE_MAX ? ET_DROP_SCALE_MAX : s;
    return true;
}

double et_drop_model_predict(const et_drop_model *m, double additive_pp) { return m->scale * additive_pp; }
