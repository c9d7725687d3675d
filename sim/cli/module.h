/*
 * Loadable parts of the command: the SystemC kernel (`--kernel systemc`) and MPI (`sweep` under
 * mpirun) are shared modules beside the executable, loaded only by the runs that use them, so
 * that every other run neither maps nor initialises libsystemc, libstdc++ and Open MPI (about
 * 7 MB of resident memory and their start-up; docs/performance.md, issue 13).
 *
 * A module is looked for in the executable's own directory (the build tree), then in the
 * installed module directory (MEMBOX_MODULE_DIR, set by the build).
 */
#ifndef MEMBOX_SIM_CLI_MODULE_H
#define MEMBOX_SIM_CLI_MODULE_H

#include <stdbool.h>
#include <stddef.h>

/* A function of a module, to be cast to its own type before the call. */
typedef void (*MemboxModuleFn)(void);

/*
 * The function `symbol` of the module file `name` (e.g. "libmembox-sim-sc.so"), loaded for the
 * rest of the process; `global`: its symbols serve the libraries it loads in turn (Open MPI's
 * components need it). NULL with why filled (where it was looked for, or the loader's message)
 * when it cannot be loaded.
 */
MemboxModuleFn membox_module_symbol(const char *name, const char *symbol, bool global, char *why,
                                    size_t why_size);

#endif
