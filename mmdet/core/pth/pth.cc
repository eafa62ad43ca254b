#include "mmdet/core/pth/pth.h"

#include <ATen/ATen.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <unordered_map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "mmdet/core/file_io.h"
#include "mmdet/core/pth/pickler.h"
#include "mmdet/core/pth/unpickler.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::pth {

// ---------------------------------------------------------------------------------------------
// Value

namespace {

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

const at::Tensor& UndefinedTensor() {
  static const at::Tensor* const kUndefined = new at::Tensor();
  return *kUndefined;
}

bool IsNumber(const Value& v) { return v.is_bool() || v.is_int() || v.is_float(); }

// Python's == for the keys dicts use.
bool KeyEquals(const Value& a, const Value& b) {
  if (IsNumber(a) && IsNumber(b)) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
    case Value::Kind::kBytes:
      return a.as_string() == b.as_string();
    case Value::Kind::kTuple:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!KeyEquals(a.items()[i], b.items()[i])) return false;
      }
      return true;
    case Value::Kind::kTensor:
      return a.tensor().is_same(b.tensor());
    default:
      return false;
  }
}

std::string DtypeName(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat:
      return "float32";
    case at::kDouble:
      return "float64";
    case at::kHalf:
      return "float16";
    case at::kBFloat16:
      return "bfloat16";
    case at::kLong:
      return "int64";
    case at::kInt:
      return "int32";
    case at::kShort:
      return "int16";
    case at::kChar:
      return "int8";
    case at::kByte:
      return "uint8";
    case at::kBool:
      return "bool";
    default:
      return c10::toString(dtype);
  }
}

void AppendQuoted(absl::string_view text, bool bytes, std::string* out) {
  if (bytes) out->push_back('b');
  out->push_back('\'');
  for (unsigned char c : text) {
    if (c == '\'' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c < 0x20 || c == 0x7F || (bytes && c >= 0x80)) {
      absl::StrAppend(out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('\'');
}

void AppendDebugString(const Value& v, int depth, std::string* out) {
  if (depth > internal::kMaxDepth) {
    out->append("...");
    return;
  }
  switch (v.kind()) {
    case Value::Kind::kNone:
      out->append("None");
      return;
    case Value::Kind::kBool:
      out->append(v.as_bool() ? "True" : "False");
      return;
    case Value::Kind::kInt:
      absl::StrAppend(out, v.as_int());
      return;
    case Value::Kind::kFloat: {
      // Python's repr: the shortest text that reads back as the same double, "1.0" not "1".
      const double f = v.as_float();
      if (std::isnan(f)) {
        out->append("nan");
        return;
      }
      if (std::isinf(f)) {
        out->append(f > 0 ? "inf" : "-inf");
        return;
      }
      std::string text;
      for (int precision = 1; precision <= 17; ++precision) {
        text = absl::StrFormat("%.*g", precision, f);
        if (std::strtod(text.c_str(), nullptr) == f) break;
      }
      if (text.find_first_of(".e") == std::string::npos) text += ".0";
      out->append(text);
      return;
    }
    case Value::Kind::kString:
    case Value::Kind::kBytes:
      AppendQuoted(v.as_string(), v.is_bytes(), out);
      return;
    case Value::Kind::kTensor: {
      const at::Tensor& t = v.tensor();
      if (!t.defined()) {
        out->append("Tensor(undefined)");
        return;
      }
      absl::StrAppend(out, "Tensor(", DtypeName(t.scalar_type()), "[",
                      absl::StrJoin(t.sizes(), ", "), "])");
      return;
    }
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      out->append(v.is_list() ? "[" : "(");
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i > 0) out->append(", ");
        AppendDebugString(v.items()[i], depth + 1, out);
      }
      if (v.is_tuple() && v.items().size() == 1) out->append(",");
      out->append(v.is_list() ? "]" : ")");
      return;
    }
    case Value::Kind::kDict: {
      out->append(v.is_ordered_dict() ? "OrderedDict({" : "{");
      for (size_t i = 0; i < v.entries().size(); ++i) {
        if (i > 0) out->append(", ");
        AppendDebugString(v.entries()[i].key, depth + 1, out);
        out->append(": ");
        AppendDebugString(v.entries()[i].value, depth + 1, out);
      }
      out->append(v.is_ordered_dict() ? "})" : "}");
      return;
    }
  }
}

}  // namespace

Value Value::Bool(bool value) {
  Value v;
  v.kind_ = Kind::kBool;
  v.int_ = value ? 1 : 0;
  return v;
}

Value Value::Int(int64_t value) {
  Value v;
  v.kind_ = Kind::kInt;
  v.int_ = value;
  return v;
}

Value Value::Float(double value) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.float_ = value;
  return v;
}

Value Value::String(std::string value) {
  Value v;
  v.kind_ = Kind::kString;
  v.string_ = std::move(value);
  return v;
}

Value Value::Bytes(std::string value) {
  Value v;
  v.kind_ = Kind::kBytes;
  v.string_ = std::move(value);
  return v;
}

Value Value::Tensor(at::Tensor value) {
  Value v;
  v.kind_ = Kind::kTensor;
  v.tensor_ = std::move(value);
  return v;
}

Value Value::List(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::kList;
  v.items_ = std::move(items);
  return v;
}

Value Value::Tuple(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::kTuple;
  v.items_ = std::move(items);
  return v;
}

Value Value::Dict(std::vector<Entry> entries) {
  Value v;
  v.kind_ = Kind::kDict;
  v.entries_ = std::move(entries);
  return v;
}

Value Value::OrderedDict(std::vector<Entry> entries) {
  Value v = Dict(std::move(entries));
  v.ordered_ = true;
  return v;
}

const char* Value::KindName(Kind kind) {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kTensor:
      return "Tensor";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
  }
  return "?";
}

bool Value::as_bool() const { return (is_bool() || is_int()) && int_ != 0; }

int64_t Value::as_int() const { return is_bool() || is_int() ? int_ : 0; }

double Value::as_float() const {
  if (is_float()) return float_;
  if (is_int() || is_bool()) return static_cast<double>(int_);
  return 0;
}

const std::string& Value::as_string() const {
  return is_string() || is_bytes() ? string_ : EmptyString();
}

const at::Tensor& Value::tensor() const { return is_tensor() ? tensor_ : UndefinedTensor(); }

const std::vector<Value>& Value::items() const { return items_; }

std::vector<Value>& Value::mutable_items() { return items_; }

Value& Value::Append(Value item) {
  items_.push_back(std::move(item));
  return items_.back();
}

const std::vector<Value::Entry>& Value::entries() const { return entries_; }

std::vector<Value::Entry>& Value::mutable_entries() { return entries_; }

const Value* Value::Find(absl::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key.is_string() && entry.key.string_ == key) return &entry.value;
  }
  return nullptr;
}

Value* Value::Find(absl::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->Find(key));
}

const Value* Value::Find(int64_t key) const {
  for (const Entry& entry : entries_) {
    if ((entry.key.is_int() || entry.key.is_bool()) && entry.key.int_ == key) return &entry.value;
  }
  return nullptr;
}

Value* Value::Find(int64_t key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->Find(key));
}

Value& Value::Set(Value key, Value value) {
  for (Entry& entry : entries_) {
    if (KeyEquals(entry.key, key)) {
      entry.value = std::move(value);
      return entry.value;
    }
  }
  entries_.push_back({std::move(key), std::move(value)});
  return entries_.back().value;
}

Value& Value::Set(absl::string_view key, Value value) {
  return Set(String(std::string(key)), std::move(value));
}

size_t Value::size() const {
  if (is_list() || is_tuple()) return items_.size();
  if (is_dict()) return entries_.size();
  return 0;
}

void Value::set_dict_state(Value state) {
  dict_state_ = std::make_shared<const Value>(std::move(state));
}

std::string Value::DebugString() const {
  std::string out;
  AppendDebugString(*this, 0, &out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

namespace {

using internal::StorageId;
using internal::StorageRef;
using internal::StorageResolver;
using internal::Unpickler;

constexpr absl::string_view kZipMagic("PK\x03\x04", 4);

// A storage key cut to a length fit for an error message.
std::string Clip(absl::string_view key) {
  return key.size() <= 100 ? std::string(key) : absl::StrCat(key.substr(0, 100), "...");
}

// The first line of a c10::Error message (later lines are C++ context).
std::string FirstLine(const char* message) {
  absl::string_view text(message);
  return std::string(text.substr(0, text.find('\n')));
}

// Bytes for `numel` elements of `dtype`, or -1 past 2^62.
int64_t StorageBytes(int64_t numel, at::ScalarType dtype) {
  const int64_t element_size = static_cast<int64_t>(c10::elementSize(dtype));
  if (numel < 0 || numel > (int64_t{1} << 62) / element_size) return -1;
  return numel * element_size;
}

// PyTorchStreamReader's view of the input bytes, bounds-checked (miniz asks for whatever the
// archive's headers say).
class StringViewReadAdapter : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit StringViewReadAdapter(absl::string_view data) : data_(data) {}
  size_t size() const override { return data_.size(); }
  size_t read(uint64_t pos, void* buf, size_t n, const char* what) const override {
    (void)what;
    if (pos >= data_.size() || n == 0) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, data_.size() - pos));
    std::memcpy(buf, data_.data() + pos, n);
    return n;
  }

 private:
  absl::string_view data_;
};

// Whether the end of central directory record is where a zip reader looks for it. Checked
// before PyTorchStreamReader, whose failure costs a c10::Error with a backtrace.
bool HasEndOfCentralDirectory(absl::string_view bytes) {
  constexpr size_t kRecordSize = 22;                   // without the trailing comment
  constexpr size_t kMaxSearch = kRecordSize + 0xFFFF;  // the comment is at most 64 KiB
  if (bytes.size() < kRecordSize) return false;
  const size_t first = bytes.size() > kMaxSearch ? bytes.size() - kMaxSearch : 0;
  for (size_t at = bytes.size() - kRecordSize + 1; at-- > first;) {
    if (bytes.substr(at, 4) == absl::string_view("PK\x05\x06", 4)) return true;
  }
  return false;
}

absl::StatusOr<Value> ParseZip(absl::string_view bytes, absl::string_view source) {
  using caffe2::serialize::PyTorchStreamReader;
  if (!HasEndOfCentralDirectory(bytes)) {
    return absl::DataLossError(absl::StrCat(
        source, ": corrupt zip archive: no end of central directory record (truncated file?)"));
  }
  std::unique_ptr<PyTorchStreamReader> reader;
  try {
    reader = std::make_unique<PyTorchStreamReader>(std::make_shared<StringViewReadAdapter>(bytes));
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat(source, ": corrupt zip archive: ", FirstLine(e.what_without_backtrace())));
  }
  // Reads a whole record; errors name it (but not the file).
  auto get_record = [&](const std::string& name) -> absl::StatusOr<std::pair<at::DataPtr, size_t>> {
    try {
      if (!reader->hasRecord(name)) {
        return absl::DataLossError(absl::StrCat("zip archive has no ", Clip(name), " record"));
      }
      auto [data, size] = reader->getRecord(name);
      return std::make_pair(std::move(data), size);
    } catch (const c10::Error& e) {
      return absl::DataLossError(absl::StrCat("cannot read record ", Clip(name), ": ",
                                              FirstLine(e.what_without_backtrace())));
    }
  };
  auto with_source = [&](const absl::Status& status) {
    return absl::Status(status.code(), absl::StrCat(source, ": ", status.message()));
  };

  bool has_byteorder = false;
  try {
    has_byteorder = reader->hasRecord("byteorder");
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat(source, ": corrupt zip archive: ", FirstLine(e.what_without_backtrace())));
  }
  if (has_byteorder) {
    auto record = get_record("byteorder");
    if (!record.ok()) return with_source(record.status());
    const absl::string_view order(static_cast<const char*>(record->first.get()), record->second);
    if (order != "little") {
      return absl::DataLossError(absl::StrCat(source, ": byteorder '", order.substr(0, 16),
                                              "' is not supported (only little-endian files)"));
    }
  }
  auto pickle_record = get_record("data.pkl");
  if (!pickle_record.ok()) return with_source(pickle_record.status());
  const absl::string_view pickle(static_cast<const char*>(pickle_record->first.get()),
                                 pickle_record->second);

  // Storages by key; each record is read once and shared by every tensor that names it.
  std::unordered_map<std::string, StorageRef> loaded;
  const StorageResolver resolver = [&](const StorageId& id) -> absl::StatusOr<StorageRef> {
    if (id.fields != 5) {
      return absl::DataLossError(absl::StrCat("storage persistent id has ", id.fields,
                                              " fields, expected 5 in a zip file"));
    }
    auto it = loaded.find(id.key);
    if (it != loaded.end()) {
      if (it->second.dtype != id.dtype) {
        return absl::DataLossError(absl::StrCat("storage '", Clip(id.key), "' is used as ",
                                                c10::toString(it->second.dtype), " and as ",
                                                c10::toString(id.dtype)));
      }
      return it->second;
    }
    const int64_t nbytes = StorageBytes(id.numel, id.dtype);
    if (nbytes < 0)
      return absl::DataLossError(absl::StrCat("storage '", Clip(id.key), "' is too large"));
    const std::string name = absl::StrCat("data/", id.key);
    // (The unpickler adds the file name and offset to errors.)
    absl::StatusOr<std::pair<at::DataPtr, size_t>> record = get_record(name);
    if (!record.ok()) return record.status();
    if (record->second < static_cast<size_t>(nbytes)) {
      return absl::DataLossError(absl::StrCat("record ", Clip(name), " has ", record->second,
                                              " bytes, but its ", id.type_name, " of ", id.numel,
                                              " elements needs ", nbytes));
    }
    StorageRef ref;
    ref.storage = c10::Storage(c10::Storage::use_byte_size_t(), static_cast<int64_t>(nbytes),
                               std::move(record->first), /*allocator=*/nullptr,
                               /*resizable=*/false);
    ref.dtype = id.dtype;
    ref.numel = id.numel;
    loaded.emplace(id.key, ref);
    return ref;
  };

  Unpickler unpickler(pickle, 0, absl::StrCat(source, ": data.pkl"), &resolver);
  MMDET_ASSIGN_OR_RETURN(const internal::Obj* root, unpickler.Load());
  return unpickler.ToValue(root);
}

// The legacy format's first pickle: the int 0x1950a86a20f9469cfc6c.
bool IsLegacyMagic(const internal::Obj* obj) {
  static constexpr unsigned char kMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                             0x20, 0x6a, 0xa8, 0x50, 0x19};
  if (obj->kind != internal::Obj::Kind::kBigInt) return false;
  absl::string_view le = obj->s;
  while (le.size() > sizeof(kMagic) && le.back() == '\0') le.remove_suffix(1);
  return le.size() == sizeof(kMagic) && std::memcmp(le.data(), kMagic, sizeof(kMagic)) == 0;
}

absl::StatusOr<Value> ParseLegacy(absl::string_view bytes, absl::string_view source) {
  const std::string context = absl::StrCat(source, ":");
  size_t pos = 0;
  {
    Unpickler magic(bytes, pos, context, nullptr);
    absl::StatusOr<const internal::Obj*> obj = magic.Load();
    if (!obj.ok() || !IsLegacyMagic(*obj)) {
      return absl::DataLossError(absl::StrCat(
          source,
          ": not a torch.save file (neither a zip archive nor a legacy stream starting "
          "with the magic number)"));
    }
    pos = magic.end();
  }
  {
    Unpickler version(bytes, pos, context, nullptr);
    MMDET_ASSIGN_OR_RETURN(const internal::Obj* obj, version.Load());
    MMDET_ASSIGN_OR_RETURN(Value v, version.ToValue(obj));
    if (!v.is_int() || v.as_int() != 1001) {
      return absl::DataLossError(absl::StrCat(source, ": offset ", pos,
                                              ": unsupported legacy protocol version ",
                                              v.DebugString().substr(0, 40), " (expected 1001)"));
    }
    pos = version.end();
  }
  {
    Unpickler sys_info(bytes, pos, context, nullptr);
    MMDET_ASSIGN_OR_RETURN(const internal::Obj* obj, sys_info.Load());
    MMDET_ASSIGN_OR_RETURN(Value v, sys_info.ToValue(obj));
    const Value* little_endian = v.Find("little_endian");
    if (!v.is_dict() || (little_endian != nullptr && !little_endian->as_bool())) {
      return absl::DataLossError(absl::StrCat(
          source, ": offset ", pos,
          ": sys_info is not a dict for a little-endian machine (big-endian files are not "
          "supported)"));
    }
    pos = sys_info.end();
  }

  // Storages are allocated when the pickle first names them and filled from the stream that
  // follows. Their total size cannot exceed the file's, which bounds the allocation.
  struct RootStorage {
    c10::Storage storage;
    char* data = nullptr;
    at::ScalarType dtype = at::kFloat;
    int64_t numel = 0;
    bool filled = false;
  };
  std::unordered_map<std::string, RootStorage> roots;
  std::unordered_map<std::string, StorageRef> views;
  int64_t bytes_left = static_cast<int64_t>(bytes.size());
  const StorageResolver resolver = [&](const StorageId& id) -> absl::StatusOr<StorageRef> {
    auto it = roots.find(id.key);
    if (it == roots.end()) {
      const int64_t nbytes = StorageBytes(id.numel, id.dtype);
      if (nbytes < 0 || nbytes > bytes_left) {
        return absl::DataLossError(absl::StrCat("storage '", Clip(id.key), "' of ", id.numel,
                                                " elements is larger than the file"));
      }
      bytes_left -= nbytes;
      RootStorage root;
      at::DataPtr data = c10::GetCPUAllocator()->allocate(static_cast<size_t>(nbytes));
      root.data = static_cast<char*>(data.get());
      root.storage = c10::Storage(c10::Storage::use_byte_size_t(), nbytes, std::move(data),
                                  /*allocator=*/nullptr, /*resizable=*/false);
      root.dtype = id.dtype;
      root.numel = id.numel;
      it = roots.emplace(id.key, std::move(root)).first;
    } else if (it->second.dtype != id.dtype) {
      return absl::DataLossError(absl::StrCat("storage '", Clip(id.key), "' is used as ",
                                              c10::toString(it->second.dtype), " and as ",
                                              c10::toString(id.dtype)));
    }
    const RootStorage& root = it->second;
    StorageRef ref;
    ref.storage = root.storage;
    ref.dtype = root.dtype;
    ref.numel = root.numel;
    if (!id.has_view) return ref;
    // A view of the root (PyTorch < 0.4 storage slicing), cached under its own key.
    auto view = views.find(id.view_key);
    if (view != views.end()) return view->second;
    if (id.view_offset > root.numel || id.view_numel > root.numel - id.view_offset) {
      return absl::DataLossError(absl::StrCat(
          "storage view '", Clip(id.view_key), "' [", id.view_offset, ", +", id.view_numel,
          ") is out of bounds for storage '", id.key, "' of ", root.numel, " elements"));
    }
    ref.offset = id.view_offset;
    ref.numel = id.view_numel;
    views.emplace(id.view_key, ref);
    return ref;
  };

  Unpickler main(bytes, pos, context, &resolver);
  MMDET_ASSIGN_OR_RETURN(const internal::Obj* root_obj, main.Load());
  pos = main.end();

  std::vector<std::string> keys;
  {
    Unpickler key_list(bytes, pos, context, nullptr);
    MMDET_ASSIGN_OR_RETURN(const internal::Obj* obj, key_list.Load());
    MMDET_ASSIGN_OR_RETURN(Value v, key_list.ToValue(obj));
    if (!v.is_list()) {
      return absl::DataLossError(absl::StrCat(source, ": offset ", pos,
                                              ": the storage key list is a ",
                                              Value::KindName(v.kind()), ", not a list"));
    }
    for (const Value& key : v.items()) {
      if (!key.is_string()) {
        return absl::DataLossError(
            absl::StrCat(source, ": offset ", pos, ": a storage key is not a str"));
      }
      keys.push_back(key.as_string());
    }
    pos = key_list.end();
  }

  // Each storage: int64 element count, then the raw little-endian elements.
  for (const std::string& key : keys) {
    auto it = roots.find(key);
    if (it == roots.end()) {
      return absl::DataLossError(absl::StrCat(source, ": offset ", pos, ": storage '", Clip(key),
                                              "' is not used by the pickled object"));
    }
    RootStorage& root = it->second;
    if (bytes.size() - pos < 8) {
      return absl::DataLossError(absl::StrCat(
          source, ": offset ", pos, ": truncated file (size of storage '", Clip(key), "')"));
    }
    uint64_t count = 0;
    for (int k = 7; k >= 0; --k) count = (count << 8) | static_cast<unsigned char>(bytes[pos + k]);
    if (count != static_cast<uint64_t>(root.numel)) {
      return absl::DataLossError(absl::StrCat(source, ": offset ", pos, ": storage '", Clip(key),
                                              "' has ", count, " elements in the file but ",
                                              root.numel, " in the pickle"));
    }
    pos += 8;
    const size_t nbytes = static_cast<size_t>(root.numel) * c10::elementSize(root.dtype);
    if (bytes.size() - pos < nbytes) {
      return absl::DataLossError(absl::StrCat(source, ": offset ", pos,
                                              ": truncated file (storage '", Clip(key), "' needs ",
                                              nbytes, " bytes, ", bytes.size() - pos, " left)"));
    }
    if (nbytes > 0) std::memcpy(root.data, bytes.data() + pos, nbytes);
    root.filled = true;
    pos += nbytes;
  }
  for (const auto& [key, root] : roots) {
    if (!root.filled) {
      return absl::DataLossError(
          absl::StrCat(source, ": storage '", Clip(key), "' has no data in the file"));
    }
  }
  return main.ToValue(root_obj);
}

}  // namespace

namespace {

// Runs a parser, turning exceptions into DataLoss / ResourceExhausted naming `source`.
template <typename Fn>
absl::StatusOr<Value> ParseGuarded(absl::string_view bytes, absl::string_view source, Fn parse) {
  if (bytes.empty()) return absl::DataLossError(absl::StrCat(source, ": empty file"));
  try {
    return parse();
  } catch (const c10::Error& e) {
    return absl::DataLossError(absl::StrCat(source, ": ", FirstLine(e.what_without_backtrace())));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat(source, ": out of memory while parsing"));
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(source, ": ", e.what()));
  }
}

}  // namespace

absl::StatusOr<Value> ParsePth(absl::string_view bytes, absl::string_view source) {
  return ParseGuarded(bytes, source, [&]() -> absl::StatusOr<Value> {
    if (absl::StartsWith(bytes, kZipMagic)) return ParseZip(bytes, source);
    return ParseLegacy(bytes, source);
  });
}

absl::StatusOr<Value> ParsePickle(absl::string_view bytes, absl::string_view source) {
  return ParseGuarded(bytes, source, [&]() -> absl::StatusOr<Value> {
    internal::Unpickler unpickler(bytes, 0, std::string(source), nullptr);
    MMDET_ASSIGN_OR_RETURN(const internal::Obj* obj, unpickler.Load());
    return unpickler.ToValue(obj);
  });
}

absl::StatusOr<Value> LoadPickle(const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return ParsePickle(bytes, path);
}

absl::StatusOr<std::string> SerializePickle(const Value& value) {
  std::vector<internal::SavedStorage> unused;
  try {
    return internal::PickleValue(value, &unused, /*numpy_arrays=*/true);
  } catch (const c10::Error& e) {
    return absl::InternalError(FirstLine(e.what_without_backtrace()));
  }
}

absl::Status SavePickle(const std::string& path, const Value& value) {
  MMDET_ASSIGN_OR_RETURN(std::string bytes, SerializePickle(value));
  return WriteFileAtomically(path, bytes);
}

absl::StatusOr<Value> LoadPth(const std::string& path) {
  MMDET_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return ParsePth(bytes, path);
}

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

absl::StatusOr<std::string> SerializeToZip(const Value& value) {
  std::vector<internal::SavedStorage> storages;
  MMDET_ASSIGN_OR_RETURN(std::string pickle, internal::PickleValue(value, &storages));
  size_t total = pickle.size() + 4096;
  for (const internal::SavedStorage& s : storages) total += s.nbytes + 256;
  std::string out;
  out.reserve(total);
  caffe2::serialize::PyTorchStreamWriter writer([&out](const void* data, size_t n) -> size_t {
    if (data == nullptr) {
      out.append(n, '\0');
    } else {
      out.append(static_cast<const char*>(data), n);
    }
    return n;
  });
  writer.writeRecord("data.pkl", pickle.data(), pickle.size());
  writer.writeRecord("byteorder", "little", 6);
  for (const internal::SavedStorage& s : storages) {
    writer.writeRecord(absl::StrCat("data/", s.key), s.storage.data(), s.nbytes);
  }
  writer.writeEndOfFile();  // also writes the "version" record ("3\n")
  return out;
}

}  // namespace

absl::StatusOr<std::string> SerializePth(const Value& value) {
  try {
    return SerializeToZip(value);
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("writing the zip archive: ", FirstLine(e.what_without_backtrace())));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("out of memory while serializing");
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("writing the zip archive: ", e.what()));
  }
}

absl::Status SavePth(const std::string& path, const Value& value) {
  absl::StatusOr<std::string> bytes = SerializePth(value);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(), absl::StrCat(path, ": ", bytes.status().message()));
  }
  return WriteFileAtomically(path, *bytes);
}

}  // namespace mmdet::pth
