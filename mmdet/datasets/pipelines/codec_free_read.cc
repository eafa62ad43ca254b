#include "mmdet/datasets/pipelines/codec_free_read.h"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mmdet/datasets/pipelines/jpeg_decode.h"
#include "mmdet/datasets/pipelines/png_decode.h"

namespace mmdet::datasets {

absl::StatusOr<cv::Mat> ReadImageWithoutOpenCvCodecs(const std::string& path, int imread_flags) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot read image '", path, "': no such file"));
  }
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(file),
                                   std::istreambuf_iterator<char>()};
  const bool jpeg = bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
  const bool png = bytes.size() >= 8 && bytes[0] == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' &&
                   bytes[3] == 'G';
  std::optional<cv::Mat> img;
  if (jpeg) img = DecodeJpeg(bytes.data(), bytes.size(), imread_flags);
  if (png) img = DecodePng(bytes.data(), bytes.size(), imread_flags);
  if (img) return *std::move(img);
  if (jpeg && imread_flags != kImreadColor && imread_flags != kImreadGrayscale) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot decode image '", path, "': this build (without OpenCV's image codecs) reads "
        "JPEGs in colour or grayscale only"));
  }
  if (jpeg || png) {
    return absl::DataLossError(absl::StrCat(
        "cannot decode image '", path, "': corrupt, or a kind this build (without OpenCV's "
        "image codecs) does not read: CMYK JPEG, damaged data, a corrupt Exif block"));
  }
  return absl::DataLossError(absl::StrCat(
      "cannot decode image '", path, "': not a JPEG or PNG (this build, without OpenCV's image "
      "codecs, reads those two)"));
}

}  // namespace mmdet::datasets
