#ifndef JOURNEY_VECTOR_MATH_H
#define JOURNEY_VECTOR_MATH_H

/// y[i] = exp(x[i]) for i < n; x and y may be the same array.
void journey_vector_exp(const double *x, double *y, long n);

/// y[i] = log(x[i]) for i < n; x and y may be the same array.
void journey_vector_log(const double *x, double *y, long n);

/// 1 when the vector functions run four values at a time (x86-64 with AVX2 and FMA, glibc's
/// libmvec), 0 when they fall back to the C library's exp and log one value at a time.
int journey_vector_math_is_vectorized(void);

#endif
