#include "mmdet/models/detectors/rpn.h"

#include <utility>

#include "mmdet/models/post_processing/merge_augs.h"
#include "mmdet/models/task_modules/bbox_transforms.h"

namespace mmdet::models {

absl::StatusOr<std::shared_ptr<DetectorImpl>> RPNDetector::Create(const config::RPN& m,
                                                                  const config::Config& cfg,
                                                                  const std::string& path) {
  std::shared_ptr<RPNDetector> det(new RPNDetector);
  MMDET_RETURN_IF_ERROR(det->InitCommon(m, cfg, path));
  if (!m.has_rpn_head()) return absl::InvalidArgumentError(path + ".rpn_head: required");
  MMDET_ASSIGN_OR_RETURN(auto head, BuildDenseHead(m.rpn_head(), path + ".rpn_head"));
  det->rpn_head_ = det->register_module("rpn_head", head);
  return std::shared_ptr<DetectorImpl>(det);
}


absl::StatusOr<LossMap> RPNDetector::Train(const torch::Tensor& img,
                                           const std::vector<ImageMeta>& metas,
                                           const GroundTruth& gt) {
  GroundTruth rpn_gt = gt;
  rpn_gt.labels.clear();
  return rpn_head_->Loss(DenseForward(*rpn_head_, ExtractFeat(img)), rpn_gt, metas,
                         train_cfg_.rpn());
}


absl::StatusOr<std::vector<ImageResult>> RPNDetector::Test(
    const torch::Tensor& img, const std::vector<ImageMeta>& metas, bool rescale) {
  std::vector<torch::Tensor> proposals =
      rpn_head_->GetProposals(DenseForward(*rpn_head_, ExtractFeat(img)), metas, test_cfg_.rpn());
  std::vector<ImageResult> results;
  for (size_t i = 0; i < proposals.size(); ++i) {
    torch::Tensor p = proposals[i].clone();
    if (rescale) {
      const auto& sf = metas[i].scale_factor;
      p.narrow(1, 0, 4).div_(torch::tensor({sf[0], sf[1], sf[2], sf[3]}, p.options()));
    }
    ImageResult r;
    r.bboxes = {p.cpu()};
    results.push_back(std::move(r));
  }
  return absl::StatusOr<std::vector<ImageResult>>(std::move(results));
}

absl::Status RPNDetector::Dummy(const torch::Tensor& img) {
  DenseForward(*rpn_head_, ExtractFeat(img));
  return absl::OkStatus();
}

absl::StatusOr<ImageResult> RPNDetector::TestAug(const std::vector<torch::Tensor>& imgs,
                                                 const std::vector<ImageMeta>& metas,
                                                 bool rescale) {
  std::vector<torch::Tensor> proposals;
  for (size_t v = 0; v < imgs.size(); ++v) {
    proposals.push_back(rpn_head_->GetProposals(DenseForward(*rpn_head_, ExtractFeat(imgs[v])),
                                                {metas[v]}, test_cfg_.rpn())[0]);
  }
  torch::Tensor merged = MergeAugProposals(proposals, metas, test_cfg_.rpn());
  if (!rescale) {
    const ImageMeta& m = metas[0];
    merged.narrow(1, 0, 4).copy_(BboxMapping(merged.narrow(1, 0, 4), m.img_shape, m.scale_factor,
                                             m.flip, m.flip_direction));
  }
  ImageResult r;
  r.bboxes = {merged.cpu()};
  return r;
}

MMDET_REGISTER(DetectorRegistry, config::RPN, RPNDetector::Create);

}  // namespace mmdet::models
