// Component registries keyed by config message type, and the generic oneof builder.
//
// Every kind of component (backbone, neck, head, loss, dataset, transform, optimizer, hook...)
// is chosen in the config by setting one member of a typed `oneof`:
//
//   message Backbone { oneof type { ResNet resnet = 1; google.protobuf.Any custom = 1000; } }
//   backbone { resnet { depth: 50 } }
//
// and built through a Registry<Base, Args...> whose keys are the member's message full name
// ("mmdet.config.ResNet"). Registration is one line beside the component:
//
//   MMDET_REGISTER(BackboneRegistry, config::ResNet, ResNetFromConfig);
//
// with a typed factory
//
//   absl::StatusOr<std::shared_ptr<BackboneImpl>> ResNetFromConfig(const config::ResNet&,
//                                                                    const BuildContext&);
//
// and one generic builder per kind, with no if-chain to edit:
//
//   BuildComponent(BackboneRegistry::Global(), cfg.backbone(), "model.backbone", ctx);
//
// `custom` (google.protobuf.Any) members hold out-of-tree components: the Any is unpacked with
// the generated descriptor pool and the inner type is looked up in the same registry, so a
// user's own component needs no mmdet source change.
//
// Registration happens in static initializers (libraries are `alwayslink = 1`); lookups
// happen after main() starts, so the maps need no lock.
#ifndef MMDET_CORE_REGISTRY_H_
#define MMDET_CORE_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "mmdet/core/status.h"

namespace mmdet {

// The member message set in `parent`'s oneof (the one named "type", else its only oneof),
// with `custom` Any members unpacked into `*unpacked`. Errors name `path`:
//   "model.backbone: no type set (expected one of: resnet, custom)".
absl::StatusOr<const google::protobuf::Message*> SelectedMember(
    const google::protobuf::Message& parent, absl::string_view path,
    std::unique_ptr<google::protobuf::Message>* unpacked);

// `path` + "." + the name of the member set in `parent`'s type oneof ("model.backbone.resnet");
// `path` alone when none is set.
std::string SelectedMemberPath(const google::protobuf::Message& parent, absl::string_view path);

// The oneof that selects a component's type in `parent` (see SelectedMember), or null.
const google::protobuf::OneofDescriptor* TypeOneof(const google::protobuf::Descriptor* parent);

template <typename Base, typename... Args>
class Registry {
 public:
  using Factory = std::function<absl::StatusOr<std::shared_ptr<Base>>(
      const google::protobuf::Message&, Args...)>;

  // The process-wide registry of this kind.
  static Registry& Global() {
    static Registry* registry = new Registry;
    return *registry;
  }

  // Registers `factory` for configs of type ConfigT. A second registration of the same type
  // is a bug in the binary's composition and aborts at start-up.
  template <typename ConfigT, typename Fn>
  bool Register(Fn factory) {
    const std::string& name = ConfigT::descriptor()->full_name();
    if (!factories_.emplace(name, Wrap<ConfigT>(std::move(factory))).second) {
      std::fprintf(stderr, "mmdet: duplicate registration of %s\n", name.c_str());
      std::abort();
    }
    return true;
  }

  bool Has(absl::string_view full_name) const {
    return factories_.count(std::string(full_name)) > 0;
  }

  // Registered message full names, sorted.
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& entry : factories_) names.push_back(entry.first);
    return names;
  }

  // Builds the component configured by `config` (a oneof member message).
  absl::StatusOr<std::shared_ptr<Base>> Create(const google::protobuf::Message& config,
                                               Args... args) const {
    const std::string& name = config.GetDescriptor()->full_name();
    auto it = factories_.find(name);
    if (it == factories_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "no component registered for ", name,
          " (is its library linked into this binary? registered: ",
          factories_.empty() ? "none" : absl::StrJoin(Names(), ", "), ")"));
    }
    return it->second(config, std::forward<Args>(args)...);
  }

 private:
  template <typename ConfigT, typename Fn>
  static Factory Wrap(Fn factory) {
    return [factory](const google::protobuf::Message& config,
                     Args... args) -> absl::StatusOr<std::shared_ptr<Base>> {
      if (const auto* typed = dynamic_cast<const ConfigT*>(&config)) {
        return factory(*typed, std::forward<Args>(args)...);
      }
      // A dynamic message of the same type (e.g. from a foreign descriptor pool).
      ConfigT copy;
      if (!copy.ParseFromString(config.SerializeAsString())) {
        return absl::InternalError(absl::StrCat("cannot convert ", config.GetTypeName()));
      }
      return factory(copy, std::forward<Args>(args)...);
    };
  }

  std::map<std::string, Factory> factories_;
};

// Builds the component selected in `parent` (e.g. a config::Backbone) from `registry`,
// annotating errors with `path`.
template <typename Base, typename... Args>
absl::StatusOr<std::shared_ptr<Base>> BuildComponent(const Registry<Base, Args...>& registry,
                                                     const google::protobuf::Message& parent,
                                                     absl::string_view path, Args... args) {
  std::unique_ptr<google::protobuf::Message> unpacked;
  auto member = SelectedMember(parent, path, &unpacked);
  if (!member.ok()) return member.status();
  auto built = registry.Create(**member, std::forward<Args>(args)...);
  if (!built.ok()) return Annotate(built.status(), path);
  return built;
}

// Builds the component selected in `parent` from a registry whose factories take the
// member's config path ("data.train.coco_dataset") for their messages. Errors that do not
// already name `path` are prefixed with the member path.
template <typename Base>
absl::StatusOr<std::shared_ptr<Base>> BuildFromConfig(
    const Registry<Base, const std::string&>& registry, const google::protobuf::Message& parent,
    const std::string& path) {
  std::unique_ptr<google::protobuf::Message> unpacked;
  auto member = SelectedMember(parent, path, &unpacked);
  if (!member.ok()) return member.status();
  const std::string member_path = SelectedMemberPath(parent, path);
  auto built = registry.Create(**member, member_path);
  if (!built.ok() && !absl::StartsWith(built.status().message(), path)) {
    return Annotate(built.status(), member_path);
  }
  return built;
}

// `message` when `has` it, else the message written by `default_text` (a compile-time
// constant of the caller's): the component defaults of MMDetection's constructors, e.g.
//   BuildLoss(ConfigOrDefault(cfg.has_loss_cls(), cfg.loss_cls(), "focal_loss {}"), path);
template <typename Message>
Message ConfigOrDefault(bool has, const Message& message, const char* default_text) {
  if (has) return message;
  Message fallback;
  google::protobuf::TextFormat::ParseFromString(default_text, &fallback);
  return fallback;
}

// Member message types of `parent`'s type oneof that have no factory in `registry` (the
// `custom` Any member excluded). Each folder's registry_test asserts this is empty, so a
// forgotten `alwayslink` or registration fails `bazel test`, not a user's run.
template <typename Base, typename... Args>
std::vector<std::string> MissingFactories(const google::protobuf::Descriptor* parent,
                                          const Registry<Base, Args...>& registry) {
  std::vector<std::string> missing;
  const google::protobuf::OneofDescriptor* oneof = TypeOneof(parent);
  if (oneof == nullptr) return missing;
  for (int i = 0; i < oneof->field_count(); ++i) {
    const google::protobuf::Descriptor* type = oneof->field(i)->message_type();
    if (type == nullptr || type->full_name() == "google.protobuf.Any") continue;
    if (!registry.Has(type->full_name())) missing.push_back(type->full_name());
  }
  return missing;
}

}  // namespace mmdet

#define MMDET_REGISTRY_CONCAT_INNER_(a, b) a##b
#define MMDET_REGISTRY_CONCAT_(a, b) MMDET_REGISTRY_CONCAT_INNER_(a, b)

// One line per component, at namespace scope in its .cc:
//   MMDET_REGISTER(BackboneRegistry, config::ResNet, ResNetFromConfig);
#define MMDET_REGISTER(RegistryType, ConfigType, factory)                               \
  static const bool MMDET_REGISTRY_CONCAT_(mmdet_registered_, __COUNTER__) [[maybe_unused]] = \
      RegistryType::Global().template Register<ConfigType>(factory)

#endif  // MMDET_CORE_REGISTRY_H_
