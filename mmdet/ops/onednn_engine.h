// The oneDNN CPU engine that mmdet/ops' direct oneDNN calls share (onednn_conv, autocast_conv).
// Only for builds with oneDNN's headers (MMDET_HAVE_ONEDNN).
#ifndef MMDET_OPS_ONEDNN_ENGINE_H_
#define MMDET_OPS_ONEDNN_ENGINE_H_

#include <oneapi/dnnl/dnnl.hpp>

namespace mmdet::ops {

dnnl::engine& OneDnnEngine();

}  // namespace mmdet::ops

#endif  // MMDET_OPS_ONEDNN_ENGINE_H_
