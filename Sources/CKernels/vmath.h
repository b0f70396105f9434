// Branch-free exp and erfc that the compiler vectorises (libm's are scalar calls).
#ifndef LAB_VMATH_H
#define LAB_VMATH_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
// One clone per ISA level; the loader picks the best the CPU supports (ifunc).
#define KCLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KCLONES
#endif

/// exp(x) for fp32, Cephes' expf polynomial after range reduction by ln 2; about 1 ulp on [-87, 88].
static inline float kexp(float x) {
    // Clamp with comparisons, not fminf/fmaxf: those drop a NaN, and a NaN must reach the loss.
    x = x < -87.3365f ? -87.3365f : x;
    x = x > 88.3762f ? 88.3762f : x;
    float fx = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - fx * 0.693359375f;
    r = r - fx * -2.12194440e-4f;
    float z = r * r;
    float y = 1.9875691500E-4f;
    y = y * r + 1.3981999507E-3f;
    y = y * r + 8.3334519073E-3f;
    y = y * r + 4.1665795894E-2f;
    y = y * r + 1.6666665459E-1f;
    y = y * r + 5.0000001201E-1f;
    y = y * z + r + 1.0f;
    int32_t bits = ((int32_t)fx + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

/// erfc(x) with fractional error below ~2e-7 everywhere (Chebyshev fit of Numerical Recipes, 6.2).
static inline float kerfc(float x) {
    float z = fabsf(x);
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    float ans = t * kexp(-z * z - 1.26551223f + t * p);
    return x >= 0.0f ? ans : 2.0f - ans;
}
#endif
