// Thin module over OpenBLAS's CBLAS interface (Debian: libopenblas-dev).
// OpenBLAS's cblas.h also declares openblas_get_corename / openblas_set_num_threads.
#include <cblas.h>
