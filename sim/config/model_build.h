/*
 * The builder's side of SimBuild (model.h), shared by the builder (config_build.c) and the
 * functions models call while building (model_build.c). model_build.c is its own library,
 * simmodelapi, the only part of sim/config a model links against (models/meson.build).
 */
#ifndef MEMBOX_SIM_CONFIG_MODEL_BUILD_H
#define MEMBOX_SIM_CONFIG_MODEL_BUILD_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Where a built instance keeps one of its declared ports: the component that owns it and the
 * field (SimPort *) the kernel stores the connected port in.
 */
typedef struct SimPortBinding {
    SimComponent *component;
    SimPort **slot;
} SimPortBinding;

/* One instance's port bindings and statistics blocks, as the model gives them. */
struct SimBuild {
    const SimModelType *type;
    SimPortBinding *bindings; /* type->n_ports, in table order */
    char mistake[200];        /* the first binding the type's table refuses, "" if none */
    SimStatBinding stats;     /* blocks of the type's statistics table */
    bool stats_bound;
};

#ifdef __cplusplus
}
#endif

#endif
