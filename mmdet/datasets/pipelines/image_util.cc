#include "mmdet/datasets/pipelines/image_util.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mmdet/datasets/pipelines/codec_free_read.h"
#include "mmdet/datasets/pipelines/jpeg_decode.h"
#ifndef MMDET_WITHOUT_IMGCODECS
#include "opencv2/imgcodecs.hpp"
#endif

namespace mmdet::datasets {

#ifndef MMDET_WITHOUT_IMGCODECS
static_assert(kImreadColor == cv::IMREAD_COLOR && kImreadGrayscale == cv::IMREAD_GRAYSCALE &&
              kImreadUnchanged == cv::IMREAD_UNCHANGED);
#endif

absl::StatusOr<cv::Mat> ReadImage(const std::string& path, int imread_flags) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("cannot read image '", path, "': no such file"));
  }
#ifdef MMDET_WITHOUT_IMGCODECS
  return ReadImageWithoutOpenCvCodecs(path, imread_flags);
#else
  cv::Mat img;
  if (TurboJpegEnabled() &&
      (imread_flags == kImreadColor || imread_flags == kImreadGrayscale)) {
    // JPEGs through TurboJPEG (OpenCV's pixels, jpeg_decode.h); the rest and the odd JPEG
    // (CMYK, damaged data, a corrupt Exif block) through cv::imread below.
    std::ifstream file(path, std::ios::binary);
    std::vector<uint8_t> bytes;
    char head[3] = {};
    if (file.read(head, 3) && static_cast<uint8_t>(head[0]) == 0xFF &&
        static_cast<uint8_t>(head[1]) == 0xD8 && static_cast<uint8_t>(head[2]) == 0xFF) {
      bytes.assign(head, head + 3);
      bytes.insert(bytes.end(), std::istreambuf_iterator<char>(file),
                   std::istreambuf_iterator<char>());
      if (std::optional<cv::Mat> decoded = DecodeJpeg(bytes.data(), bytes.size(), imread_flags)) {
        return *std::move(decoded);
      }
    }
  }
  try {
    img = cv::imread(path, imread_flags);
  } catch (const cv::Exception& e) {
    return absl::DataLossError(absl::StrCat("cannot decode image '", path, "': ", e.what()));
  }
  if (img.empty()) {
    return absl::DataLossError(
        absl::StrCat("cannot decode image '", path, "' (corrupt or not an image)"));
  }
  return img;
#endif
}

std::array<int64_t, 3> ShapeOf(const cv::Mat& img) {
  return {img.rows, img.cols, img.channels()};
}

cv::Mat RleToMat(const ops::Rle& rle) {
  // Column-major runs fill the transposed (w x h) image row by row.
  cv::Mat transposed(static_cast<int>(rle.w), static_cast<int>(rle.h), CV_8U);
  uint8_t* out = transposed.ptr<uint8_t>();
  const size_t total = static_cast<size_t>(rle.h * rle.w);
  size_t pos = 0;
  uint8_t value = 0;
  for (uint32_t count : rle.counts) {
    const size_t end = std::min(total, pos + count);
    std::fill(out + pos, out + end, value);
    pos = end;
    value ^= 1;
  }
  std::fill(out + pos, out + total, uint8_t{0});
  cv::Mat mask;
  cv::transpose(transposed, mask);
  return mask;
}

namespace {
torch::ScalarType TorchType(int depth) {
  switch (depth) {
    case CV_8U: return torch::kUInt8;
    case CV_8S: return torch::kInt8;
    case CV_16S: return torch::kInt16;
    case CV_32S: return torch::kInt32;
    case CV_32F: return torch::kFloat32;
    case CV_64F: return torch::kFloat64;
    default: return torch::kFloat32;  // CV_16U: converted below
  }
}
}  // namespace

torch::Tensor ImageToChwTensor(const cv::Mat& img) {
  cv::Mat src = img;
  if (src.depth() == CV_16U) src.convertTo(src, CV_MAKETYPE(CV_32F, src.channels()));
  if (!src.isContinuous()) src = src.clone();
  // cv::split writes each channel plane straight into the tensor (SIMD), several times
  // faster than a strided permute().contiguous() copy for 3 interleaved channels.
  torch::Tensor chw = torch::empty({src.channels(), src.rows, src.cols},
                                   torch::TensorOptions().dtype(TorchType(src.depth())));
  std::vector<cv::Mat> planes;
  for (int c = 0; c < src.channels(); ++c) {
    planes.emplace_back(src.rows, src.cols, CV_MAKETYPE(src.depth(), 1),
                        static_cast<char*>(chw.data_ptr()) + c * src.rows * src.cols *
                                                                 static_cast<int64_t>(src.elemSize1()));
  }
  cv::split(src, planes);
  return chw;
}

torch::Tensor MatToTensor2d(const cv::Mat& mat) {
  cv::Mat src = mat.isContinuous() ? mat : mat.clone();
  return torch::from_blob(src.data, {src.rows, src.cols}, TorchType(src.depth())).clone();
}

}  // namespace mmdet::datasets
