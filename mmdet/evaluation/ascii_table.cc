#include "mmdet/evaluation/ascii_table.h"

#include <algorithm>

namespace mmdet::evaluation {

std::string AsciiTable(const std::vector<std::vector<std::string>>& rows, bool footer_rule) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string rule = "+";
  for (size_t w : widths) rule += std::string(w + 2, '-') + "+";
  std::string out = rule + "\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    if (footer_rule && r > 1 && r + 1 == rows.size()) out += rule + "\n";
    out += "|";
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = c < rows[r].size() ? rows[r][c] : "";
      out += " " + cell + std::string(widths[c] - cell.size(), ' ') + " |";
    }
    out += "\n";
    if (r == 0) out += rule + "\n";
  }
  return out + rule;
}

}  // namespace mmdet::evaluation
