// FPN (Lin et al. 2017) as MMDetection v2 builds it, with its names: lateral_convs.{i}.conv,
// fpn_convs.{i}.conv (extra convs continue the fpn_convs numbering).
//
// Levels start_level .. backbone_end_level - 1 of the inputs get a 1x1 lateral conv; the
// top-down path adds each level's nearest-neighbour upsampled (to the lower level's size)
// sum; a 3x3 conv smooths each. Extra levels up to num_outs: max_pool2d(k1, s2) of the last
// output when add_extra_convs is "", else stride-2 3x3 convs reading the last input
// ("on_input"), lateral ("on_lateral") or output ("on_output"), the later ones with a ReLU
// first when relu_before_extra_convs. v1 configs' "true" means on_input (or on_output with
// extra_convs_on_inputs false). Convs are Xavier-uniform initialised, as mmdet's FPN.
#ifndef MMDET_MODELS_NECKS_FPN_H_
#define MMDET_MODELS_NECKS_FPN_H_

#include "mmdet/models/necks/neck.h"

#endif  // MMDET_MODELS_NECKS_FPN_H_
