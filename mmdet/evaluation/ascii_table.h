// terminaltables' AsciiTable, as MMDetection prints its tables (classwise AP, VOC mAP):
// cells left-aligned with one space of padding, a rule under the header row and, with
// `footer_rule`, above the last row (inner_footing_row_border).
#ifndef MMDET_EVALUATION_ASCII_TABLE_H_
#define MMDET_EVALUATION_ASCII_TABLE_H_

#include <string>
#include <vector>

namespace mmdet::evaluation {

std::string AsciiTable(const std::vector<std::vector<std::string>>& rows,
                       bool footer_rule = false);

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_ASCII_TABLE_H_
