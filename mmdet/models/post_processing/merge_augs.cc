#include "mmdet/models/post_processing/merge_augs.h"

#include <algorithm>

#include "mmdet/models/task_modules/bbox_transforms.h"
#include "mmdet/ops/nms.h"
#include "torch/types.h"

namespace mmdet::models {

torch::Tensor MergeAugProposals(const std::vector<torch::Tensor>& proposals,
                                const std::vector<ImageMeta>& metas,
                                const config::ProposalConfig& cfg) {
  std::vector<torch::Tensor> recovered;
  for (size_t v = 0; v < proposals.size(); ++v) {
    torch::Tensor p = proposals[v].clone();
    p.narrow(1, 0, 4).copy_(BboxMappingBack(p.narrow(1, 0, 4), metas[v].img_shape,
                                            metas[v].scale_factor, metas[v].flip,
                                            metas[v].flip_direction));
    recovered.push_back(p);
  }
  const torch::Tensor all = torch::cat(recovered);
  const torch::Tensor keep = ops::Nms(all.narrow(1, 0, 4), all.select(1, 4), cfg.nms_thr());
  torch::Tensor merged = all.index_select(0, keep);
  // Nms keeps by decreasing score already; v2.0 sorts once more, which changes nothing.
  const int64_t num = std::min<int64_t>(cfg.max_num(), merged.size(0));
  return merged.narrow(0, 0, num);
}

std::pair<torch::Tensor, torch::Tensor> MergeAugBboxes(const std::vector<torch::Tensor>& bboxes,
                                                       const std::vector<torch::Tensor>& scores,
                                                       const std::vector<ImageMeta>& metas) {
  std::vector<torch::Tensor> recovered;
  for (size_t v = 0; v < bboxes.size(); ++v) {
    recovered.push_back(BboxMappingBack(bboxes[v], metas[v].img_shape, metas[v].scale_factor,
                                        metas[v].flip, metas[v].flip_direction));
  }
  return {torch::stack(recovered).mean(0), torch::stack(scores).mean(0)};
}

torch::Tensor MergeAugMasks(const std::vector<torch::Tensor>& masks,
                            const std::vector<ImageMeta>& metas) {
  std::vector<torch::Tensor> recovered;
  for (size_t v = 0; v < masks.size(); ++v) {
    torch::Tensor m = masks[v];
    if (metas[v].flip) m = m.flip({metas[v].flip_direction == "vertical" ? 2 : 3});
    recovered.push_back(m);
  }
  return torch::stack(recovered).mean(0);
}

}  // namespace mmdet::models
