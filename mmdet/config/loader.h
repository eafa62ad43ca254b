// Loading a config: text-proto parsing with file:line:col errors, `_base_` inheritance,
// `--options` overrides and the shared-pipeline fill-in.
//
//   absl::StatusOr<config::Config> cfg =
//       LoadConfig("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt",
//                  {"total_epochs=24", "optimizer.sgd.lr=0.01"});
//
// Order: the `_base_` files (recursively, depth first, in listed order, each relative to the
// file naming it) are merged with MergeConfig semantics, then the file itself, then each
// override, then data.train_pipeline / data.test_pipeline fill datasets without a pipeline.
//
// Errors are InvalidArgument (parse errors, bad overrides, base cycles) or NotFound (missing
// file or base file) and read as one line:
//   configs/x.pbtxt:12:5: Message type "mmdet.config.ResNet" has no field named "dpeth".
//   configs/x.pbtxt:1:9: base file '../_base_/nope.pbtxt' not found (configs/_base_/nope.pbtxt)
//   --options total_epochs=abc: invalid value 'abc' for int32 field 'total_epochs'
#ifndef MMDET_CONFIG_LOADER_H_
#define MMDET_CONFIG_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "mmdet/config/config.pb.h"

namespace mmdet {

// Parses `text` (the contents of `filename`, used in messages) into `message`, rejecting
// unknown fields and bad values with "filename:line:col: message" (1-based).
absl::Status ParseTextProto(absl::string_view text, absl::string_view filename,
                            google::protobuf::Message* message);

// Loads `path` with its bases and applies `overrides` ("KEY=VALUE", see overrides.h).
absl::StatusOr<config::Config> LoadConfig(const std::string& path,
                                          const std::vector<std::string>& overrides = {});

// Gives every dataset with an empty pipeline data.train_pipeline (train) or
// data.test_pipeline (val, test), wrapped datasets included. LoadConfig calls it.
void FillSharedPipelines(config::Config* cfg);

// The config as text format (what print_config prints); parses back to the same message.
std::string ConfigToText(const google::protobuf::Message& cfg);

}  // namespace mmdet

#endif  // MMDET_CONFIG_LOADER_H_
