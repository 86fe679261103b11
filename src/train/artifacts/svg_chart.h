// loss_accuracy.svg: losses and accuracies over every mini-batch so far, as one standalone SVG.
//
// Two panels share the x axis (global mini-batch): losses (D real, D fake, G, class) on an axis
// scaled to the data, accuracies (D real, D fake, class) on 0..1. Each series is downsampled to
// the min and max of each pixel column, so the file's size is bounded by the width however many
// rows there are, and spikes are not lost. Non-finite values break the line instead of bending it.
#pragma once
#include <string>
#include <vector>

#include "train/run_state.h"

namespace gan {

struct SvgChartOptions {
  int width = 960;          // whole image, pixels
  int panel_height = 300;   // each of the two panels
  std::string title;        // optional, drawn above the panels (escaped)
};

std::string loss_accuracy_svg(const std::vector<BatchRow>& rows, const SvgChartOptions& opt = {});

}  // namespace gan
