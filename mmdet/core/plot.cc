#include "mmdet/core/plot.h"

#include <cairo/cairo-pdf.h>
#include <cairo/cairo-svg.h>
#include <cairo/cairo.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mmdet {

namespace {

struct Rgb {
  double r, g, b;
};

Rgb Hex(unsigned v) { return {((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0}; }

// seaborn's "deep" palette, matplotlib's colour cycle under seaborn.
const Rgb kPalette[] = {Hex(0x4C72B0), Hex(0xDD8452), Hex(0x55A868), Hex(0xC44E52),
                        Hex(0x8172B3), Hex(0x937860), Hex(0xDA8BC3), Hex(0x8C8C8C),
                        Hex(0xCCB974), Hex(0x64B5CD)};

struct Style {
  Rgb face;
  bool grid;
  Rgb grid_colour;
  bool spines;
  bool tick_marks;
};

bool StyleOf(const std::string& name, Style* s) {
  if (name == "dark") *s = {Hex(0xEAEAF2), false, Hex(0xFFFFFF), false, false};
  else if (name == "darkgrid") *s = {Hex(0xEAEAF2), true, Hex(0xFFFFFF), false, false};
  else if (name == "white") *s = {Hex(0xFFFFFF), false, Hex(0xCCCCCC), true, false};
  else if (name == "whitegrid") *s = {Hex(0xFFFFFF), true, Hex(0xCCCCCC), true, false};
  else if (name == "ticks") *s = {Hex(0xFFFFFF), false, Hex(0xCCCCCC), true, true};
  else return false;
  return true;
}

// Round-number ticks covering [lo, hi] (the 1-2-2.5-5 x 10^k steps matplotlib's MaxNLocator
// favours), about 4 to 8 of them.
std::vector<double> NiceTicks(double lo, double hi, int* decimals) {
  std::vector<double> ticks;
  const double span = hi - lo;
  const double raw = span / 6;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * magnitude;
    if (span / step <= 8) break;
  }
  // The fewest decimals that write the step exactly (0.25 -> 2, 5 -> 0).
  *decimals = 0;
  while (*decimals < 8) {
    const double scaled = step * std::pow(10.0, *decimals);
    if (std::fabs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) break;
    ++*decimals;
  }
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

std::string TickLabel(double v, int decimals) { return absl::StrFormat("%.*f", decimals, v); }

void SetColour(cairo_t* cr, const Rgb& c, double alpha = 1) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

double TextWidth(cairo_t* cr, const std::string& text) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, text.c_str(), &e);
  return e.x_advance;
}

void Draw(cairo_t* cr, const std::vector<PlotSeries>& series, const PlotOptions& o) {
  Style style;
  StyleOf(o.style, &style);
  const double w = o.width, h = o.height;
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  SetColour(cr, Hex(0xFFFFFF));
  cairo_paint(cr);

  // Data limits with matplotlib's 5% margins.
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const PlotSeries& s : series) {
    for (size_t i = 0; i < s.xs.size(); ++i) {
      if (!std::isfinite(s.xs[i]) || !std::isfinite(s.ys[i])) continue;
      x0 = std::min(x0, s.xs[i]);
      x1 = std::max(x1, s.xs[i]);
      y0 = std::min(y0, s.ys[i]);
      y1 = std::max(y1, s.ys[i]);
    }
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= std::max(0.5, std::fabs(y0) * 0.05), y1 += std::max(0.5, std::fabs(y1) * 0.05);
  const double mx = (x1 - x0) * 0.05, my = (y1 - y0) * 0.05;
  x0 -= mx, x1 += mx, y0 -= my, y1 += my;

  int ydec = 0, xdec = 0;
  const std::vector<double> yticks = NiceTicks(y0, y1, &ydec);
  std::vector<double> xticks = o.xticks;
  if (xticks.empty()) {
    xticks = NiceTicks(x0, x1, &xdec);
  } else {
    while (xticks.size() > 20) {  // thin out dense epoch ticks
      std::vector<double> every_other;
      for (size_t i = 0; i < xticks.size(); i += 2) every_other.push_back(xticks[i]);
      xticks = every_other;
    }
  }

  // The axes box: room for the tick labels, the axis labels and the title.
  cairo_set_font_size(cr, 10);
  double ylabel_width = 0;
  for (double t : yticks) ylabel_width = std::max(ylabel_width, TextWidth(cr, TickLabel(t, ydec)));
  const double left = 18 + ylabel_width + (o.ylabel.empty() ? 0 : 18);
  const double right = w - 18;
  const double top = o.title.empty() ? 18 : 40;
  const double bottom = h - (o.xlabel.empty() ? 30 : 48);
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (right - left); };
  auto py = [&](double y) { return bottom - (y - y0) / (y1 - y0) * (bottom - top); };

  SetColour(cr, style.face);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_fill(cr);
  if (style.grid) {
    SetColour(cr, style.grid_colour);
    cairo_set_line_width(cr, 1);
    for (double t : yticks) {
      cairo_move_to(cr, left, py(t));
      cairo_line_to(cr, right, py(t));
    }
    for (double t : xticks) {
      if (t < x0 || t > x1) continue;
      cairo_move_to(cr, px(t), top);
      cairo_line_to(cr, px(t), bottom);
    }
    cairo_stroke(cr);
  }
  if (style.spines) {
    SetColour(cr, Hex(0x262626));
    cairo_set_line_width(cr, 0.8);
    cairo_rectangle(cr, left, top, right - left, bottom - top);
    cairo_stroke(cr);
  }

  // Tick labels (and marks for the "ticks" style).
  SetColour(cr, Hex(0x262626));
  cairo_set_line_width(cr, 0.8);
  for (double t : yticks) {
    if (t < y0 || t > y1) continue;
    const std::string label = TickLabel(t, ydec);
    cairo_move_to(cr, left - 6 - TextWidth(cr, label), py(t) + 3.5);
    cairo_show_text(cr, label.c_str());
    if (style.tick_marks) {
      cairo_move_to(cr, left - 3.5, py(t));
      cairo_line_to(cr, left, py(t));
      cairo_stroke(cr);
    }
  }
  for (double t : xticks) {
    if (t < x0 || t > x1) continue;
    const std::string label = o.xticks.empty() ? TickLabel(t, xdec) : absl::StrCat(std::lround(t));
    cairo_move_to(cr, px(t) - TextWidth(cr, label) / 2, bottom + 15);
    cairo_show_text(cr, label.c_str());
    if (style.tick_marks) {
      cairo_move_to(cr, px(t), bottom);
      cairo_line_to(cr, px(t), bottom + 3.5);
      cairo_stroke(cr);
    }
  }

  // Axis labels and the title.
  cairo_set_font_size(cr, 11);
  if (!o.xlabel.empty()) {
    cairo_move_to(cr, (left + right) / 2 - TextWidth(cr, o.xlabel) / 2, h - 14);
    cairo_show_text(cr, o.xlabel.c_str());
  }
  if (!o.ylabel.empty()) {
    cairo_save(cr);
    cairo_move_to(cr, 16, (top + bottom) / 2 + TextWidth(cr, o.ylabel) / 2);
    cairo_rotate(cr, -M_PI / 2);
    cairo_show_text(cr, o.ylabel.c_str());
    cairo_restore(cr);
  }
  if (!o.title.empty()) {
    cairo_set_font_size(cr, 12);
    cairo_move_to(cr, (left + right) / 2 - TextWidth(cr, o.title) / 2, 26);
    cairo_show_text(cr, o.title.c_str());
  }

  // The series, clipped to the axes.
  cairo_save(cr);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_clip(cr);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (size_t k = 0; k < series.size(); ++k) {
    const PlotSeries& s = series[k];
    SetColour(cr, kPalette[k % (sizeof(kPalette) / sizeof(kPalette[0]))]);
    cairo_set_line_width(cr, s.line_width);
    bool pen_down = false;
    for (size_t i = 0; i < s.xs.size(); ++i) {
      if (!std::isfinite(s.ys[i]) || !std::isfinite(s.xs[i])) {
        pen_down = false;
        continue;
      }
      if (pen_down) {
        cairo_line_to(cr, px(s.xs[i]), py(s.ys[i]));
      } else {
        cairo_move_to(cr, px(s.xs[i]), py(s.ys[i]));
        pen_down = true;
      }
    }
    cairo_stroke(cr);
    if (s.markers) {
      for (size_t i = 0; i < s.xs.size(); ++i) {
        if (!std::isfinite(s.ys[i])) continue;
        cairo_arc(cr, px(s.xs[i]), py(s.ys[i]), 3, 0, 2 * M_PI);
        cairo_fill(cr);
      }
    }
  }
  cairo_restore(cr);

  // The legend, upper right inside the axes.
  if (!series.empty()) {
    cairo_set_font_size(cr, 10);
    double text = 0;
    for (const PlotSeries& s : series) text = std::max(text, TextWidth(cr, s.label));
    const double row = 16, box_w = text + 42, box_h = row * series.size() + 8;
    // matplotlib's loc='best', simplified: the corner whose box covers the fewest points
    // (upper right, upper left, lower left, lower right on ties).
    const double corners[4][2] = {{right - box_w - 8, top + 8},
                                  {left + 8, top + 8},
                                  {left + 8, bottom - box_h - 8},
                                  {right - box_w - 8, bottom - box_h - 8}};
    size_t best = 0, best_count = std::numeric_limits<size_t>::max();
    for (size_t c = 0; c < 4; ++c) {
      size_t count = 0;
      for (const PlotSeries& s : series) {
        for (size_t i = 0; i < s.xs.size(); ++i) {
          const double x = px(s.xs[i]), y = py(s.ys[i]);
          if (x >= corners[c][0] && x <= corners[c][0] + box_w && y >= corners[c][1] &&
              y <= corners[c][1] + box_h) {
            ++count;
          }
        }
      }
      if (count < best_count) best = c, best_count = count;
    }
    const double bx = corners[best][0], by = corners[best][1];
    cairo_rectangle(cr, bx, by, box_w, box_h);
    SetColour(cr, Hex(0xFFFFFF), 0.8);
    cairo_fill_preserve(cr);
    SetColour(cr, Hex(0xCCCCCC));
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    for (size_t k = 0; k < series.size(); ++k) {
      const double y = by + 4 + row * k + row / 2;
      SetColour(cr, kPalette[k % (sizeof(kPalette) / sizeof(kPalette[0]))]);
      cairo_set_line_width(cr, 2);
      cairo_move_to(cr, bx + 6, y);
      cairo_line_to(cr, bx + 28, y);
      cairo_stroke(cr);
      if (series[k].markers) {
        cairo_arc(cr, bx + 17, y, 3, 0, 2 * M_PI);
        cairo_fill(cr);
      }
      SetColour(cr, Hex(0x262626));
      cairo_move_to(cr, bx + 34, y + 3.5);
      cairo_show_text(cr, series[k].label.c_str());
    }
  }
}

absl::Status CairoStatus(cairo_status_t status, const std::string& path) {
  if (status == CAIRO_STATUS_SUCCESS) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": cannot write the plot (", cairo_status_to_string(status), ")"));
}

}  // namespace

absl::Status CheckPlot(const std::vector<PlotSeries>& series, const PlotOptions& options) {
  Style style;
  if (!StyleOf(options.style, &style)) {
    return absl::InvalidArgumentError("--style " + options.style +
                                      ": expected dark, darkgrid, white, whitegrid or ticks");
  }
  for (const PlotSeries& s : series) {
    if (s.xs.size() != s.ys.size()) {
      return absl::InvalidArgumentError(absl::StrCat(s.label, ": ", s.xs.size(), " x values but ",
                                                     s.ys.size(), " y values"));
    }
  }
  return absl::OkStatus();
}

absl::Status SavePlot(const std::string& path, const std::vector<PlotSeries>& series,
                      const PlotOptions& options) {
  if (absl::Status s = CheckPlot(series, options); !s.ok()) return s;
  const std::string tmp = absl::StrCat(path, ".tmp", getpid());
  cairo_surface_t* surface = nullptr;
  const bool png = absl::EndsWith(path, ".png");
  if (png) {
    surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, options.width, options.height);
  } else if (absl::EndsWith(path, ".pdf")) {
    surface = cairo_pdf_surface_create(tmp.c_str(), options.width, options.height);
  } else if (absl::EndsWith(path, ".svg")) {
    surface = cairo_svg_surface_create(tmp.c_str(), options.width, options.height);
  } else {
    return absl::InvalidArgumentError(path + ": expected a .png, .pdf or .svg file");
  }
  cairo_t* cr = cairo_create(surface);
  Draw(cr, series, options);
  cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  if (status == CAIRO_STATUS_SUCCESS && png) status = cairo_surface_write_to_png(surface, tmp.c_str());
  cairo_surface_finish(surface);
  if (status == CAIRO_STATUS_SUCCESS) status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  if (absl::Status s = CairoStatus(status, path); !s.ok()) {
    std::remove(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::InvalidArgumentError(path + ": cannot write the plot");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> RenderPlotBgr(const std::vector<PlotSeries>& series,
                                                   const PlotOptions& options) {
  if (absl::Status s = CheckPlot(series, options); !s.ok()) return s;
  cairo_surface_t* surface =
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, options.width, options.height);
  cairo_t* cr = cairo_create(surface);
  Draw(cr, series, options);
  cairo_destroy(cr);
  cairo_surface_flush(surface);
  const unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  std::vector<uint8_t> bgr(static_cast<size_t>(options.width) * options.height * 3);
  for (int y = 0; y < options.height; ++y) {
    for (int x = 0; x < options.width; ++x) {
      const uint32_t* p = reinterpret_cast<const uint32_t*>(data + y * stride) + x;
      uint8_t* q = &bgr[(static_cast<size_t>(y) * options.width + x) * 3];
      q[0] = *p & 255;
      q[1] = (*p >> 8) & 255;
      q[2] = (*p >> 16) & 255;
    }
  }
  cairo_surface_destroy(surface);
  return bgr;
}

}  // namespace mmdet
