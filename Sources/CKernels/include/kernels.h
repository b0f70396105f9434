// Hand-written fp32 kernels for the Tensor layer, in forward/backward pairs (as llm.c).
// Every kernel works on a range of rows (or of (batch, head) pairs) so that the Swift side can split
// work across threads with a partition that does not depend on the thread count.
//
// Convention for backward kernels: `acc` != 0 adds into the gradient buffer, `acc` == 0 overwrites it
// (the first contribution to a gradient needs no zeroed buffer).
#ifndef LAB_KERNELS_H
#define LAB_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which instruction-set clone the dispatcher picked for these kernels ("avx512", "avx2" or "baseline").
const char *k_isa(void);

// ---- math: vectorisable exp and erfc, for tests of their accuracy
void k_exp(float *out, const float *x, size_t n);
void k_erfc(float *out, const float *x, size_t n);

// ---- GELU, exact erf form: y = x * 0.5 * (1 + erf(x / sqrt(2)))  (nn.GELU())
void k_gelu_forward(float *y, const float *x, size_t n);
void k_gelu_backward(float *dx, int acc, const float *x, const float *dy, size_t n);

// ---- LayerNorm over the last dimension C of `rows` rows (nn.LayerNorm, biased variance).
// w and b may be NULL (no affine weight / no bias). mean and rstd: [rows], saved for backward.
void k_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                         size_t rows, size_t C, float eps);
// dw_part and db_part (either may be NULL) receive, overwritten, the sums over these rows.
void k_layernorm_backward(float *dx, int acc, float *dw_part, float *db_part, const float *dy, const float *x,
                          const float *mean, const float *rstd, const float *w, size_t rows, size_t C);

// ---- softmax over the last dimension
void k_softmax_forward(float *y, const float *x, size_t rows, size_t C);
void k_softmax_backward(float *dx, int acc, const float *y, const float *dy, size_t rows, size_t C);

// ---- cross-entropy of rows of logits against int32 targets; a target equal to ignore_index carries no loss.
// losses[r] = logsumexp(logits[r]) - logits[r, t] (0 for ignored rows); lse[r] saved for backward.
void k_crossentropy_forward(float *losses, float *lse, const float *logits, const int32_t *targets,
                            size_t rows, size_t V, int32_t ignore_index);
// dlogits[r, :] (+)= scale * (softmax(logits[r]) - onehot(t))  for kept rows; 0 (or unchanged) for ignored.
void k_crossentropy_backward(float *dlogits, int acc, const float *logits, const float *lse, const int32_t *targets,
                             size_t rows, size_t V, int32_t ignore_index, float scale);

// ---- fused causal self-attention on a packed qkv buffer [B, T, 3C] (q | k | v, heads of hd = C / H).
// Processes the (batch, head) pairs [bh_begin, bh_end). out: [B, T, C]; lse: [B, H, T] (row log-sum-exp of
// the scaled scores, saved for backward so that no [T, T] matrix outlives the call).
// scratch: at least k_attention_scratch(T) floats, private to the calling thread.
size_t k_attention_scratch(size_t T);
void k_attention_forward(float *out, float *lse, const float *qkv, size_t B, size_t T, size_t C, size_t H,
                         size_t bh_begin, size_t bh_end, float *scratch);
void k_attention_backward(float *dqkv, int acc, const float *dout, const float *qkv, const float *out,
                          const float *lse, size_t B, size_t T, size_t C, size_t H, size_t bh_begin, size_t bh_end,
                          float *scratch);

// ---- AdamW step on one tensor, as torch.optim.AdamW (single-tensor path):
// p *= 1 - lr*wd; m = lerp(m, g*gscale, 1-beta1); v = beta2*v + (1-beta2)*g^2;
// p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
void k_adamw(float *p, const float *g, float *m, float *v, size_t n, float lr, float beta1, float beta2, float eps,
             float wd, float bc1, float sqrt_bc2, float gscale);

/// Sum of squares of x (in double, for the global gradient norm).
double k_sumsq(const float *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
