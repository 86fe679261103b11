// The one list of ops: every op the models need, forward and backward, with its parameters
// written once. Everything else that names an op's parameters follows from this table:
//   - the Ops interface's pure virtuals (src/ops.h),
//   - the CPU reference's declarations (src/ref/ops.h) and CpuOps's forwarding (src/ref/cpu_ops.cpp),
//   - the CUDA launchers' declarations (kernels/ops.h) and CudaOps's forwarding (kernels/cuda_ops.h).
// The hand-written pieces of an op are its CPU reference (src/ref/<family>.cpp), its kernel
// (kernels/<family>.cu) and its test case (tests/ops/cases.h). docs/ops.md: adding an op.
//
// GAN_OPS(X) calls X(name, kind, (params), (args)) for every op. `kind` says how the backends
// reach the op's two implementations (the reference `ref::name` and the launcher `cuda::name`):
//   PLAIN   ref::name(params) and cuda::name(params, stream).
//   STEP    the op draws random numbers from the counter c = step·2^40 + offset, its last
//           parameter `uint64_t offset`: ref::name(params) takes c itself as `offset` (it is pure),
//           cuda::name(params, const uint64_t* d_step, stream) reads step on the device.
//   MATRIX  matrix work at a precision (src/precision.h): ref::name(params) is fp32 and
//           ref::name(Precision, params) rounds where the GPU rounds; cuda::name(params, stream)
//           follows cuda::precision().
//   CUSTOM  the backends forward it by hand (their arguments differ: see the op's note).
//
// Conventions (the same in every implementation):
// - float32, NCHW, PyTorch layouts: Linear weight [out,in]; Conv2d weight [out,in,kh,kw];
//   ConvTranspose2d weight [in,out,kh,kw].
// - Parameter gradients accumulate (+=), so one zero_grad per optimiser step serves several
//   backward passes; input gradients are written (=). A null dinp means "not needed".
// - Pointers live on the backend's device; `labels` are int32 on the device.
#pragma once

#define GAN_OPS(X)                                                                                               \
  /* slab[(step % capacity)·count + j] = values[j]: one metrics row per step, read back in batches.           \
     CUSTOM: ref::store_row takes the step value, cuda::store_row the device counter. */                      \
  X(store_row, CUSTOM, (float* slab, const float* values, int count, int capacity),                             \
    (slab, values, count, capacity))                                                                            \
  /* ---- data movement and random numbers (batches, noise and labels never leave the device) ---- */         \
  /* out[i, :] = src[idx[i], :] for i < n, rows of row_size floats. */                                          \
  X(gather_rows, PLAIN, (float* out, const float* src, const int32_t* idx, int n, int64_t row_size),            \
    (out, src, idx, n, row_size))                                                                               \
  X(gather_labels, PLAIN, (int32_t* out, const int32_t* src, const int32_t* idx, int n), (out, src, idx, n))    \
  /* out[i] = mean + std·N(0,1), Box–Muller on philox_uniform(seed, c + 2i) and (.., c + 2i + 1). */           \
  X(randn, STEP, (float* out, int64_t n, float mean, float std, uint64_t seed, uint64_t offset),                \
    (out, n, mean, std, seed, offset))                                                                          \
  /* out[i] = floor(philox_uniform(seed, c + i) · high), in [0, high). */                                       \
  X(randint, STEP, (int32_t* out, int64_t n, int high, uint64_t seed, uint64_t offset),                         \
    (out, n, high, seed, offset))                                                                               \
  /* y += alpha · x */                                                                                          \
  X(axpy, PLAIN, (float* y, const float* x, int64_t n, float alpha), (y, x, n, alpha))                          \
  /* ---- linear: out[B,C_out] = inp[B,C_in] · weight[C_out,C_in]ᵀ + bias ---- */                             \
  X(linear_forward, MATRIX,                                                                                     \
    (float* out, const float* inp, const float* weight, const float* bias, int B, int C_in, int C_out),         \
    (out, inp, weight, bias, B, C_in, C_out))                                                                   \
  X(linear_backward, MATRIX,                                                                                    \
    (float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight,       \
     int B, int C_in, int C_out),                                                                               \
    (dinp, dweight, dbias, dout, inp, weight, B, C_in, C_out))                                                  \
  /* ---- embedding: out[B,dim] = table[labels[b], :] ---- */                                                   \
  X(embedding_forward, PLAIN, (float* out, const int32_t* labels, const float* table, int B, int num, int dim), \
    (out, labels, table, B, num, dim))                                                                          \
  X(embedding_backward, PLAIN,                                                                                  \
    (float* dtable, const float* dout, const int32_t* labels, int B, int num, int dim),                         \
    (dtable, dout, labels, B, num, dim))                                                                        \
  /* ---- conv2d and conv_transpose2d (bias may be null) ---- */                                                \
  X(conv2d_forward, MATRIX, (float* out, const float* inp, const float* weight, const float* bias,             \
                             const ConvShape& s),                                                               \
    (out, inp, weight, bias, s))                                                                                \
  X(conv2d_backward, MATRIX, (float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,  \
                              const float* weight, const ConvShape& s),                                         \
    (dinp, dweight, dbias, dout, inp, weight, s))                                                               \
  X(conv_transpose2d_forward, MATRIX,                                                                           \
    (float* out, const float* inp, const float* weight, const float* bias, const ConvShape& s),                 \
    (out, inp, weight, bias, s))                                                                                \
  X(conv_transpose2d_backward, MATRIX,                                                                          \
    (float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight,       \
     const ConvShape& s),                                                                                       \
    (dinp, dweight, dbias, dout, inp, weight, s))                                                               \
  /* ---- batchnorm over (N, HW) per channel C; HW = 1 for BatchNorm1d ----                                    \
     Training: normalises with the batch statistics, saves mean and 1/sqrt(var+eps) for backward, and          \
     updates running stats as PyTorch does (unbiased variance, momentum 0.1). */                                \
  X(batchnorm_forward_train, PLAIN,                                                                             \
    (float* out, float* save_mean, float* save_invstd, float* running_mean, float* running_var,                 \
     const float* inp, const float* gamma, const float* beta, int N, int C, int HW, float momentum, float eps), \
    (out, save_mean, save_invstd, running_mean, running_var, inp, gamma, beta, N, C, HW, momentum, eps))        \
  X(batchnorm_forward_eval, PLAIN,                                                                              \
    (float* out, const float* inp, const float* gamma, const float* beta, const float* running_mean,            \
     const float* running_var, int N, int C, int HW, float eps),                                                \
    (out, inp, gamma, beta, running_mean, running_var, N, C, HW, eps))                                          \
  X(batchnorm_backward, PLAIN,                                                                                  \
    (float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp, const float* gamma,         \
     const float* save_mean, const float* save_invstd, int N, int C, int HW),                                   \
    (dinp, dgamma, dbeta, dout, inp, gamma, save_mean, save_invstd, N, C, HW))                                  \
  /* ---- bias + BatchNorm + LeakyReLU + dropout in one pass (a model's conv block) ----                        \
     Training: x' = inp + bias[c] (bias may be null), BatchNorm of x' as batchnorm_forward_train, a =          \
     LeakyReLU(α) of it, and dropout as dropout_forward (p ≤ 0: mask 1, no draws). Equal to that unfused       \
     sequence (src/ref/fused_bn_act.cpp: bit for bit on the CPU). */                                            \
  X(bn_act_dropout_forward_train, STEP,                                                                         \
    (float* out, float* mask, float* save_mean, float* save_invstd, float* running_mean, float* running_var,    \
     const float* inp, const float* bias, const float* gamma, const float* beta, int N, int C, int HW,          \
     float momentum, float eps, float alpha, float p, uint64_t seed, uint64_t offset),                          \
    (out, mask, save_mean, save_invstd, running_mean, running_var, inp, bias, gamma, beta, N, C, HW, momentum,  \
     eps, alpha, p, seed, offset))                                                                              \
  /* Eval: out = LeakyReLU(α) of batchnorm_forward_eval(inp + bias); no dropout. */                             \
  X(bn_act_forward_eval, PLAIN,                                                                                 \
    (float* out, const float* inp, const float* bias, const float* gamma, const float* beta,                    \
     const float* running_mean, const float* running_var, int N, int C, int HW, float eps, float alpha),        \
    (out, inp, bias, gamma, beta, running_mean, running_var, N, C, HW, eps, alpha))                             \
  /* Backward of the training forward (mask null: no dropout), recomputing the BatchNorm output from inp       \
     and the saved statistics. dinp is written; dbias (may be null), dgamma, dbeta accumulate. */               \
  X(bn_act_dropout_backward, PLAIN,                                                                             \
    (float* dinp, float* dbias, float* dgamma, float* dbeta, const float* dout, const float* mask,              \
     const float* inp, const float* bias, const float* gamma, const float* beta, const float* save_mean,        \
     const float* save_invstd, int N, int C, int HW, float alpha),                                              \
    (dinp, dbias, dgamma, dbeta, dout, mask, inp, bias, gamma, beta, save_mean, save_invstd, N, C, HW, alpha))  \
  /* ---- pointwise activations; backward gets both inp and out, each kind uses what it needs ---- */          \
  X(activation_forward, PLAIN, (Act act, float* out, const float* inp, int64_t n, float alpha),                 \
    (act, out, inp, n, alpha))                                                                                  \
  X(activation_backward, PLAIN,                                                                                 \
    (Act act, float* dinp, const float* dout, const float* inp, const float* out, int64_t n, float alpha),      \
    (act, dinp, dout, inp, out, n, alpha))                                                                      \
  /* ---- dropout (inverted): mask[i] = keep ? 1/(1-p) : 0, keep = philox_uniform(seed, c + i) >= p ----       \
     The mask is a pure function of (seed, c, i): both backends draw the same. */                               \
  X(dropout_forward, STEP,                                                                                      \
    (float* out, float* mask, const float* inp, int64_t n, float p, uint64_t seed, uint64_t offset),            \
    (out, mask, inp, n, p, seed, offset))                                                                       \
  X(dropout_backward, PLAIN, (float* dinp, const float* dout, const float* mask, int64_t n),                    \
    (dinp, dout, mask, n))                                                                                      \
  /* ---- concat along channels: out[N, Ca+Cb, HW] ---- */                                                      \
  X(concat_forward, PLAIN, (float* out, const float* a, const float* b, int N, int Ca, int Cb, int HW),         \
    (out, a, b, N, Ca, Cb, HW))                                                                                 \
  X(concat_backward, PLAIN, (float* da, float* db, const float* dout, int N, int Ca, int Cb, int HW),           \
    (da, db, dout, N, Ca, Cb, HW))                                                                              \
  /* ---- losses, fused with their gradients ----                                                               \
     BCE with logits, mean over B: loss[0] = mean_b ℓ_b; dlogits[b] = scale·(σ(x_b) − t_b)/B.                  \
     correct[0] = number of b with (x_b > 0) == (t_b > 0.5). dlogits may be null. */                            \
  X(bce_logits, PLAIN,                                                                                          \
    (float* loss, float* correct, float* dlogits, const float* logits, const float* targets, int B,             \
     float scale),                                                                                              \
    (loss, correct, dlogits, logits, targets, B, scale))                                                        \
  /* Softmax cross-entropy, mean over B: loss[0]; dlogits = scale·(softmax − onehot)/B;                         \
     correct[0] = number of b whose argmax equals labels[b]. dlogits may be null. */                            \
  X(softmax_xent, PLAIN,                                                                                        \
    (float* loss, float* correct, float* dlogits, const float* logits, const int32_t* labels, int B, int C,     \
     float scale),                                                                                              \
    (loss, correct, dlogits, logits, labels, B, C, scale))                                                      \
  /* ---- optimiser: one call updates every parameter tensor of a model (Adam, bias-corrected) ----            \
     Adam's t = step·t_per_step + t0 (t ≥ 1), so two updates of D per mini-batch count correctly.              \
     CUSTOM: ref::adam_update takes t itself; cuda::adam_update a device descriptor table (AdamPlan). */        \
  X(adam_update, CUSTOM, (const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t0,                 \
                          int64_t t_per_step),                                                                  \
    (params, h, t0, t_per_step))                                                                                \
  /* ---- image grid for PNGs: imgs[N,C,H,W] in [-1,1] → out[GH, GW, C] uint8 (HWC, row-major) ----            \
     GH = rows·H + (rows−1)·pad, GW = cols·W + (cols−1)·pad. Image i goes to cell (i / cols, i % cols);        \
     value = clamp(round((x + 1)·127.5), 0, 255); pad pixels and cells with i ≥ N are 0. */                    \
  X(image_grid, PLAIN, (uint8_t* out, const float* imgs, int N, int C, int H, int W, int rows, int cols,        \
                        int pad),                                                                               \
    (out, imgs, N, C, H, W, rows, cols, pad))

// Removes one pair of parentheses: GAN_OP_UNPAREN (a, b) is a, b.
#define GAN_OP_UNPAREN(...) __VA_ARGS__

// Declarations of the reference functions (namespace gan::ref), by kind.
#define GAN_REF_DECL(name, kind, params, args) GAN_REF_DECL_##kind(name, params)
#define GAN_REF_DECL_PLAIN(name, params) void name params;
#define GAN_REF_DECL_STEP(name, params) void name params;
#define GAN_REF_DECL_MATRIX(name, params) \
  void name params;                       \
  void name(Precision p, GAN_OP_UNPAREN params);
#define GAN_REF_DECL_CUSTOM(name, params)
