#include "mmdet/apis/inference.h"

#include <iostream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mmdet/apis/test.h"
#include "mmdet/config/loader.h"
#include "mmdet/config/overrides.h"
#include "mmdet/core/status_macros.h"
#include "mmdet/datasets/coco_dataset.h"
#include "mmdet/datasets/dataset.h"
#include "mmdet/datasets/loader/collate.h"
#include "mmdet/datasets/pipelines/image_util.h"
#include "torch/cuda.h"
#include "torch/types.h"

namespace mmdet::apis {

absl::StatusOr<torch::Device> ParseDevice(const std::string& device) {
  int index = 0;
  std::string kind = device;
  if (absl::SimpleAtoi(device, &index)) {
    kind = "cuda";  // v1.2's webcam demo: --device 0
  } else if (absl::StartsWith(device, "cuda:")) {
    if (!absl::SimpleAtoi(device.substr(5), &index) || index < 0) {
      return absl::InvalidArgumentError("device " + device + ": expected cpu, cuda or cuda:N");
    }
    kind = "cuda";
  } else if (device != "cpu" && device != "cuda") {
    return absl::InvalidArgumentError("device " + device + ": expected cpu, cuda or cuda:N");
  }
  if (kind == "cpu") return torch::Device(torch::kCPU);
  if (!torch::cuda::is_available()) {
    return absl::FailedPreconditionError(
        "device " + device + ": CUDA is not available here (use --device cpu)");
  }
  if (index >= static_cast<int>(torch::cuda::device_count())) {
    return absl::InvalidArgumentError(absl::StrCat("device ", device, ": only ",
                                                   torch::cuda::device_count(), " GPUs here"));
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::vector<std::string> CheckpointClasses(const models::Checkpoint& ckpt) {
  std::vector<std::string> classes;
  const pth::Value* c = ckpt.meta.is_dict() ? ckpt.meta.Find("CLASSES") : nullptr;
  if (c == nullptr || !(c->is_list() || c->is_tuple())) return classes;
  for (const pth::Value& v : c->items()) {
    if (!v.is_string()) return {};
    classes.push_back(v.as_string());
  }
  return classes;
}

namespace {

// The class names when the checkpoint has none: data.test's if it can be read, else COCO's.
std::vector<std::string> FallbackClasses(const config::Config& cfg) {
  if (cfg.data().has_test()) {
    auto test = datasets::WithTestMode(cfg.data().test(), "data.test");
    if (test.ok()) {
      auto dataset = datasets::BuildDataset(*test, "data.test");
      if (dataset.ok()) {
        std::cerr << "mmdet: class names are not saved in the checkpoint's meta data, using "
                     "data.test's\n";
        return (*dataset)->classes();
      }
    }
  }
  std::cerr << "mmdet: class names are not saved in the checkpoint's meta data, using COCO "
               "classes by default\n";
  return datasets::CocoClasses();
}

absl::StatusOr<datasets::Pipeline> InferencePipeline(const config::Config& cfg) {
  google::protobuf::RepeatedPtrField<config::Transform> steps = cfg.data().test_pipeline();
  if (cfg.data().has_test()) {
    MMDET_ASSIGN_OR_RETURN(steps, datasets::DatasetPipeline(cfg.data().test(), "data.test"));
  }
  if (steps.empty() || !steps.Get(0).has_load_image_from_file()) {
    return absl::InvalidArgumentError(
        "data.test.pipeline: the test pipeline must start with load_image_from_file (which "
        "inference replaces with the given image)");
  }
  steps.erase(steps.begin());
  return datasets::BuildPipeline(steps, "data.test.pipeline (after load_image_from_file)");
}

// One image through the pipeline and the model; appends its row to `results`.
absl::Status DetectOne(Detector& d, cv::Mat image, const std::string& filename,
                       evaluation::DetectionResults* results) {
  MMDET_ASSIGN_OR_RETURN(const PreparedImage prepared, PrepareImage(d, std::move(image), filename));
  MMDET_ASSIGN_OR_RETURN(const models::ImageResult out, RunModel(d, prepared));
  AppendImageResult(out, results);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PreparedImage> PrepareImage(const Detector& d, cv::Mat image,
                                           const std::string& filename) {
  if (image.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(filename.empty() ? "image" : filename, ": empty image"));
  }
  datasets::Results r;
  r.img = std::move(image);
  r.img_info.filename = filename;
  r.img_info.width = r.img.cols;
  r.img_info.height = r.img.rows;
  r.meta.filename = r.meta.ori_filename = filename;  // None for an array, as LoadImage
  r.meta.ori_shape = r.meta.img_shape = datasets::ShapeOf(r.img);
  datasets::Rng rng(0);
  MMDET_ASSIGN_OR_RETURN(std::vector<datasets::Results> views, d.pipeline.Run(std::move(r), rng));
  if (views.empty()) return absl::InternalError("the test pipeline dropped the image");
  PreparedImage prepared;
  for (datasets::Results& view : views) {
    MMDET_ASSIGN_OR_RETURN(datasets::Batch batch, datasets::Collate({std::move(view)}, {0}));
    prepared.imgs.push_back(batch.img);
    prepared.metas.push_back(batch.img_metas[0]);
  }
  return prepared;
}

absl::StatusOr<models::ImageResult> RunModel(Detector& d, const PreparedImage& prepared) {
  std::vector<torch::Tensor> imgs;
  for (const torch::Tensor& img : prepared.imgs) imgs.push_back(img.to(d.device));
  if (imgs.size() == 1) {
    MMDET_ASSIGN_OR_RETURN(std::vector<models::ImageResult> out,
                           d.model->SimpleTest(imgs[0], prepared.metas, /*rescale=*/true));
    return std::move(out.at(0));
  }
  return d.model->AugTest(imgs, prepared.metas, /*rescale=*/true);
}

absl::StatusOr<std::shared_ptr<Detector>> InitDetector(const config::Config& config,
                                                       const std::string& checkpoint,
                                                       const std::string& device) {
  auto d = std::make_shared<Detector>();
  d->cfg = config;
  MMDET_ASSIGN_OR_RETURN(d->device, ParseDevice(device));
  MMDET_RETURN_IF_ERROR(ApplyOverride("model.pretrained=", &d->cfg));
  MMDET_ASSIGN_OR_RETURN(d->model, models::BuildDetector(d->cfg));
  if (!checkpoint.empty()) {
    MMDET_ASSIGN_OR_RETURN(models::Checkpoint ckpt,
                           models::LoadCheckpointStrictly(*d->model, checkpoint));
    d->classes = CheckpointClasses(ckpt);
  }
  if (d->classes.empty()) d->classes = FallbackClasses(d->cfg);
  MMDET_ASSIGN_OR_RETURN(d->pipeline, InferencePipeline(d->cfg));
  d->model->to(d->device);
  d->model->eval();
  return d;
}

absl::StatusOr<std::shared_ptr<Detector>> InitDetector(const std::string& config_path,
                                                       const std::string& checkpoint,
                                                       const std::string& device,
                                                       const std::vector<std::string>& overrides) {
  MMDET_ASSIGN_OR_RETURN(config::Config cfg, LoadConfig(config_path, overrides));
  return InitDetector(cfg, checkpoint, device);
}

absl::StatusOr<evaluation::DetectionResults> InferenceDetector(Detector& detector,
                                                               const std::string& image_path) {
  MMDET_ASSIGN_OR_RETURN(cv::Mat image, datasets::ReadImage(image_path, datasets::kImreadColor));
  evaluation::DetectionResults results;
  results.kind = ResultsKind(*detector.model);
  MMDET_RETURN_IF_ERROR(DetectOne(detector, std::move(image), image_path, &results));
  return results;
}

absl::StatusOr<evaluation::DetectionResults> InferenceDetector(Detector& detector,
                                                               const cv::Mat& image) {
  return InferenceDetector(detector, std::vector<cv::Mat>{image});
}

absl::StatusOr<evaluation::DetectionResults> InferenceDetector(Detector& detector,
                                                               const std::vector<cv::Mat>& images) {
  evaluation::DetectionResults results;
  results.kind = ResultsKind(*detector.model);
  for (size_t i = 0; i < images.size(); ++i) {
    if (images[i].type() != CV_8UC3) {
      return absl::InvalidArgumentError(absl::StrCat(
          "image ", i, ": expected an 8-bit 3-channel BGR cv::Mat (as mmcv.imread gives)"));
    }
    MMDET_RETURN_IF_ERROR(DetectOne(detector, images[i].clone(), "", &results));
  }
  return results;
}

}  // namespace mmdet::apis
