#include "mmdet/config/merge.h"

#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/any.pb.h"

namespace mmdet {
namespace {

namespace pb = ::google::protobuf;

std::unique_ptr<pb::Message> Unpack(const pb::Any& any) {
  absl::string_view url = any.type_url();
  const pb::Descriptor* type = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(
      std::string(url.substr(url.rfind('/') + 1)));
  if (type == nullptr) return nullptr;
  std::unique_ptr<pb::Message> message(
      pb::MessageFactory::generated_factory()->GetPrototype(type)->New());
  if (!message->ParseFromString(any.value())) return nullptr;
  return message;
}

void MergeAny(const pb::Any& src, pb::Any* dst) {
  if (src.type_url() == dst->type_url()) {
    std::unique_ptr<pb::Message> src_inner = Unpack(src);
    std::unique_ptr<pb::Message> dst_inner = Unpack(*dst);
    if (src_inner != nullptr && dst_inner != nullptr) {
      MergeConfig(*src_inner, dst_inner.get());
      dst->PackFrom(*dst_inner);
      return;
    }
  }
  dst->CopyFrom(src);
}

}  // namespace

void MergeConfig(const pb::Message& src, pb::Message* dst) {
  const pb::Reflection* src_reflection = src.GetReflection();
  const pb::Reflection* dst_reflection = dst->GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  src_reflection->ListFields(src, &fields);

  std::vector<const pb::FieldDescriptor*> replaced;
  for (const pb::FieldDescriptor* field : fields) {
    if (field->is_repeated() || field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      replaced.push_back(field);
      continue;
    }
    const pb::Message& src_child = src_reflection->GetMessage(src, field);
    // MutableMessage on an unset oneof member clears the member that was set.
    pb::Message* dst_child = dst_reflection->MutableMessage(dst, field);
    if (src_child.GetDescriptor() == pb::Any::descriptor()) {
      MergeAny(static_cast<const pb::Any&>(src_child), static_cast<pb::Any*>(dst_child));
    } else {
      MergeConfig(src_child, dst_child);
    }
  }
  if (replaced.empty()) return;
  // Swapping from a scratch copy replaces scalars and whole repeated fields at once.
  std::unique_ptr<pb::Message> scratch(src.New());
  scratch->CopyFrom(src);
  dst_reflection->SwapFields(scratch.get(), dst, replaced);
}

}  // namespace mmdet
