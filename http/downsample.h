// Downsampling the mini-batch series for a chart `width` pixels wide.
//
// A 50,000-point series drawn on 1,000 pixels needs at most a few points per pixel column; each
// bucket keeps its min and max (so spikes and divergence stay visible, unlike averaging or
// picking every k-th point) and its mean (the line the page smooths and hovers). A range that
// fits in the buckets comes back raw (bucket size 1), which is what zooming in asks for.
#pragma once
#include <cstdint>
#include <vector>

#include "train/run_state.h"

namespace gan::http {

// The metrics a chart can show, in BatchRow order.
constexpr int kMetricCount = 7;
extern const char* const kMetricNames[kMetricCount];  // "d_loss_real", ..., "class_acc"
float metric_value(const BatchRow& r, int metric);

struct Bucket {
  int64_t x_first = 0, x_last = 0;  // steps of the first and last row in the bucket
  int count = 0;
  // Per metric; NaN when every row in the bucket lacks the value (reference runs have no
  // class loss or accuracies).
  float min[kMetricCount], max[kMetricCount], mean[kMetricCount];
};

// Rows [begin, end) of `rows` in at most `buckets` buckets of consecutive rows (sizes differ by at
// most one). buckets < 1 is treated as 1.
std::vector<Bucket> downsample(const std::vector<BatchRow>& rows, size_t begin, size_t end, int buckets);

// Index range of rows whose step lies in [from_step, to_step] (rows sorted by step).
void step_range(const std::vector<BatchRow>& rows, int64_t from_step, int64_t to_step, size_t* begin, size_t* end);

}  // namespace gan::http
