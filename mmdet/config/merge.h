// MMDetection `_base_` merge semantics on protobuf messages.
//
// MergeConfig(src, dst) overlays the fields *set* in `src` onto `dst`:
//   - scalars (and enums, strings) set in src replace dst's;
//   - singular messages merge recursively, field by field;
//   - repeated fields are replaced whole (MMDetection replaces lists; protobuf's MergeFrom
//     would append);
//   - setting another member of a oneof drops dst's member (protobuf semantics), which is
//     MMDetection's `_delete_=True` for a type switch, for free;
//   - google.protobuf.Any members of the same inner type merge recursively, otherwise the
//     src Any replaces dst's.
// Limitation: an empty repeated field in src is "not set", so a child cannot clear a base's
// list to empty; set it to the wanted elements instead.
#ifndef MMDET_CONFIG_MERGE_H_
#define MMDET_CONFIG_MERGE_H_

#include "google/protobuf/message.h"

namespace mmdet {

// `src` and `*dst` must have the same type.
void MergeConfig(const google::protobuf::Message& src, google::protobuf::Message* dst);

}  // namespace mmdet

#endif  // MMDET_CONFIG_MERGE_H_
