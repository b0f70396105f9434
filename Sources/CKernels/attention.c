// Fused causal self-attention, forward and backward, one (batch, head) pair at a time.
//
// q, k and v are read in place from the packed c_attn output [B, T, 3C] (leading dimension 3C), so no
// transpose to [B, H, T, hd] is ever made. Scores are computed in row blocks of queries against
// only the keys they may see, so the causal upper triangle is mostly never computed. The [T, T]
// probabilities live in a per-thread scratch for the duration of one pair; backward recomputes them
// from the saved row log-sum-exp (as FlashAttention does) instead of keeping B*H*T*T floats alive.
#include <cblas.h>
#include "kernels.h"
#include "vmath.h"

// Query rows per block. Small heads (hd < 64) make each sgemm cheap, so per-call overhead dominates and
// bigger blocks win; larger heads favour smaller blocks, which skip more of the masked triangle.
// Measured with `lab bench` on configs C (hd 32) and D (hd 64).
static inline size_t block_rows(size_t hd) { return hd < 64 ? 128 : 64; }

size_t k_attention_scratch(size_t T) { return 2 * T * T + T; }

// P[i, 0..n) = exp(S[i, j] * scale - lse) for j <= i, zero for i < j < n. Returns lse when want_lse.
KCLONES static float softmax_causal_row(float *row, size_t i, size_t n, int compute_lse, float lse_in) {
    size_t len = i + 1;
    float l = lse_in;
    if (compute_lse) {
        float mx = -INFINITY;
        for (size_t j = 0; j < len; j++) mx = fmaxf(mx, row[j]);
        float s = 0.0f;
        for (size_t j = 0; j < len; j++) { row[j] = kexp(row[j] - mx); s += row[j]; }
        float inv = 1.0f / s;
        for (size_t j = 0; j < len; j++) row[j] *= inv;
        l = mx + logf(s);
    } else {
        for (size_t j = 0; j < len; j++) row[j] = kexp(row[j] - l);
    }
    for (size_t j = len; j < n; j++) row[j] = 0.0f;
    return l;
}

void k_attention_forward(float *out, float *lse, const float *qkv, size_t B, size_t T, size_t C, size_t H,
                         size_t bh_begin, size_t bh_end, float *scratch) {
    size_t hd = C / H, ld = 3 * C, BLOCK = block_rows(hd);
    float scale = 1.0f / sqrtf((float)hd);
    float *S = scratch;
    for (size_t bh = bh_begin; bh < bh_end; bh++) {
        size_t b = bh / H, h = bh % H;
        const float *q = qkv + b * T * ld + h * hd, *k = q + C, *v = q + 2 * C;
        float *o = out + b * T * C + h * hd;
        float *l = lse + bh * T;
        for (size_t r0 = 0; r0 < T; r0 += BLOCK) {
            size_t r1 = r0 + BLOCK < T ? r0 + BLOCK : T, rows = r1 - r0;
            // S[r0:r1, 0:r1] = scale * q[r0:r1] k[0:r1]^T     [rows, r1]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)r1, (int)hd, scale,
                        q + r0 * ld, (int)ld, k, (int)ld, 0.0f, S + r0 * T, (int)T);
            for (size_t i = r0; i < r1; i++) l[i] = softmax_causal_row(S + i * T, i, r1, 1, 0.0f);
            // o[r0:r1] = P[r0:r1, 0:r1] v[0:r1]               [rows, hd]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)hd, (int)r1, 1.0f,
                        S + r0 * T, (int)T, v, (int)ld, 0.0f, o + r0 * C, (int)C);
        }
    }
}

KCLONES static void dsoftmax_rows(float *dS, const float *P, const float *D, size_t r0, size_t r1, size_t T) {
    // dS[i, j] = P[i, j] * (dP[i, j] - D[i]), dP held in dS on entry; zero above the diagonal (P is zero there).
    for (size_t i = r0; i < r1; i++) {
        float *d = dS + i * T;
        const float *p = P + i * T;
        float Di = D[i];
        for (size_t j = 0; j < r1; j++) d[j] = p[j] * (d[j] - Di);
    }
}

void k_attention_backward(float *dqkv, int acc, const float *dout, const float *qkv, const float *out,
                          const float *lse, size_t B, size_t T, size_t C, size_t H, size_t bh_begin, size_t bh_end,
                          float *scratch) {
    size_t hd = C / H, ld = 3 * C, BLOCK = block_rows(hd);
    float scale = 1.0f / sqrtf((float)hd);
    float beta = acc ? 1.0f : 0.0f;
    float *P = scratch, *dS = scratch + T * T, *D = scratch + 2 * T * T;
    for (size_t bh = bh_begin; bh < bh_end; bh++) {
        size_t b = bh / H, h = bh % H;
        const float *q = qkv + b * T * ld + h * hd, *k = q + C, *v = q + 2 * C;
        const float *o = out + b * T * C + h * hd, *dO = dout + b * T * C + h * hd;
        float *dq = dqkv + b * T * ld + h * hd, *dk = dq + C, *dv = dq + 2 * C;
        const float *l = lse + bh * T;
        // D[i] = dO[i] . O[i]  (= sum_j P[i, j] dP[i, j])
        for (size_t i = 0; i < T; i++) {
            float s = 0.0f;
            for (size_t c = 0; c < hd; c++) s += dO[i * C + c] * o[i * C + c];
            D[i] = s;
        }
        for (size_t r0 = 0; r0 < T; r0 += BLOCK) {
            size_t r1 = r0 + BLOCK < T ? r0 + BLOCK : T, rows = r1 - r0;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)r1, (int)hd, scale,
                        q + r0 * ld, (int)ld, k, (int)ld, 0.0f, P + r0 * T, (int)T);
            for (size_t i = r0; i < r1; i++) softmax_causal_row(P + i * T, i, r1, 0, l[i]);
            // dP[r0:r1, 0:r1] = dO[r0:r1] v[0:r1]^T
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)r1, (int)hd, 1.0f,
                        dO + r0 * C, (int)C, v, (int)ld, 0.0f, dS + r0 * T, (int)T);
            dsoftmax_rows(dS, P, D, r0, r1, T);
            // dq[r0:r1] = scale * dS[r0:r1, 0:r1] k[0:r1]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)hd, (int)r1, scale,
                        dS + r0 * T, (int)T, k, (int)ld, beta, dq + r0 * ld, (int)ld);
        }
        for (size_t c0 = 0; c0 < T; c0 += BLOCK) {
            size_t c1 = c0 + BLOCK < T ? c0 + BLOCK : T, cols = c1 - c0, n = T - c0;
            // dk[c0:c1] = scale * dS[c0:T, c0:c1]^T q[c0:T];  dv[c0:c1] = P[c0:T, c0:c1]^T dO[c0:T]
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)cols, (int)hd, (int)n, scale,
                        dS + c0 * T + c0, (int)T, q + c0 * ld, (int)ld, beta, dk + c0 * ld, (int)ld);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)cols, (int)hd, (int)n, 1.0f,
                        P + c0 * T + c0, (int)T, dO + c0 * C, (int)C, beta, dv + c0 * ld, (int)ld);
        }
    }
}
