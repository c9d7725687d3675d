/* The MPI calls of `sweep`, as the loadable module libmembox-sim-mpi.so (sweep_mpi.h). */
#include "sim/cli/sweep_mpi.h"

#include <mpi.h>

static void init(int *rank, int *size)
{
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
}

static int allreduce(int mine, MPI_Op op)
{
    int all = mine;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, op, MPI_COMM_WORLD);
    return all;
}

static int allreduce_max(int mine)
{
    return allreduce(mine, MPI_MAX);
}

static int allreduce_min(int mine)
{
    return allreduce(mine, MPI_MIN);
}

static void finalize(void)
{
    MPI_Finalize();
}

static void bcast_u64(unsigned long long *v, int n)
{
    MPI_Bcast(v, n, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
}

static void send_i64(const long long *v, int n, int tag)
{
    MPI_Send(v, n, MPI_LONG_LONG, 0, tag, MPI_COMM_WORLD);
}

static void send_bytes(const char *b, int n, int tag)
{
    MPI_Send(b, n, MPI_CHAR, 0, tag, MPI_COMM_WORLD);
}

static int recv_i64_any(long long *v, int n, int tag)
{
    MPI_Status st;
    MPI_Recv(v, n, MPI_LONG_LONG, MPI_ANY_SOURCE, tag, MPI_COMM_WORLD, &st);
    return st.MPI_SOURCE;
}

static void recv_bytes(char *b, int n, int source, int tag)
{
    MPI_Recv(b, n, MPI_CHAR, source, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

const SweepMpi *membox_sweep_mpi(void)
{
    static const SweepMpi ops = {init,     allreduce_max, allreduce_min, finalize,  bcast_u64,
                                 send_i64, send_bytes,    recv_i64_any,  recv_bytes};
    return &ops;
}
