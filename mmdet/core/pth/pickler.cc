#include "mmdet/core/pth/pickler.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mmdet/core/pth/unpickler.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::pth::internal {
namespace {

constexpr size_t kBatchSize = 1000;  // pickle.py's _BATCHSIZE for APPENDS / SETITEMS

// Errors start with ": what"; each container on the way up prepends its element, and
// PickleValue prepends "value".
absl::Status ElementError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(": ", what));
}

absl::Status Prepend(const absl::Status& status, absl::string_view element) {
  if (status.ok() || status.code() != absl::StatusCode::kInvalidArgument) return status;
  return absl::InvalidArgumentError(absl::StrCat(element, status.message()));
}

class Pickler {
 public:
  // With `numpy_arrays`, tensors are written as numpy arrays (no torch needed to load).
  explicit Pickler(std::vector<SavedStorage>* storages, bool numpy_arrays = false)
      : storages_(storages), numpy_arrays_(numpy_arrays) {}

  std::string& out() { return out_; }

  void Op(char op) { out_.push_back(op); }

  void Le(uint64_t v, int n) {
    for (int k = 0; k < n; ++k) out_.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
  }

  void Int(int64_t v) {
    if (v >= 0 && v < 256) {
      Op('K');
      Le(static_cast<uint64_t>(v), 1);
    } else if (v >= 0 && v < 65536) {
      Op('M');
      Le(static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      Op('J');
      Le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
      // LONG1: the shortest little-endian two's complement, as pickle.encode_long writes it.
      unsigned char bytes[8];
      for (int k = 0; k < 8; ++k)
        bytes[k] = static_cast<unsigned char>(static_cast<uint64_t>(v) >> (8 * k));
      int n = 8;
      while (n > 1 && ((bytes[n - 1] == 0x00 && (bytes[n - 2] & 0x80) == 0) ||
                       (bytes[n - 1] == 0xFF && (bytes[n - 2] & 0x80) != 0))) {
        --n;
      }
      Op('\x8a');
      Le(static_cast<uint64_t>(n), 1);
      out_.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
    }
  }

  void Float(double v) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(bits));
    Op('G');
    for (int k = 7; k >= 0; --k) out_.push_back(static_cast<char>((bits >> (8 * k)) & 0xFF));
  }

  absl::Status Str(absl::string_view text) {
    if (text.size() > UINT32_MAX) return ElementError("str longer than 4 GiB");
    Op('X');
    Le(text.size(), 4);
    out_.append(text.data(), text.size());
    return absl::OkStatus();
  }

  void Bool(bool v) { Op(v ? '\x88' : '\x89'); }

  // GLOBAL module.name, memoized.
  void Global(const char* module, const char* name) {
    const std::string full = absl::StrCat(module, "\n", name, "\n");
    auto it = memo_.find(full);
    if (it != memo_.end()) {
      if (it->second < 256) {
        Op('h');
        Le(it->second, 1);
      } else {
        Op('j');
        Le(it->second, 4);
      }
      return;
    }
    Op('c');
    out_.append(full);
    const uint32_t index = static_cast<uint32_t>(memo_.size());
    memo_.emplace(full, index);
    if (index < 256) {
      Op('q');
      Le(index, 1);
    } else {
      Op('r');
      Le(index, 4);
    }
  }

  void EmptyOrderedDict() {
    Global("collections", "OrderedDict");
    Op(')');
    Op('R');
  }

  void IntTuple(at::IntArrayRef values) {
    if (values.empty()) {
      Op(')');
      return;
    }
    if (values.size() > 3) Op('(');
    for (int64_t v : values) Int(v);
    static const char kTupleOps[] = {'\0', '\x85', '\x86', '\x87'};
    Op(values.size() > 3 ? 't' : kTupleOps[values.size()]);
  }

  absl::Status Write(const Value& value, int depth);

 private:
  absl::Status WriteBytes(const std::string& bytes);
  absl::Status WriteTensor(const at::Tensor& tensor);
  absl::Status WriteNumpyArray(const at::Tensor& tensor);
  absl::Status WriteItems(const Value& value, int depth);
  absl::Status WriteDict(const Value& value, int depth);

  std::string out_;
  std::vector<SavedStorage>* storages_;
  bool numpy_arrays_ = false;
  std::unordered_map<std::string, uint32_t> memo_;
  // (storage, dtype) -> index in storages_
  std::map<std::pair<const c10::StorageImpl*, int>, size_t> storage_index_;
};

absl::Status Pickler::WriteBytes(const std::string& bytes) {
  // Protocol 2 has no bytes opcode: pickle writes _codecs.encode(<latin-1 text>, 'latin1').
  std::string text;
  text.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      text.push_back(static_cast<char>(c));
    } else {
      text.push_back(static_cast<char>(0xC0 | (c >> 6)));
      text.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  Global("_codecs", "encode");
  MMDET_RETURN_IF_ERROR(Str(text));
  MMDET_RETURN_IF_ERROR(Str("latin1"));
  Op('\x86');  // TUPLE2
  Op('R');
  return absl::OkStatus();
}

absl::Status Pickler::WriteNumpyArray(const at::Tensor& input) {
  // numpy's ndarray.__reduce__: _reconstruct(ndarray, (0,), b'b'), then BUILD with
  // (1, shape, dtype, False, data); dtype is numpy.dtype(code, False, True) with BUILD
  // (3, byte order, None, None, None, -1, -1, 0).
  const char* code = nullptr;
  switch (input.scalar_type()) {
    case at::kFloat: code = "f4"; break;
    case at::kDouble: code = "f8"; break;
    case at::kHalf: code = "f2"; break;
    case at::kLong: code = "i8"; break;
    case at::kInt: code = "i4"; break;
    case at::kShort: code = "i2"; break;
    case at::kChar: code = "i1"; break;
    case at::kByte: code = "u1"; break;
    case at::kBool: code = "b1"; break;
    default:
      return ElementError(absl::StrCat("cannot save a tensor of dtype ",
                                       c10::toString(input.scalar_type()), " as a numpy array"));
  }
  const at::Tensor t = input.cpu().contiguous();
  Global("numpy.core.multiarray", "_reconstruct");
  Global("numpy", "ndarray");
  IntTuple(std::vector<int64_t>{0});
  MMDET_RETURN_IF_ERROR(WriteBytes("b"));
  Op('\x87');  // TUPLE3
  Op('R');
  Op('(');
  Int(1);
  IntTuple(t.sizes());
  Global("numpy", "dtype");
  MMDET_RETURN_IF_ERROR(Str(code));
  Bool(false);
  Bool(true);
  Op('\x87');
  Op('R');
  Op('(');
  Int(3);
  const bool one_byte = c10::elementSize(t.scalar_type()) == 1;
  MMDET_RETURN_IF_ERROR(Str(one_byte ? "|" : "<"));
  Op('N');
  Op('N');
  Op('N');
  Int(-1);
  Int(-1);
  Int(0);
  Op('t');
  Op('b');  // BUILD the dtype
  Bool(false);
  MMDET_RETURN_IF_ERROR(
      WriteBytes(std::string(static_cast<const char*>(t.data_ptr()), t.nbytes())));
  Op('t');
  Op('b');  // BUILD the array
  return absl::OkStatus();
}

absl::Status Pickler::WriteTensor(const at::Tensor& input) {
  if (!input.defined()) return ElementError("cannot save an undefined tensor");
  if (numpy_arrays_) return WriteNumpyArray(input);
  at::Tensor tensor = input;
  try {
    if (tensor.layout() != at::kStrided) {
      return ElementError(
          absl::StrCat("cannot save a tensor with layout ", c10::toString(tensor.layout())));
    }
    if (tensor.is_quantized()) return ElementError("cannot save a quantized tensor");
    const char* storage_class = StorageClassName(tensor.scalar_type());
    if (storage_class == nullptr) {
      return ElementError(
          absl::StrCat("cannot save a tensor of dtype ", c10::toString(tensor.scalar_type())));
    }
    if (!tensor.device().is_cpu()) tensor = tensor.cpu();
    if (tensor.is_neg()) tensor = tensor.resolve_neg();
    if (!tensor.has_storage()) return ElementError("cannot save a tensor without storage");

    const c10::Storage& storage = tensor.storage();
    const int64_t element_size = static_cast<int64_t>(tensor.element_size());
    const int64_t storage_numel = static_cast<int64_t>(storage.nbytes()) / element_size;
    if (tensor.numel() > 0) {
      int64_t last = tensor.storage_offset();
      for (int64_t d = 0; d < tensor.dim(); ++d) {
        if (tensor.stride(d) < 0) return ElementError("cannot save a tensor with negative strides");
        last += (tensor.size(d) - 1) * tensor.stride(d);
      }
      if (last >= storage_numel) return ElementError("tensor reaches past the end of its storage");
    }
    const auto id =
        std::make_pair(storage.unsafeGetStorageImpl(), static_cast<int>(tensor.scalar_type()));
    auto [it, inserted] = storage_index_.emplace(id, storages_->size());
    if (inserted) {
      SavedStorage saved;
      saved.key = std::to_string(storages_->size());
      saved.storage = storage;
      saved.nbytes = static_cast<size_t>(storage_numel * element_size);
      storages_->push_back(std::move(saved));
    }
    const SavedStorage& saved = (*storages_)[it->second];

    Global("torch._utils", "_rebuild_tensor_v2");
    Op('(');
    // The persistent id ('storage', torch.<T>Storage, key, 'cpu', numel).
    Op('(');
    MMDET_RETURN_IF_ERROR(Str("storage"));
    Global("torch", storage_class);
    MMDET_RETURN_IF_ERROR(Str(saved.key));
    MMDET_RETURN_IF_ERROR(Str("cpu"));
    Int(storage_numel);
    Op('t');
    Op('Q');  // BINPERSID
    Int(tensor.storage_offset());
    IntTuple(tensor.sizes());
    IntTuple(tensor.strides());
    Bool(tensor.requires_grad());
    EmptyOrderedDict();  // backward_hooks
    Op('t');
    Op('R');
  } catch (const c10::Error& e) {
    return ElementError(absl::StrCat("cannot save tensor: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

absl::Status Pickler::WriteItems(const Value& value, int depth) {
  const std::vector<Value>& items = value.items();
  auto write_item = [&](size_t i) -> absl::Status {
    absl::Status status = Write(items[i], depth + 1);
    if (!status.ok()) return Prepend(status, absl::StrCat("[", i, "]"));
    return status;
  };
  if (value.is_tuple()) {
    if (items.empty()) {
      Op(')');
      return absl::OkStatus();
    }
    if (items.size() > 3) Op('(');
    for (size_t i = 0; i < items.size(); ++i) MMDET_RETURN_IF_ERROR(write_item(i));
    static const char kTupleOps[] = {'\0', '\x85', '\x86', '\x87'};
    Op(items.size() > 3 ? 't' : kTupleOps[items.size()]);
    return absl::OkStatus();
  }
  Op(']');
  for (size_t start = 0; start < items.size(); start += kBatchSize) {
    const size_t stop = std::min(items.size(), start + kBatchSize);
    if (stop - start == 1) {
      MMDET_RETURN_IF_ERROR(write_item(start));
      Op('a');
      continue;
    }
    Op('(');
    for (size_t i = start; i < stop; ++i) MMDET_RETURN_IF_ERROR(write_item(i));
    Op('e');
  }
  return absl::OkStatus();
}

absl::Status Pickler::WriteDict(const Value& value, int depth) {
  if (value.is_ordered_dict()) {
    EmptyOrderedDict();
  } else {
    Op('}');
  }
  const std::vector<Value::Entry>& entries = value.entries();
  auto write_entry = [&](size_t i) -> absl::Status {
    absl::Status status = Write(entries[i].key, depth + 1);
    if (status.ok()) status = Write(entries[i].value, depth + 1);
    if (!status.ok()) {
      std::string key = entries[i].key.DebugString();
      if (key.size() > 100) key = key.substr(0, 100) + "...";
      return Prepend(status, absl::StrCat("[", key, "]"));
    }
    return status;
  };
  for (size_t start = 0; start < entries.size(); start += kBatchSize) {
    const size_t stop = std::min(entries.size(), start + kBatchSize);
    if (stop - start == 1) {
      MMDET_RETURN_IF_ERROR(write_entry(start));
      Op('s');
      continue;
    }
    Op('(');
    for (size_t i = start; i < stop; ++i) MMDET_RETURN_IF_ERROR(write_entry(i));
    Op('u');
  }
  if (const Value* state = value.dict_state()) {
    if (!value.is_ordered_dict()) {
      return ElementError("a plain dict cannot have attributes (dict_state); use OrderedDict");
    }
    if (!state->is_dict()) return ElementError("dict_state is not a dict");
    if (state->size() > 0) {
      MMDET_RETURN_IF_ERROR(Prepend(Write(*state, depth + 1), ".__dict__"));
      Op('b');  // BUILD: inst.__dict__.update(state)
    }
  }
  return absl::OkStatus();
}

absl::Status Pickler::Write(const Value& value, int depth) {
  if (depth > kMaxDepth) {
    return ElementError(absl::StrCat("nested deeper than ", kMaxDepth));
  }
  switch (value.kind()) {
    case Value::Kind::kNone:
      Op('N');
      return absl::OkStatus();
    case Value::Kind::kBool:
      Bool(value.as_bool());
      return absl::OkStatus();
    case Value::Kind::kInt:
      Int(value.as_int());
      return absl::OkStatus();
    case Value::Kind::kFloat:
      Float(value.as_float());
      return absl::OkStatus();
    case Value::Kind::kString:
      return Str(value.as_string());
    case Value::Kind::kBytes:
      return WriteBytes(value.as_string());
    case Value::Kind::kTensor:
      return WriteTensor(value.tensor());
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return WriteItems(value, depth);
    case Value::Kind::kDict:
      return WriteDict(value, depth);
  }
  return ElementError("unknown value kind");
}

}  // namespace

const char* StorageClassName(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat:
      return "FloatStorage";
    case at::kDouble:
      return "DoubleStorage";
    case at::kHalf:
      return "HalfStorage";
    case at::kBFloat16:
      return "BFloat16Storage";
    case at::kLong:
      return "LongStorage";
    case at::kInt:
      return "IntStorage";
    case at::kShort:
      return "ShortStorage";
    case at::kChar:
      return "CharStorage";
    case at::kByte:
      return "ByteStorage";
    case at::kBool:
      return "BoolStorage";
    default:
      return nullptr;
  }
}

absl::StatusOr<std::string> PickleValue(const Value& value, std::vector<SavedStorage>* storages,
                                        bool numpy_arrays) {
  Pickler pickler(storages, numpy_arrays);
  pickler.Op('\x80');  // PROTO 2
  pickler.Le(2, 1);
  absl::Status status = pickler.Write(value, 0);
  if (!status.ok()) return Prepend(status, "value");
  pickler.Op('.');  // STOP
  return std::move(pickler.out());
}

}  // namespace mmdet::pth::internal
