#ifndef CBALLAST_LAPACK_SHIM_H
#define CBALLAST_LAPACK_SHIM_H

// OpenBLAS ships cblas.h (with openblas_set_num_threads); the reference
// LAPACKE ships lapacke.h. Both are C headers with plain int indices (LP64).
#include <cblas.h>
#include <lapacke.h>

#endif
