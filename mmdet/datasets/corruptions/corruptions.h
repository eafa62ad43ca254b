// The 19 image corruptions of the imagecorruptions package v1.1 (Hendrycks & Dietterich's
// ImageNet-C, as Michaelis et al. 2019 apply them to detection), the version MMDetection
// v2.0's test_robustness used, with its five severities' constants and algorithms.
//
//   MMDET_ASSIGN_OR_RETURN(cv::Mat out, Corrupt(img, "fog", 3, rng, options));
//
// Input and output are 8-bit 3-channel images in the order they were loaded (OpenCV's BGR).
// As in MMDetection, the algorithms (written for RGB) run on that BGR data unchanged: HSV
// brightness / saturate, snow's grey conversion, frost's channel swap and JPEG all see BGR as
// if it were RGB, so the output is what MMDetection's models saw. Each float result is clipped
// and truncated to uint8 (np.uint8), as imagecorruptions' corrupt() does.
//
// Randomness comes from `rng` only (the caller seeds one per image and corruption), so a run
// is reproducible; imagecorruptions draws from numpy's global stream, so random corruptions
// match it in distribution, not pixel by pixel. The deterministic ones (brightness, contrast,
// saturate, pixelate, jpeg_compression, defocus_blur, gaussian_blur, zoom_blur) follow the
// package's arithmetic step by step (scipy's gaussian_filter and zoom, PIL's BOX / NEAREST
// resize and libjpeg at PIL's settings, skimage's HSV).
//
// Sets (MMDetection's test_robustness names): "benchmark" = the first 15, "holdout" = the
// other 4, "all" = 19.
#ifndef MMDET_DATASETS_CORRUPTIONS_CORRUPTIONS_H_
#define MMDET_DATASETS_CORRUPTIONS_CORRUPTIONS_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "opencv2/core.hpp"

namespace mmdet::datasets {

using CorruptionRng = std::mt19937_64;

struct CorruptOptions {
  // The folder with imagecorruptions' frost1.png ... frost5.jpg (frost only).
  std::string frost_dir;
};

// The 19 names in imagecorruptions' order (benchmark first).
const std::vector<std::string>& CorruptionNames();
// "benchmark", "holdout", "all", or a list of names -> names; InvalidArgument naming an
// unknown one.
absl::StatusOr<std::vector<std::string>> ResolveCorruptions(const std::vector<std::string>& spec);

// `image` corrupted by `name` at `severity` 1..5 (0: a copy). InvalidArgument for an unknown
// name, a severity outside 0..5, an image that is not 8-bit with 3 channels or is smaller than
// 32 x 32 (as imagecorruptions), and for frost without its images (naming --frost-dir).
absl::StatusOr<cv::Mat> Corrupt(const cv::Mat& image, const std::string& name, int severity,
                                CorruptionRng& rng, const CorruptOptions& options = {});

// The generator for one image of a run, seeded from (seed, image key, corruption name,
// severity): the same image corrupts the same way on every run and worker.
CorruptionRng MakeCorruptionRng(uint64_t seed, uint64_t image_key, const std::string& corruption,
                                int severity);

// The image key test_robustness and tools:corrupt use: a hash of the file's base name
// ("val/000001.jpg" and "/data/val/000001.jpg" give the same key).
uint64_t CorruptionImageKey(const std::string& filename);

// The frost overlay folder: `flag_value` if set, else $IMAGECORRUPTIONS_FROST, else an
// `imagecorruptions/frost` folder next to the running binary; "" when none exists.
std::string FindFrostDir(const std::string& flag_value);

}  // namespace mmdet::datasets

#endif  // MMDET_DATASETS_CORRUPTIONS_CORRUPTIONS_H_
