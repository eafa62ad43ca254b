#include "mmdet/core/registry.h"

#include "google/protobuf/any.pb.h"
#include "google/protobuf/dynamic_message.h"

namespace mmdet {

namespace pb = ::google::protobuf;

const pb::OneofDescriptor* TypeOneof(const pb::Descriptor* parent) {
  if (const pb::OneofDescriptor* named = parent->FindOneofByName("type")) return named;
  return parent->oneof_decl_count() == 1 ? parent->oneof_decl(0) : nullptr;
}

std::string SelectedMemberPath(const pb::Message& parent, absl::string_view path) {
  const pb::OneofDescriptor* oneof = TypeOneof(parent.GetDescriptor());
  const pb::FieldDescriptor* field =
      oneof == nullptr ? nullptr : parent.GetReflection()->GetOneofFieldDescriptor(parent, oneof);
  return field == nullptr ? std::string(path) : absl::StrCat(path, ".", field->name());
}

absl::StatusOr<const pb::Message*> SelectedMember(const pb::Message& parent,
                                                  absl::string_view path,
                                                  std::unique_ptr<pb::Message>* unpacked) {
  const pb::Descriptor* descriptor = parent.GetDescriptor();
  const pb::OneofDescriptor* oneof = TypeOneof(descriptor);
  if (oneof == nullptr) {
    return absl::InternalError(
        absl::StrCat(path, ": ", descriptor->full_name(), " has no type oneof"));
  }
  const pb::Reflection* reflection = parent.GetReflection();
  const pb::FieldDescriptor* field = reflection->GetOneofFieldDescriptor(parent, oneof);
  if (field == nullptr) {
    std::vector<std::string> choices;
    for (int i = 0; i < oneof->field_count(); ++i) choices.push_back(oneof->field(i)->name());
    return absl::InvalidArgumentError(absl::StrCat(path, ": no type set (expected one of: ",
                                                   absl::StrJoin(choices, ", "), ")"));
  }
  const pb::Message& member = reflection->GetMessage(parent, field);
  if (member.GetDescriptor() != pb::Any::descriptor()) return &member;

  // Out-of-tree component: unpack the Any with whatever message types are linked in.
  const std::string member_path = absl::StrCat(path, ".", field->name());
  const auto& any = static_cast<const pb::Any&>(member);
  absl::string_view url = any.type_url();
  absl::string_view type_name = url.substr(url.rfind('/') + 1);
  const pb::Descriptor* type =
      pb::DescriptorPool::generated_pool()->FindMessageTypeByName(std::string(type_name));
  if (type == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        member_path, ": unknown message type '", type_name, "' (is its library linked?)"));
  }
  unpacked->reset(pb::MessageFactory::generated_factory()->GetPrototype(type)->New());
  if (!(*unpacked)->ParseFromString(any.value())) {
    return absl::DataLossError(absl::StrCat(member_path, ": cannot decode ", type_name));
  }
  return unpacked->get();
}

}  // namespace mmdet
