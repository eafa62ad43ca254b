// MMDetection v2.0's robustness_eval.py: P, mPC and rPC of a test_robustness results file
// ({corruption: {severity: {task: {metric: value}}}}, VOC: {corruption: {severity: [per-class
// {'ap': ...}]}}), printed as MMDetection prints them. Shared by tools:robustness_eval and the
// end of tools:test_robustness.
//
// P = the first corruption's severity 0; mPC = the mean over severities 1-5 of the first 15
// corruptions (aggregate "benchmark") or all of them ("all"); rPC = mPC / P. COCO-style
// results print in pycocotools' summary layout when `metrics` is empty (all twelve), else one
// line per metric; VOC prints the class-mean AP50. MMDetection's "Realtive" spelling is kept
// where it has it, so scripts that grep the output keep working.
#ifndef MMDET_EVALUATION_ROBUSTNESS_H_
#define MMDET_EVALUATION_ROBUSTNESS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mmdet/core/pth/pth.h"

namespace mmdet::evaluation {

struct RobustnessPrintOptions {
  std::string dataset = "coco";  // coco, voc, cityscapes
  std::vector<std::string> tasks = {"bbox"};
  std::vector<std::string> metrics;  // empty: the COCO summary layout
  std::vector<std::string> prints = {"mPC"};
  std::string aggregate = "benchmark";
};

// InvalidArgument naming the file and the element for a malformed results file or a bad
// option.
absl::Status PrintRobustnessResults(const pth::Value& results, const std::string& file,
                                    const RobustnessPrintOptions& options, std::ostream& os);

}  // namespace mmdet::evaluation

#endif  // MMDET_EVALUATION_ROBUSTNESS_H_
