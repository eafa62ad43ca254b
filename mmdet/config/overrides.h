// `--options KEY=VALUE` overrides on a config message (MMDetection's --options and
// --cfg-options).
//
// KEY is a dotted path of field names from the config root:
//   total_epochs=24
//   optimizer.sgd.lr=0.01
//   data.train_pipeline.2.resize.keep_ratio=false   (an integer selects a repeated element)
// A path may skip the oneof member that is already set, as MMDetection's dict paths do:
//   model.backbone.depth=101  ==  model.faster_rcnn.backbone.resnet.depth=101
//   (model -> faster_rcnn is implied because faster_rcnn is the model chosen)
// VALUE is parsed by the field's type:
//   - numbers, bools (true/false), enum names;
//   - strings with or without quotes (work_dir=out/x);
//   - repeated scalars as a comma list, optionally bracketed: lr_config.step.step=[16,22];
//   - messages as text format, optionally braced: optimizer={sgd {lr: 0.01}} (replaces).
// Errors name the override and the problem:
//   "--options model.backbone.dpeth=101: mmdet.config.ResNet has no field 'dpeth'"
#ifndef MMDET_CONFIG_OVERRIDES_H_
#define MMDET_CONFIG_OVERRIDES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace mmdet {

// Applies one "KEY=VALUE" override to `root`. InvalidArgument on any error; `root` is left
// unchanged when the path or the value is invalid.
absl::Status ApplyOverride(absl::string_view override_spec, google::protobuf::Message* root);

}  // namespace mmdet

#endif  // MMDET_CONFIG_OVERRIDES_H_
