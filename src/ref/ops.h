// The CPU reference of every op: same names and signatures as the Ops interface (src/ops.h) and
// as the CUDA launchers in kernels/ (namespace gan::cuda). Multithreaded (OpenMP), deterministic:
// work is split over outputs, never over a reduction, so a result does not depend on the thread count.
#pragma once
#include "../ops.h"

namespace gan::ref {

void gather_rows(float* out, const float* src, const int32_t* idx, int n, int64_t row_size);
void gather_labels(int32_t* out, const int32_t* src, const int32_t* idx, int n);
void randn(float* out, int64_t n, float mean, float std, uint64_t seed, uint64_t offset);
void randint(int32_t* out, int64_t n, int high, uint64_t seed, uint64_t offset);
void axpy(float* y, const float* x, int64_t n, float alpha);
void store_row(float* slab, const float* values, int count, int capacity, uint64_t step);
void linear_forward(float* out, const float* inp, const float* weight, const float* bias, int B, int C_in, int C_out);
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight, int B, int C_in, int C_out);
void embedding_forward(float* out, const int32_t* labels, const float* table, int B, int num, int dim);
void embedding_backward(float* dtable, const float* dout, const int32_t* labels, int B, int num, int dim);
void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias, const ConvShape& s);
void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight, const ConvShape& s);
void conv_transpose2d_forward(float* out, const float* inp, const float* weight, const float* bias, const ConvShape& s);
void conv_transpose2d_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight, const ConvShape& s);
void batchnorm_forward_train(float* out, float* save_mean, float* save_invstd, float* running_mean, float* running_var, const float* inp, const float* gamma, const float* beta, int N, int C, int HW, float momentum, float eps);
void batchnorm_forward_eval(float* out, const float* inp, const float* gamma, const float* beta, const float* running_mean, const float* running_var, int N, int C, int HW, float eps);
void batchnorm_backward(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* inp, const float* gamma, const float* save_mean, const float* save_invstd, int N, int C, int HW);
void bn_act_dropout_forward_train(float* out, float* mask, float* save_mean, float* save_invstd, float* running_mean, float* running_var, const float* inp, const float* bias, const float* gamma, const float* beta, int N, int C, int HW, float momentum, float eps, float alpha, float p, uint64_t seed, uint64_t offset);
void bn_act_forward_eval(float* out, const float* inp, const float* bias, const float* gamma, const float* beta, const float* running_mean, const float* running_var, int N, int C, int HW, float eps, float alpha);
void bn_act_dropout_backward(float* dinp, float* dbias, float* dgamma, float* dbeta, const float* dout, const float* mask, const float* inp, const float* bias, const float* gamma, const float* beta, const float* save_mean, const float* save_invstd, int N, int C, int HW, float alpha);
void activation_forward(Act act, float* out, const float* inp, int64_t n, float alpha);
void activation_backward(Act act, float* dinp, const float* dout, const float* inp, const float* out, int64_t n, float alpha);
void dropout_forward(float* out, float* mask, const float* inp, int64_t n, float p, uint64_t seed, uint64_t offset);
void dropout_backward(float* dinp, const float* dout, const float* mask, int64_t n);
void concat_forward(float* out, const float* a, const float* b, int N, int Ca, int Cb, int HW);
void concat_backward(float* da, float* db, const float* dout, int N, int Ca, int Cb, int HW);
void bce_logits(float* loss, float* correct, float* dlogits, const float* logits, const float* targets, int B, float scale);
void softmax_xent(float* loss, float* correct, float* dlogits, const float* logits, const int32_t* labels, int B, int C, float scale);
void adam_update(const std::vector<AdamParam>& params, const AdamHyper& h, int64_t t);
void image_grid(uint8_t* out, const float* imgs, int N, int C, int H, int W, int rows, int cols, int pad);

// The matrix ops at a precision (src/precision.h: where tf32 and bf16 round); Fp32 is the plain
// reference above. round_array rounds x in place (nothing for Fp32).
void round_array(Precision p, float* x, int64_t n);
void linear_forward(Precision p, float* out, const float* inp, const float* weight, const float* bias, int B, int C_in, int C_out);
void linear_backward(Precision p, float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight, int B, int C_in, int C_out);
void conv2d_forward(Precision p, float* out, const float* inp, const float* weight, const float* bias, const ConvShape& s);
void conv2d_backward(Precision p, float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight, const ConvShape& s);
void conv_transpose2d_forward(Precision p, float* out, const float* inp, const float* weight, const float* bias, const ConvShape& s);
void conv_transpose2d_backward(Precision p, float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* weight, const ConvShape& s);

// C[M,N] (+)= A[M,K]·B[K,N] with optional transposes (row-major), cache-blocked; the engine of
// linear and conv (im2col). beta 0 overwrites C, beta 1 accumulates.
void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace gan::ref
