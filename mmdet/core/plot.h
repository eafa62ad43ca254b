// Line charts for analyze_logs' plot_curve (what MMDetection draws with matplotlib and
// seaborn), rendered with cairo: axes with ticks and tick labels, axis labels, a legend, a
// title, seaborn's style backgrounds and its "deep" palette.
//
//   PlotSeries s{"run1_loss_cls", xs, ys};
//   PlotOptions o;
//   o.xlabel = "iter";
//   MMDET_RETURN_IF_ERROR(SavePlot("loss.pdf", {s}, o));  // .png, .pdf or .svg
#ifndef MMDET_CORE_PLOT_H_
#define MMDET_CORE_PLOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mmdet {

struct PlotSeries {
  std::string label;
  std::vector<double> xs, ys;
  bool markers = false;     // matplotlib's marker='o'
  double line_width = 1.5;  // in points (matplotlib's default)
};

struct PlotOptions {
  std::string title, xlabel, ylabel;
  // seaborn's set_style: dark (grey axes), darkgrid, white, whitegrid, ticks.
  std::string style = "dark";
  // Ticks exactly at these x values (epochs) instead of round numbers.
  std::vector<double> xticks;
  // The figure in points (matplotlib's default 6.4 x 4.8 in at 100 dpi: 640 x 480).
  int width = 640, height = 480;
};

// InvalidArgument for an unknown style or a series whose xs and ys differ in length.
absl::Status CheckPlot(const std::vector<PlotSeries>& series, const PlotOptions& options);

// Renders to `path` by its extension (.png, .pdf, .svg), written atomically. InvalidArgument
// for another extension.
absl::Status SavePlot(const std::string& path, const std::vector<PlotSeries>& series,
                      const PlotOptions& options);

// The picture as 8-bit BGR pixels, row-major (width x height), for showing in a window.
absl::StatusOr<std::vector<uint8_t>> RenderPlotBgr(const std::vector<PlotSeries>& series,
                                                   const PlotOptions& options);

}  // namespace mmdet

#endif  // MMDET_CORE_PLOT_H_
