// SPDX-License-Identifier: MIT
#include "svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fmt/core.h>
#include <fstream>
#include <stdexcept>

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

namespace {
// visible_space: draw ' ' as a visible symbol (for one-character labels)
std::string escape(const std::string& s, bool visible_space = false) {
    std::string o;
    for (char c : s) {
        if (c == '<') o += "&lt;";
        else if (c == '>') o += "&gt;";
        else if (c == '&') o += "&amp;";
        else if (c == '"') o += "&quot;";
        else if (c == ' ' && visible_space) o += "\u2423";
        else o += c;
    }
    return o;
}

void write_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + path);
}
}  // namespace

void write_heatmap_svg(const std::string& path, const std::vector<std::vector<double>>& w,
                       const std::vector<std::string>& rows, const std::vector<std::string>& cols,
                       const std::string& title) {
    const int cell = 22, left = 60, top = 70;
    const std::string caption = "source (columns) vs output (rows); darker = more attention";
    const int text_width = 8 * int(std::max(title.size(), caption.size())) + left;
    const int W = std::max(left + cell * int(cols.size()) + 20, text_width), H = top + cell * int(rows.size()) + 40;
    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"monospace\" "
        "font-size=\"13\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        "<text x=\"{}\" y=\"20\" font-size=\"15\">{}</text>\n",
        W, H, left, escape(title));
    for (std::size_t c = 0; c < cols.size(); ++c)
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", left + cell * int(c) + cell / 2,
                         top - 8, escape(cols[c], true));
    for (std::size_t r = 0; r < rows.size(); ++r) {
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 8,
                         top + cell * int(r) + cell / 2 + 5, escape(rows[r], true));
        for (std::size_t c = 0; c < cols.size() && c < w[r].size(); ++c) {
            const int v = 255 - int(std::lround(255 * std::clamp(w[r][c], 0.0, 1.0)));
            s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},{})\"><title>{:.3f}</title></rect>\n",
                             left + cell * int(c), top + cell * int(r), cell, cell, v, v, v, w[r][c]);
        }
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", left, H - 12, caption);
    s += "</svg>\n";
    write_atomically(path, s);
}

void write_line_plot_svg(const std::string& path, const std::vector<Series>& series, const std::string& title,
                         const std::string& x_label, const std::string& y_label, bool log_y) {
    const double W = 720, H = 420, L = 80, R = 160, T = 40, B = 50;
    double lo = 1e300, hi = -1e300;
    std::size_t n = 1;
    auto tr = [&](double v) { return log_y ? std::log10(std::max(v, 1e-30)) : v; };
    for (const auto& s : series) {
        n = std::max(n, s.y.size());
        for (double v : s.y)
            if (std::isfinite(tr(v))) lo = std::min(lo, tr(v)), hi = std::max(hi, tr(v));
    }
    if (!(lo < hi)) hi = lo + 1;
    if (log_y) lo = std::floor(lo), hi = std::max(std::ceil(hi), std::floor(lo) + 1);  // whole decades
    auto X = [&](double i) { return L + (W - L - R) * i / double(std::max<std::size_t>(n - 1, 1)); };
    auto Y = [&](double v) { return T + (H - T - B) * (1 - (tr(v) - lo) / (hi - lo)); };
    const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
        "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        "<text x=\"{}\" y=\"22\" font-size=\"15\">{}</text>\n"
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n"
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n"
        "<text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">{}</text>\n",
        W, H, L, escape(title), L, H - B, W - R, H - B, L, T, L, H - B, (L + W - R) / 2, H - 12, escape(x_label),
        (T + H - B) / 2, (T + H - B) / 2, escape(y_label));
    // y ticks: five on a linear axis; on a log axis at whole decades, at most nine of them
    const double step = log_y ? std::max(1.0, std::ceil((hi - lo) / 8)) : (hi - lo) / 4;
    if (log_y) hi = lo + step * std::ceil((hi - lo) / step);  // the top tick at the top of the axis
    for (double v = lo; v <= hi + 1e-9 * (hi - lo); v += step) {
        const double f = (v - lo) / (hi - lo);
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", L - 6, T + (H - T - B) * (1 - f) + 4,
                         log_y ? fmt::format("1e{}", int(std::lround(v))) : fmt::format("{:.3g}", v));
    }
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">0</text>\n", L, H - B + 16);
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", W - R, H - B + 16, n - 1);
    for (std::size_t k = 0; k < series.size(); ++k) {
        std::string pts;
        for (std::size_t i = 0; i < series[k].y.size(); ++i)
            if (std::isfinite(tr(series[k].y[i]))) pts += fmt::format("{:.1f},{:.1f} ", X(double(i)), Y(series[k].y[i]));
        const char* col = colours[k % 6];
        s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n", col, pts);
        s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>\n", W - R + 10, T + 16 * (k + 1), col,
                         escape(series[k].name));
    }
    s += "</svg>\n";
    write_atomically(path, s);
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
