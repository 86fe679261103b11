// Direct (im2col-free) stride-1 Conv2d for layers with at most kDirectMaxOutChannels outputs;
// conv.cpp dispatches to it. See conv_direct.cpp for why.
#pragma once
#include "../ops.h"

namespace gan::ref {

constexpr int kDirectMaxOutChannels = 4;

bool conv2d_direct_applies(const ConvShape& s);
void conv2d_direct_forward(float* out, const float* inp, const float* weight, const float* bias,
                           const ConvShape& s);
// dinp is written, dweight accumulated; either may be null. dbias is the caller's.
void conv2d_direct_backward(float* dinp, float* dweight, const float* dout, const float* inp,
                            const float* weight, const ConvShape& s);

}  // namespace gan::ref
