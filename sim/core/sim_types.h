/*
 * Basic types of the simulation core: time, cycles and the forward declarations every layer
 * shares. Simulated time is an unsigned count of picoseconds; a cycle number is always relative
 * to one clock domain (cycle n of domain d happens at d->phase + n * d->period).
 */
#ifndef MEMBOX_SIM_TYPES_H
#define MEMBOX_SIM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t SimTime;  /* picoseconds */
typedef uint64_t SimCycle; /* edges of one clock domain, counted from 0 */

#define SIM_TIME_NEVER  UINT64_MAX
#define SIM_CYCLE_NEVER UINT64_MAX

#define SIM_PS_PER_NS 1000ULL
#define SIM_PS_PER_US 1000000ULL
#define SIM_PS_PER_MS 1000000000ULL
#define SIM_PS_PER_S  1000000000000ULL

/*
 * What a component's tick returns when it has nothing to do until one of its ports delivers a
 * packet or frees a slot. Any other value is the absolute cycle (of the component's own domain)
 * at which it must run next; returning now + 1 keeps it ticking every cycle.
 */
#define SIM_SLEEP SIM_CYCLE_NEVER

typedef struct Sim Sim;
typedef struct SimDomain SimDomain;
typedef struct SimComponent SimComponent;
typedef struct SimComponentOps SimComponentOps;
typedef struct SimPort SimPort;
typedef struct SimPacket SimPacket;
typedef struct SimPacketPool SimPacketPool;
typedef struct SimStats SimStats;

#ifdef __cplusplus
}
#endif

#endif
