// exp and log over arrays. The activity model takes tens of millions of them per fit, and the C
// library's one-value exp costs about 5.5 ns on this kind of host where glibc's vector variant
// (libmvec, AVX2: four values per call, within 4 ulp of the exact result) costs about 1 ns.
// Elsewhere, and on CPUs without AVX2 and FMA, the same loop calls exp and log one at a time.
#include "vector_math.h"

#include <math.h>

#if defined(__x86_64__) && defined(__GLIBC__)
#include <immintrin.h>

// glibc's vector ABI names (libmvec): AVX2, four doubles.
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_exp(__m256d x);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_log(__m256d x);

static int has_avx2_and_fma;

// Read once, when the program loads.
__attribute__((constructor)) static void detect(void) {
  __builtin_cpu_init();
  has_avx2_and_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int vectorized(void) { return has_avx2_and_fma; }

__attribute__((target("avx2,fma"))) static void exp4(const double *x, double *y, long n) {
  long i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_exp(_mm256_loadu_pd(x + i)));
  for (; i < n; i++) y[i] = exp(x[i]);
}

__attribute__((target("avx2,fma"))) static void log4(const double *x, double *y, long n) {
  long i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _ZGVdN4v_log(_mm256_loadu_pd(x + i)));
  for (; i < n; i++) y[i] = log(x[i]);
}
#else
static int vectorized(void) { return 0; }
static void exp4(const double *x, double *y, long n) { (void)x; (void)y; (void)n; }
static void log4(const double *x, double *y, long n) { (void)x; (void)y; (void)n; }
#endif

void journey_vector_exp(const double *x, double *y, long n) {
  if (vectorized()) {
    exp4(x, y, n);
  } else {
    for (long i = 0; i < n; i++) y[i] = exp(x[i]);
  }
}

void journey_vector_log(const double *x, double *y, long n) {
  if (vectorized()) {
    log4(x, y, n);
  } else {
    for (long i = 0; i < n; i++) y[i] = log(x[i]);
  }
}

int journey_vector_math_is_vectorized(void) { return vectorized(); }
