// metrics.csv: the mini-batch rows of one evaluation interval.
//
// The first seven columns are the reference system's, spelled exactly as it spelled them, so
// its monitor can read our runs; ours follow. The reader maps columns by header name, so it reads
// the reference's seven-column files (missing values become NaN, missing counters 0) and files
// with extra or reordered columns.
#pragma once
#include <string>
#include <vector>

#include "train/run_state.h"

namespace gan {

// "Epoch,Epochs,Mini-Batch,Mini-Batches,Discriminator Loss: Real,Discriminator Loss: Fake,
//  GAN Loss,Class Loss,Discriminator Accuracy: Real,Discriminator Accuracy: Fake,
//  Class Accuracy" (one line, no newline). No timing column: the same seed gives the same file.
const std::string& metrics_csv_header();

// Header line + one line per row, '\n' line ends, floats %.6g.
std::string metrics_csv(const std::vector<BatchRow>& rows);

// One row's line (no newline), for appending to an open file.
std::string metrics_csv_line(const BatchRow& r);

// parse_metrics_csv, the reader, is declared with BatchRow in train/run_state.h (the monitor reads
// stored runs through it).

}  // namespace gan
