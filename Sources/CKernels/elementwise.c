// Element-wise kernels: exp/erfc (for accuracy tests), GELU, gradient norms.
#include "kernels.h"
#include "vmath.h"

const char *k_isa(void) {
#if defined(__x86_64__)
    // The same test the target_clones resolver makes (x86-64-v4 ~ AVX-512 F/BW/DQ/VL, v3 ~ AVX2 + FMA).
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4 (AVX-512)";
    if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3 (AVX2)";
    return "baseline";
#else
    return "native";
#endif
}

KCLONES void k_exp(float *out, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = kexp(x[i]);
}

KCLONES void k_erfc(float *out, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = kerfc(x[i]);
}

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

KCLONES void k_gelu_forward(float *restrict y, const float *restrict x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * kerfc(-x[i] * INV_SQRT2);
}

KCLONES void k_gelu_backward(float *restrict dx, int acc, const float *restrict x, const float *restrict dy, size_t n) {
    // d/dx [x Phi(x)] = Phi(x) + x phi(x)
    if (acc) {
        for (size_t i = 0; i < n; i++) {
            float xi = x[i];
            float g = 0.5f * kerfc(-xi * INV_SQRT2) + xi * INV_SQRT_2PI * kexp(-0.5f * xi * xi);
            dx[i] += g * dy[i];
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            float xi = x[i];
            float g = 0.5f * kerfc(-xi * INV_SQRT2) + xi * INV_SQRT_2PI * kexp(-0.5f * xi * xi);
            dx[i] = g * dy[i];
        }
    }
}

KCLONES double k_sumsq(const float *x, size_t n) {
    // Eight float partial sums in blocks of 1024, folded into a double: vectorised and still accurate.
    double total = 0.0;
    size_t i = 0;
    while (i < n) {
        size_t end = i + 1024 < n ? i + 1024 : n;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        size_t j = i;
        for (; j + 8 <= end; j += 8)
            for (int l = 0; l < 8; l++) acc[l] += x[j + l] * x[j + l];
        double s = 0.0;
        for (int l = 0; l < 8; l++) s += acc[l];
        for (; j < end; j++) s += (double)x[j] * x[j];
        total += s;
        i = end;
    }
    return total;
}

KCLONES void k_adamw(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, size_t n,
                     float lr, float beta1, float beta2, float eps, float wd, float bc1, float sqrt_bc2, float gscale) {
    float decay = 1.0f - lr * wd;
    float step_size = lr / bc1;
    float w1 = 1.0f - beta1, w2 = 1.0f - beta2;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * gscale;
        float pi = p[i] * decay;
        float mi = m[i] + w1 * (gi - m[i]);
        float vi = v[i] * beta2 + w2 * gi * gi;
        float denom = sqrtf(vi) / sqrt_bc2 + eps;
        p[i] = pi - step_size * (mi / denom);
        m[i] = mi;
        v[i] = vi;
    }
}
