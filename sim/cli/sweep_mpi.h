/*
 * What `sweep` needs of MPI (cmd_sweep.c), behind a table of functions that the module
 * libmembox-sim-mpi.so (sweep_mpi.c, linked with Open MPI) provides: the command loads it only
 * when an MPI launcher started the process (module.h), so no other run maps Open MPI. Every call
 * is on MPI_COMM_WORLD.
 */
#ifndef MEMBOX_SIM_CLI_SWEEP_MPI_H
#define MEMBOX_SIM_CLI_SWEEP_MPI_H

#define MEMBOX_SWEEP_MPI_MODULE "libmembox-sim-mpi.so"
#define MEMBOX_SWEEP_MPI_SYMBOL "membox_sweep_mpi"

typedef struct SweepMpi {
    void (*init)(int *rank, int *size);
    int (*allreduce_max)(int mine);
    int (*allreduce_min)(int mine);
    void (*finalize)(void);
    void (*bcast_u64)(unsigned long long *v, int n);      /* from rank 0 */
    void (*send_i64)(const long long *v, int n, int tag); /* to rank 0 */
    void (*send_bytes)(const char *b, int n, int tag);    /* to rank 0 */
    int (*recv_i64_any)(long long *v, int n, int tag);    /* from any rank: its rank */
    void (*recv_bytes)(char *b, int n, int source, int tag);
} SweepMpi;

/* The module's one export, named MEMBOX_SWEEP_MPI_SYMBOL. */
const SweepMpi *membox_sweep_mpi(void);

#endif
