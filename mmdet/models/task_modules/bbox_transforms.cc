#include "mmdet/models/task_modules/bbox_transforms.h"

namespace mmdet::models {

torch::Tensor Bbox2Roi(const std::vector<torch::Tensor>& bbox_list) {
  std::vector<torch::Tensor> rois;
  for (size_t i = 0; i < bbox_list.size(); ++i) {
    const torch::Tensor& b = bbox_list[i];
    if (b.size(0) > 0) {
      rois.push_back(torch::cat(
          {torch::full({b.size(0), 1}, static_cast<double>(i), b.options()), b.narrow(1, 0, 4)},
          1));
    } else {
      rois.push_back(torch::zeros({0, 5}, b.options()));
    }
  }
  return torch::cat(rois, 0);
}

std::vector<torch::Tensor> Roi2Bbox(const torch::Tensor& rois, int64_t num_images) {
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < num_images; ++i) {
    const torch::Tensor inds = torch::nonzero(rois.select(1, 0) == i).view(-1);
    out.push_back(rois.index({inds}).narrow(1, 1, rois.size(1) - 1));
  }
  return out;
}

std::vector<torch::Tensor> Bbox2Result(const torch::Tensor& dets, const torch::Tensor& labels,
                                       int64_t num_classes) {
  std::vector<torch::Tensor> out;
  const torch::Tensor d = dets.detach().cpu().to(torch::kFloat32);
  const torch::Tensor l = labels.detach().cpu();
  for (int64_t c = 0; c < num_classes; ++c) {
    out.push_back(d.size(0) == 0 ? torch::zeros({0, 5}) : d.index({l == c}).contiguous());
  }
  return out;
}

torch::Tensor BboxFlip(const torch::Tensor& bboxes, const std::array<int64_t, 3>& img_shape,
                       const std::string& direction) {
  const bool horizontal = direction != "vertical";
  const double extent = static_cast<double>(horizontal ? img_shape[1] : img_shape[0]);
  const int64_t lo = horizontal ? 0 : 1, hi = horizontal ? 2 : 3;
  torch::Tensor flipped = bboxes.clone();
  using torch::indexing::Slice;
  using torch::indexing::Ellipsis;
  flipped.index_put_({Ellipsis, Slice(lo, torch::indexing::None, 4)},
                     extent - bboxes.index({Ellipsis, Slice(hi, torch::indexing::None, 4)}));
  flipped.index_put_({Ellipsis, Slice(hi, torch::indexing::None, 4)},
                     extent - bboxes.index({Ellipsis, Slice(lo, torch::indexing::None, 4)}));
  return flipped;
}

torch::Tensor BboxMapping(const torch::Tensor& bboxes, const std::array<int64_t, 3>& img_shape,
                          const std::array<float, 4>& scale_factor, bool flip,
                          const std::string& direction) {
  const torch::Tensor scale = torch::tensor(
      {scale_factor[0], scale_factor[1], scale_factor[2], scale_factor[3]}, bboxes.options());
  const torch::Tensor scaled = bboxes * scale;
  return flip ? BboxFlip(scaled, img_shape, direction) : scaled;
}

torch::Tensor BboxMappingBack(const torch::Tensor& bboxes, const std::array<int64_t, 3>& img_shape,
                              const std::array<float, 4>& scale_factor, bool flip,
                              const std::string& direction) {
  const torch::Tensor unflipped = flip ? BboxFlip(bboxes, img_shape, direction) : bboxes;
  const torch::Tensor scale = torch::tensor(
      {scale_factor[0], scale_factor[1], scale_factor[2], scale_factor[3]}, bboxes.options());
  return (unflipped.reshape({-1, 4}) / scale).view(bboxes.sizes());
}

}  // namespace mmdet::models
