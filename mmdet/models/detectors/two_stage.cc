#include "mmdet/models/detectors/two_stage.h"

#include "mmdet/models/post_processing/merge_augs.h"

namespace mmdet::models {

absl::StatusOr<LossMap> TwoStageDetector::Train(const torch::Tensor& img,
                                                const std::vector<ImageMeta>& metas,
                                                const GroundTruth& gt) {
  const std::vector<torch::Tensor> x = ExtractFeat(img);
  const DenseOutputs rpn_out = DenseForward(*rpn_head_, x);
  GroundTruth rpn_gt = gt;
  rpn_gt.labels.clear();  // the RPN is class-agnostic
  MMDET_ASSIGN_OR_RETURN(LossMap losses,
                         rpn_head_->Loss(rpn_out, rpn_gt, metas, train_cfg_.rpn()));
  const config::ProposalConfig& proposal_cfg =
      train_cfg_.has_rpn_proposal() ? train_cfg_.rpn_proposal() : test_cfg_.rpn();
  const std::vector<torch::Tensor> proposals =
      rpn_head_->GetProposals(rpn_out, metas, proposal_cfg);
  MMDET_ASSIGN_OR_RETURN(LossMap roi_losses,
                         roi_head_->ForwardTrain(x, metas, proposals, gt, train_cfg_.rcnn()));
  losses.insert(losses.end(), roi_losses.begin(), roi_losses.end());
  return losses;
}


absl::StatusOr<std::vector<ImageResult>> TwoStageDetector::Test(
    const torch::Tensor& img, const std::vector<ImageMeta>& metas, bool rescale) {
  const std::vector<torch::Tensor> x = ExtractFeat(img);
  const std::vector<torch::Tensor> proposals =
      rpn_head_->GetProposals(DenseForward(*rpn_head_, x), metas, test_cfg_.rpn());
  roi_head_->set_head_dtype(feature_dtype());
  return roi_head_->SimpleTest(x, metas, proposals, test_cfg_.rcnn(), rescale);
}

absl::Status TwoStageDetector::Dummy(const torch::Tensor& img) {
  const std::vector<torch::Tensor> x = ExtractFeat(img);
  DenseForward(*rpn_head_, x);
  // 1000 proposals (MMDetection draws torch.randn(1000, 4); the counts do not depend on the
  // values, so these are seeded boxes inside the image).
  const torch::TensorOptions options = img.options();
  const double h = static_cast<double>(img.size(2)), w = static_cast<double>(img.size(3));
  const torch::Tensor corner = torch::rand({1000, 2}, options) *
                               torch::tensor({w * 0.75, h * 0.75}, options);
  const torch::Tensor size = torch::rand({1000, 2}, options) *
                                 torch::tensor({w * 0.25, h * 0.25}, options) + 1;
  roi_head_->ForwardDummy(x, torch::cat({corner, corner + size}, 1));
  return absl::OkStatus();
}

absl::StatusOr<ImageResult> TwoStageDetector::TestAug(const std::vector<torch::Tensor>& imgs,
                                                      const std::vector<ImageMeta>& metas,
                                                      bool rescale) {
  std::vector<std::vector<torch::Tensor>> feats;
  std::vector<torch::Tensor> proposals;
  for (size_t v = 0; v < imgs.size(); ++v) {
    feats.push_back(ExtractFeat(imgs[v]));
    proposals.push_back(rpn_head_->GetProposals(DenseForward(*rpn_head_, feats.back()),
                                                {metas[v]}, test_cfg_.rpn())[0]);
  }
  const torch::Tensor merged = MergeAugProposals(proposals, metas, test_cfg_.rpn());
  roi_head_->set_head_dtype(feature_dtype());
  return roi_head_->AugTest(feats, metas, merged, test_cfg_.rcnn(), rescale);
}

}  // namespace mmdet::models
