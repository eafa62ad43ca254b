#include "mmdet/datasets/dataset.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/json_reader.h"
#include "mmdet/core/status.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::datasets {

namespace dom = simdjson::dom;

// A training sample that every try drops is a pipeline that can never succeed on this data
// (MMDetection would loop forever); report it instead.
constexpr int kMaxDrawsPerSample = 1000;

// OutOfRange for an index past the dataset's end.
static absl::Status NoSuchImage(const Dataset& dataset, size_t i) {
  return absl::OutOfRangeError(
      absl::StrCat(dataset.name(), ": no image ", i, " (", dataset.size(), ")"));
}

absl::StatusOr<std::vector<std::string>> ReadClassNames(const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) names.emplace_back(line);
  }
  if (names.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no class names"));
  return names;
}

absl::StatusOr<DatasetOptions> ResolveDatasetFields(const DatasetFields& config,
                                                    const std::string& path) {
  DatasetOptions options;
  options.path = path;
  auto rooted = [&](const std::string& p) {
    return p.empty() || config.data_root.empty() ? p : JoinPath(config.data_root, p);
  };
  if (config.ann_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".ann_file: required"));
  }
  options.ann_file = rooted(config.ann_file);
  // img_prefix defaults to '' (not None) in MMDetection, so an empty one is data_root itself.
  options.img_prefix = config.img_prefix.empty() ? config.data_root
                                                   : rooted(config.img_prefix);
  options.seg_prefix = rooted(config.seg_prefix);
  options.proposal_file = rooted(config.proposal_file);
  options.test_mode = config.test_mode;
  options.filter_empty_gt = config.filter_empty_gt;
  options.classes = config.classes;
  if (options.classes.size() == 1 && absl::EndsWith(options.classes[0], ".txt")) {
    auto names = ReadClassNames(options.classes[0]);
    if (!names.ok()) return Annotate(names.status(), absl::StrCat(path, ".classes"));
    options.classes = *std::move(names);
  }
  for (size_t c = 0; c < options.classes.size(); ++c) {
    for (size_t d = 0; d < c; ++d) {
      if (options.classes[c] == options.classes[d]) {
        return absl::InvalidArgumentError(absl::StrCat(path, ".classes: '", options.classes[c],
                                                       "' is listed twice"));
      }
    }
  }
  MMDET_ASSIGN_OR_RETURN(options.pipeline,
                         BuildPipeline(*config.pipeline, absl::StrCat(path, ".pipeline")));
  return options;
}

namespace {

// proposal_file: a JSON list with one entry per image of the annotation file, each a list of
// [x1, y1, x2, y2] or [x1, y1, x2, y2, score] rows (score 1 when absent).
absl::StatusOr<std::vector<std::vector<std::array<float, 5>>>> LoadProposals(
    const std::string& path) {
  JsonDocument doc;
  MMDET_RETURN_IF_ERROR(doc.Load(path));
  const JsonReader& r = doc.reader();
  dom::array images;
  MMDET_RETURN_IF_ERROR(r.Array(doc.root(), "top level", &images));
  std::vector<std::vector<std::array<float, 5>>> proposals;
  for (dom::element image : images) {
    const std::string where = absl::StrCat("[", proposals.size(), "]");
    dom::array rows;
    MMDET_RETURN_IF_ERROR(r.Array(image, where, &rows));
    auto& out = proposals.emplace_back();
    for (dom::element row : rows) {
      const std::string at = absl::StrCat(where, "[", out.size(), "]");
      dom::array values;
      MMDET_RETURN_IF_ERROR(r.Array(row, at, &values));
      if (values.size() != 4 && values.size() != 5) {
        return r.Error(at, "expected [x1, y1, x2, y2] or [x1, y1, x2, y2, score]");
      }
      std::array<float, 5> box{0, 0, 0, 0, 1};
      size_t k = 0;
      for (dom::element v : values) {
        double value = 0;
        MMDET_RETURN_IF_ERROR(r.Number(v, at, &value));
        box[k++] = static_cast<float>(value);
      }
      out.push_back(box);
    }
  }
  return proposals;
}

}  // namespace

absl::Status ImageDataset::FinishInit() {
  if (!options_.proposal_file.empty()) {
    auto proposals = LoadProposals(options_.proposal_file);
    if (!proposals.ok()) return Annotate(proposals.status(), options_.path + ".proposal_file");
    if (proposals->size() != images_.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          options_.proposal_file, ": ", proposals->size(), " proposal lists for ",
          images_.size(), " images in ", options_.ann_file));
    }
    proposals_ = *std::move(proposals);
  }
  flags_.resize(kept_.size());
  for (size_t i = 0; i < kept_.size(); ++i) {
    const ImageInfo& info = images_[kept_[i]];
    flags_[i] = info.height > 0 && static_cast<double>(info.width) / info.height > 1 ? 1 : 0;
    groups_[flags_[i]].push_back(i);
  }
  return absl::OkStatus();
}

absl::StatusOr<AnnInfo> ImageDataset::ann_info(size_t i) const {
  if (i >= size()) {
    return NoSuchImage(*this, i);
  }
  return LoadAnnInfo(kept_[i]);
}

absl::StatusOr<Results> ImageDataset::PrepareResults(size_t i) const {
  Results results;
  results.img_info = image_info(i);
  results.img_prefix = options_.img_prefix;
  results.seg_prefix = options_.seg_prefix;
  if (!options_.test_mode) {
    MMDET_ASSIGN_OR_RETURN(results.ann_info, LoadAnnInfo(kept_[i]));
    results.has_ann_info = true;
  }
  if (!proposals_.empty()) {
    // LoadProposals: boxes without scores, one all-zero box when the image has none.
    std::vector<Box>& boxes = results.proposals.emplace();
    for (const auto& p : proposals_[kept_[i]]) boxes.push_back({p[0], p[1], p[2], p[3]});
    if (boxes.empty()) boxes.push_back({0, 0, 0, 0});
  }
  return results;
}

absl::StatusOr<std::vector<Results>> ImageDataset::Get(size_t i, Rng& rng) const {
  if (i >= size()) {
    return NoSuchImage(*this, i);
  }
  size_t index = i;
  for (int draw = 0; draw < kMaxDrawsPerSample; ++draw) {
    auto context = [&] {
      return absl::StrCat(name(), ": image ", index, " (", image_info(index).filename, ")");
    };
    auto results = PrepareResults(index);
    if (!results.ok()) return Annotate(results.status(), context());
    auto samples = options_.pipeline.Run(*std::move(results), rng);
    if (!samples.ok()) return Annotate(samples.status(), context());
    if (!samples->empty() || options_.test_mode) return samples;
    const std::vector<size_t>& group = groups_[flags_[index]];
    index = group[static_cast<size_t>(RandInt(rng, 0, static_cast<int64_t>(group.size())))];
  }
  return absl::FailedPreconditionError(absl::StrCat(
      name(), ": the pipeline dropped ", kMaxDrawsPerSample,
      " samples in a row (a crop that never keeps a box?)"));
}

absl::StatusOr<std::shared_ptr<InMemoryDataset>> InMemoryDataset::Create(
    DatasetOptions options, std::vector<ImageInfo> images, std::vector<AnnInfo> anns,
    std::vector<std::string> classes, const std::vector<bool>& keep_for_training) {
  if (anns.size() != images.size() || keep_for_training.size() != images.size()) {
    return absl::InternalError("InMemoryDataset: images, anns and keep flags differ in length");
  }
  std::shared_ptr<InMemoryDataset> dataset(new InMemoryDataset(std::move(options)));
  dataset->anns_ = std::move(anns);
  MMDET_RETURN_IF_ERROR(dataset->Init(std::move(images), std::move(classes),
                                      [&](size_t j) { return keep_for_training[j]; }));
  return dataset;
}

// ------------------------------------------------------------------------ the wrappers

namespace {

// MMDetection's RepeatDataset: the inner dataset `times` times over.
class RepeatDataset : public Dataset {
 public:
  RepeatDataset(std::shared_ptr<Dataset> inner, size_t times)
      : inner_(std::move(inner)), times_(times) {}
  size_t size() const override { return inner_->size() * times_; }
  const std::vector<std::string>& classes() const override { return inner_->classes(); }
  const ImageInfo& image_info(size_t i) const override { return inner_->image_info(Inner(i)); }
  int group_flag(size_t i) const override { return inner_->group_flag(Inner(i)); }
  absl::StatusOr<AnnInfo> ann_info(size_t i) const override {
    return inner_->ann_info(Inner(i));
  }
  absl::StatusOr<std::vector<Results>> Get(size_t i, Rng& rng) const override {
    return inner_->Get(Inner(i), rng);
  }
  bool test_mode() const override { return inner_->test_mode(); }
  std::string name() const override { return inner_->name(); }

 private:
  size_t Inner(size_t i) const { return inner_->size() == 0 ? i : i % inner_->size(); }
  std::shared_ptr<Dataset> inner_;
  size_t times_;
};

// MMDetection's ConcatDataset: the datasets one after another, with the first one's CLASSES.
class ConcatDataset : public Dataset {
 public:
  explicit ConcatDataset(std::vector<std::shared_ptr<Dataset>> parts) : parts_(std::move(parts)) {
    size_t total = 0;
    for (const auto& part : parts_) {
      total += part->size();
      ends_.push_back(total);
    }
  }
  size_t size() const override { return ends_.empty() ? 0 : ends_.back(); }
  const std::vector<std::string>& classes() const override { return parts_[0]->classes(); }
  const ImageInfo& image_info(size_t i) const override {
    auto [part, j] = Locate(i);
    return parts_[part]->image_info(j);
  }
  int group_flag(size_t i) const override {
    auto [part, j] = Locate(i);
    return parts_[part]->group_flag(j);
  }
  absl::StatusOr<AnnInfo> ann_info(size_t i) const override {
    auto [part, j] = Locate(i);
    return parts_[part]->ann_info(j);
  }
  absl::StatusOr<std::vector<Results>> Get(size_t i, Rng& rng) const override {
    if (i >= size()) {
      return NoSuchImage(*this, i);
    }
    auto [part, j] = Locate(i);
    return parts_[part]->Get(j, rng);
  }
  bool test_mode() const override { return parts_[0]->test_mode(); }
  std::string name() const override {
    std::vector<std::string> names;
    for (const auto& part : parts_) names.push_back(part->name());
    return absl::StrCat("ConcatDataset(", absl::StrJoin(names, ", "), ")");
  }

 private:
  std::pair<size_t, size_t> Locate(size_t i) const {
    size_t part = 0;
    while (part + 1 < ends_.size() && i >= ends_[part]) ++part;
    return {part, part == 0 ? i : i - ends_[part - 1]};
  }
  std::vector<std::shared_ptr<Dataset>> parts_;
  std::vector<size_t> ends_;  // cumulative sizes
};

absl::StatusOr<std::shared_ptr<Dataset>> RepeatFromConfig(const config::RepeatDataset& config,
                                                          const std::string& path) {
  if (config.times() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".times: must be >= 1"));
  }
  if (!config.has_dataset()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".dataset: required"));
  }
  MMDET_ASSIGN_OR_RETURN(std::shared_ptr<Dataset> inner,
                         BuildDataset(config.dataset(), path + ".dataset"));
  return std::shared_ptr<Dataset>(
      std::make_shared<RepeatDataset>(std::move(inner), static_cast<size_t>(config.times())));
}

absl::StatusOr<std::shared_ptr<Dataset>> ConcatFromConfig(const config::ConcatDataset& config,
                                                          const std::string& path) {
  if (config.datasets_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".datasets: none given"));
  }
  std::vector<std::shared_ptr<Dataset>> parts;
  for (int i = 0; i < config.datasets_size(); ++i) {
    MMDET_ASSIGN_OR_RETURN(parts.emplace_back(),
                           BuildDataset(config.datasets(i), absl::StrCat(path, ".datasets[", i, "]")));
  }
  return std::shared_ptr<Dataset>(std::make_shared<ConcatDataset>(std::move(parts)));
}

}  // namespace

MMDET_REGISTER(DatasetRegistry, config::RepeatDataset, RepeatFromConfig);
MMDET_REGISTER(DatasetRegistry, config::ConcatDataset, ConcatFromConfig);

absl::StatusOr<std::shared_ptr<Dataset>> BuildDataset(const config::Dataset& config,
                                                      const std::string& path) {
  return BuildFromConfig(DatasetRegistry::Global(), config, path);
}

absl::Status NotAFileDataset(const std::string& path) {
  return absl::InvalidArgumentError(
      path + ": expected a coco_dataset, cityscapes_dataset, voc_dataset or custom_dataset");
}

absl::StatusOr<config::Dataset> WithTestMode(config::Dataset d, const std::string& path) {
  if (!VisitFileDataset(&d, [](auto& member) { member.set_test_mode(true); })) {
    return NotAFileDataset(path);
  }
  return d;
}

absl::StatusOr<std::string> DatasetImgPrefix(const config::Dataset& config, const std::string& path) {
  absl::StatusOr<DatasetOptions> o = NotAFileDataset(path);
  VisitFileDataset(&config, [&](const auto& m) { o = ResolveDatasetOptions(m, path); });
  if (!o.ok()) return o.status();
  return o->img_prefix;
}

absl::StatusOr<google::protobuf::RepeatedPtrField<config::Transform>> DatasetPipeline(
    const config::Dataset& config, const std::string& path) {
  google::protobuf::RepeatedPtrField<config::Transform> pipeline;
  if (!VisitFileDataset(&config, [&](const auto& member) { pipeline = member.pipeline(); })) {
    return NotAFileDataset(path);
  }
  return pipeline;
}

}  // namespace mmdet::datasets
