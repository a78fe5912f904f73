// SPDX-License-Identifier: MIT
#pragma once
// Small SVG pictures for the examples: an attention heatmap and line plots.
// SVG is text, opens in any browser, and needs no image library.

#include <string>

#include "../autograd/config.hpp"
#include <vector>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

// weights[r][c] in [0, 1] drawn as a grey-scale grid; rows are output tokens,
// columns source tokens. Written atomically (temporary file + rename).
void write_heatmap_svg(const std::string& path, const std::vector<std::vector<double>>& weights,
                       const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
                       const std::string& title);

struct Series {
    std::string name;
    std::vector<double> y;  // x is the index
};
// Line plot of several series; log_y draws the y axis logarithmically.
void write_line_plot_svg(const std::string& path, const std::vector<Series>& series, const std::string& title,
                         const std::string& x_label, const std::string& y_label, bool log_y);

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
