// The high-level inference API (MMDetection v2.0's mmdet/apis/inference.py), for programs that
// detect objects in their own images:
//
//   MMDET_ASSIGN_OR_RETURN(std::shared_ptr<apis::Detector> detector,
//                          apis::InitDetector("configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.pbtxt",
//                                             "checkpoints/faster_rcnn_r50_fpn_1x_coco.pth", "cpu"));
//   MMDET_ASSIGN_OR_RETURN(evaluation::DetectionResults result,
//                          apis::InferenceDetector(*detector, "demo/demo.jpg"));
//   // result.bboxes[0][c]: class c's detections, float32 [k, 5] (x1, y1, x2, y2, score) in the
//   // image's pixels; with a mask head result.segms[0][c][k] is detection k's pycocotools RLE.
//   apis::ShowResult(image, result, detector->classes, 0.3, "result.jpg");
//
// InitDetector builds cfg.model with `pretrained` cleared, loads the checkpoint strictly,
// takes the class names from its meta.CLASSES (else, with one warning on stderr, data.test's
// classes when that dataset can be read, else COCO's, as v2.0), moves the model to the device
// ("cpu", "cuda", "cuda:N" or v1.2's bare GPU id "N") and sets eval mode.
// InferenceDetector runs the config's test pipeline (data.test's) with its first step (image
// loading) replaced by the given image, as MMDetection's LoadImage, without gradients, and
// rescales the results to the input image. Several views (MultiScaleFlipAug with several
// scales / flip) go through the detector's aug_test. A batch is run image by image, so each
// result is exactly that image's result alone.
#ifndef MMDET_APIS_INFERENCE_H_
#define MMDET_APIS_INFERENCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/config/config.pb.h"
#include "mmdet/datasets/pipelines/transform.h"
#include "mmdet/evaluation/results.h"
#include "mmdet/models/checkpoint/checkpoint.h"
#include "mmdet/models/detectors/detector.h"
#include "opencv2/core.hpp"
#include "torch/types.h"

namespace mmdet::apis {

// A model ready for inference (MMDetection's model with .cfg and .CLASSES).
struct Detector {
  config::Config cfg;
  std::shared_ptr<models::DetectorImpl> model;
  std::vector<std::string> classes;
  torch::Device device = torch::kCPU;
  // The test pipeline after its image-loading step.
  datasets::Pipeline pipeline;
};

// "cpu", "cuda", "cuda:N" or a bare GPU id "N" -> a device; an error when CUDA is asked for
// and this build or machine has none.
absl::StatusOr<torch::Device> ParseDevice(const std::string& device);

// The class names saved in a checkpoint's meta (MMDetection's meta['CLASSES']); empty when
// none.
std::vector<std::string> CheckpointClasses(const models::Checkpoint& checkpoint);

// `checkpoint` "" builds the model without weights (MMDetection's checkpoint=None).
absl::StatusOr<std::shared_ptr<Detector>> InitDetector(const config::Config& cfg,
                                                       const std::string& checkpoint,
                                                       const std::string& device = "cuda:0");
absl::StatusOr<std::shared_ptr<Detector>> InitDetector(const std::string& config_path,
                                                       const std::string& checkpoint,
                                                       const std::string& device = "cuda:0",
                                                       const std::vector<std::string>& overrides = {});

// One image: a file (read as mmcv.imread: 8-bit BGR) or a BGR cv::Mat. The result has one row.
absl::StatusOr<evaluation::DetectionResults> InferenceDetector(Detector& detector,
                                                               const std::string& image_path);
absl::StatusOr<evaluation::DetectionResults> InferenceDetector(Detector& detector,
                                                               const cv::Mat& image);
// Several images: row i is images[i]'s result.
absl::StatusOr<evaluation::DetectionResults> InferenceDetector(Detector& detector,
                                                               const std::vector<cv::Mat>& images);

// InferenceDetector's two steps, for callers that schedule or time them (the async API,
// tools:benchmark): the test pipeline's views of one image (CPU tensors, one per view) ...
struct PreparedImage {
  std::vector<torch::Tensor> imgs;  // [1, 3, H, W] each
  std::vector<models::ImageMeta> metas;
};
absl::StatusOr<PreparedImage> PrepareImage(const Detector& detector, cv::Mat image,
                                           const std::string& filename = "");
// ... and the model on them (moved to the detector's device; simple_test, or aug_test for
// several views), rescaled to the image. Results stay on the device.
absl::StatusOr<models::ImageResult> RunModel(Detector& detector, const PreparedImage& prepared);

}  // namespace mmdet::apis

#endif  // MMDET_APIS_INFERENCE_H_
