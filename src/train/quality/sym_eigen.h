// Symmetric eigen-decomposition in double precision (cyclic Jacobi), and the square root of a
// symmetric positive semi-definite matrix built on it.
//
// Jacobi rotations are chosen over tridiagonal QL because they are short, unconditionally stable
// and accurate to a small multiple of machine epsilon relative to the matrix norm for every
// eigenvalue, including the tiny ones of a rank-deficient covariance; the O(d³) cost per sweep
// is negligible at the evaluator's feature size (64).
#pragma once
#include <vector>

namespace gan {
namespace quality {

// a: d×d row-major, symmetric (only symmetric input is meaningful; the upper triangle is read).
// On return *values holds the eigenvalues in ascending order and *vectors the matching
// eigenvectors as columns (d×d row-major: vectors[i*d + k] is component i of eigenvector k).
void sym_eigen(const std::vector<double>& a, int d, std::vector<double>* values, std::vector<double>* vectors);

// The symmetric PSD square root V·diag(√max(λ,0))·Vᵀ. Eigenvalues that are negative only by
// rounding (a covariance of fewer samples than dimensions) are clamped to 0.
std::vector<double> sqrtm_psd(const std::vector<double>& a, int d);

}  // namespace quality
}  // namespace gan
