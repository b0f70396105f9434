// LayerNorm and softmax over the last dimension, forward and backward.
#include "kernels.h"
#include "vmath.h"

KCLONES void k_layernorm_forward(float *restrict y, float *restrict mean, float *restrict rstd, const float *restrict x,
                                 const float *restrict w, const float *restrict b, size_t rows, size_t C, float eps) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * C;
        float *yr = y + r * C;
        float s = 0.0f;
        for (size_t i = 0; i < C; i++) s += xr[i];
        float mu = s / (float)C;
        float v = 0.0f;
        for (size_t i = 0; i < C; i++) { float d = xr[i] - mu; v += d * d; }
        float rs = 1.0f / sqrtf(v / (float)C + eps);
        if (w && b)      for (size_t i = 0; i < C; i++) yr[i] = (xr[i] - mu) * rs * w[i] + b[i];
        else if (w)      for (size_t i = 0; i < C; i++) yr[i] = (xr[i] - mu) * rs * w[i];
        else             for (size_t i = 0; i < C; i++) yr[i] = (xr[i] - mu) * rs;
        mean[r] = mu;
        rstd[r] = rs;
    }
}

KCLONES void k_layernorm_backward(float *restrict dx, int acc, float *restrict dw_part, float *restrict db_part,
                                  const float *restrict dy, const float *restrict x, const float *restrict mean,
                                  const float *restrict rstd, const float *restrict w, size_t rows, size_t C) {
    if (dw_part) for (size_t i = 0; i < C; i++) dw_part[i] = 0.0f;
    if (db_part) for (size_t i = 0; i < C; i++) db_part[i] = 0.0f;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * C, *dyr = dy + r * C;
        float *dxr = dx + r * C;
        float mu = mean[r], rs = rstd[r];
        // dnorm = dy * w;  dx = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm))
        float sum_dn = 0.0f, sum_dn_n = 0.0f;
        for (size_t i = 0; i < C; i++) {
            float n = (xr[i] - mu) * rs;
            float dn = w ? dyr[i] * w[i] : dyr[i];
            sum_dn += dn;
            sum_dn_n += dn * n;
        }
        float m1 = sum_dn / (float)C, m2 = sum_dn_n / (float)C;
        if (acc) {
            for (size_t i = 0; i < C; i++) {
                float n = (xr[i] - mu) * rs;
                float dn = w ? dyr[i] * w[i] : dyr[i];
                dxr[i] += rs * (dn - m1 - n * m2);
            }
        } else {
            for (size_t i = 0; i < C; i++) {
                float n = (xr[i] - mu) * rs;
                float dn = w ? dyr[i] * w[i] : dyr[i];
                dxr[i] = rs * (dn - m1 - n * m2);
            }
        }
        if (dw_part) for (size_t i = 0; i < C; i++) dw_part[i] += dyr[i] * (xr[i] - mu) * rs;
        if (db_part) for (size_t i = 0; i < C; i++) db_part[i] += dyr[i];
    }
}

KCLONES void k_softmax_forward(float *restrict y, const float *restrict x, size_t rows, size_t C) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * C;
        float *yr = y + r * C;
        float mx = -INFINITY;
        for (size_t i = 0; i < C; i++) mx = fmaxf(mx, xr[i]);
        float s = 0.0f;
        for (size_t i = 0; i < C; i++) { yr[i] = kexp(xr[i] - mx); s += yr[i]; }
        float inv = 1.0f / s;
        for (size_t i = 0; i < C; i++) yr[i] *= inv;
    }
}

KCLONES void k_softmax_backward(float *restrict dx, int acc, const float *restrict y, const float *restrict dy,
                                size_t rows, size_t C) {
    for (size_t r = 0; r < rows; r++) {
        const float *yr = y + r * C, *dyr = dy + r * C;
        float *dxr = dx + r * C;
        float d = 0.0f;
        for (size_t i = 0; i < C; i++) d += yr[i] * dyr[i];
        if (acc) for (size_t i = 0; i < C; i++) dxr[i] += yr[i] * (dyr[i] - d);
        else     for (size_t i = 0; i < C; i++) dxr[i] = yr[i] * (dyr[i] - d);
    }
}

KCLONES void k_crossentropy_forward(float *restrict losses, float *restrict lse, const float *restrict logits,
                                    const int32_t *restrict targets, size_t rows, size_t V, int32_t ignore_index) {
    for (size_t r = 0; r < rows; r++) {
        const float *lr = logits + r * V;
        float mx = -INFINITY;
        for (size_t i = 0; i < V; i++) mx = fmaxf(mx, lr[i]);
        float s = 0.0f;
        for (size_t i = 0; i < V; i++) s += kexp(lr[i] - mx);
        float l = mx + logf(s);
        lse[r] = l;
        int32_t t = targets[r];
        losses[r] = (t == ignore_index) ? 0.0f : l - lr[t];
    }
}

KCLONES void k_crossentropy_backward(float *restrict dlogits, int acc, const float *restrict logits,
                                     const float *restrict lse, const int32_t *restrict targets, size_t rows, size_t V,
                                     int32_t ignore_index, float scale) {
    for (size_t r = 0; r < rows; r++) {
        const float *lr = logits + r * V;
        float *dr = dlogits + r * V;
        int32_t t = targets[r];
        if (t == ignore_index) {
            if (!acc) for (size_t i = 0; i < V; i++) dr[i] = 0.0f;
            continue;
        }
        float l = lse[r];
        if (acc) for (size_t i = 0; i < V; i++) dr[i] += scale * kexp(lr[i] - l);
        else     for (size_t i = 0; i < V; i++) dr[i] = scale * kexp(lr[i] - l);
        dr[t] -= scale;
    }
}
