#include "mmdet/core/pth/unpickler.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <c10/util/Half.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mmdet/core/status_macros.h"

namespace mmdet::pth::internal {
namespace {

// Pickle opcodes (Python's Lib/pickle.py names).
enum : unsigned char {
  kMark = '(',
  kStop = '.',
  kPop = '0',
  kPopMark = '1',
  kDup = '2',
  kFloat = 'F',
  kInt = 'I',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kLong = 'L',
  kBinInt2 = 'M',
  kNone = 'N',
  kPersId = 'P',
  kBinPersId = 'Q',
  kReduce = 'R',
  kString = 'S',
  kBinString = 'T',
  kShortBinString = 'U',
  kUnicode = 'V',
  kBinUnicode = 'X',
  kAppend = 'a',
  kBuild = 'b',
  kGlobal = 'c',
  kDict = 'd',
  kEmptyDict = '}',
  kAppends = 'e',
  kGet = 'g',
  kBinGet = 'h',
  kInst = 'i',
  kLongBinGet = 'j',
  kList = 'l',
  kEmptyList = ']',
  kObj = 'o',
  kPut = 'p',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kEmptyTuple = ')',
  kSetItems = 'u',
  kBinFloat = 'G',
  kProto = 0x80,
  kNewObj = 0x81,
  kExt1 = 0x82,
  kExt2 = 0x83,
  kExt4 = 0x84,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kLong4 = 0x8b,
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e,
  kEmptySet = 0x8f,
  kAddItems = 0x90,
  kFrozenSet = 0x91,
  kNewObjEx = 0x92,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
  kByteArray8 = 0x96,
  kNextBuffer = 0x97,
  kReadOnlyBuffer = 0x98,
};

// The opcode's name for error messages, nullptr for bytes that are no opcode.
const char* OpName(unsigned char op) {
  struct Named {
    unsigned char op;
    const char* name;
  };
  // clang-format off
  static constexpr Named kNames[] = {
      {kMark, "MARK"}, {kStop, "STOP"}, {kPop, "POP"}, {kPopMark, "POP_MARK"}, {kDup, "DUP"},
      {kFloat, "FLOAT"}, {kInt, "INT"}, {kBinInt, "BININT"}, {kBinInt1, "BININT1"}, {kLong, "LONG"},
      {kBinInt2, "BININT2"}, {kNone, "NONE"}, {kPersId, "PERSID"}, {kBinPersId, "BINPERSID"},
      {kReduce, "REDUCE"}, {kString, "STRING"}, {kBinString, "BINSTRING"},
      {kShortBinString, "SHORT_BINSTRING"}, {kUnicode, "UNICODE"}, {kBinUnicode, "BINUNICODE"},
      {kAppend, "APPEND"}, {kBuild, "BUILD"}, {kGlobal, "GLOBAL"}, {kDict, "DICT"},
      {kEmptyDict, "EMPTY_DICT"}, {kAppends, "APPENDS"}, {kGet, "GET"}, {kBinGet, "BINGET"},
      {kInst, "INST"}, {kLongBinGet, "LONG_BINGET"}, {kList, "LIST"}, {kEmptyList, "EMPTY_LIST"},
      {kObj, "OBJ"}, {kPut, "PUT"}, {kBinPut, "BINPUT"}, {kLongBinPut, "LONG_BINPUT"},
      {kSetItem, "SETITEM"}, {kTuple, "TUPLE"}, {kEmptyTuple, "EMPTY_TUPLE"},
      {kSetItems, "SETITEMS"}, {kBinFloat, "BINFLOAT"}, {kProto, "PROTO"}, {kNewObj, "NEWOBJ"},
      {kExt1, "EXT1"}, {kExt2, "EXT2"}, {kExt4, "EXT4"}, {kTuple1, "TUPLE1"}, {kTuple2, "TUPLE2"},
      {kTuple3, "TUPLE3"}, {kNewTrue, "NEWTRUE"}, {kNewFalse, "NEWFALSE"}, {kLong1, "LONG1"},
      {kLong4, "LONG4"}, {kBinBytes, "BINBYTES"}, {kShortBinBytes, "SHORT_BINBYTES"},
      {kShortBinUnicode, "SHORT_BINUNICODE"}, {kBinUnicode8, "BINUNICODE8"},
      {kBinBytes8, "BINBYTES8"}, {kEmptySet, "EMPTY_SET"}, {kAddItems, "ADDITEMS"},
      {kFrozenSet, "FROZENSET"}, {kNewObjEx, "NEWOBJ_EX"}, {kStackGlobal, "STACK_GLOBAL"},
      {kMemoize, "MEMOIZE"}, {kFrame, "FRAME"}, {kByteArray8, "BYTEARRAY8"},
      {kNextBuffer, "NEXT_BUFFER"}, {kReadOnlyBuffer, "READONLY_BUFFER"},
  };
  // clang-format on
  static const std::array<const char*, 256> kTable = [] {
    std::array<const char*, 256> table{};
    for (const Named& named : kNames) table[named.op] = named.name;
    return table;
  }();
  return kTable[op];
}

// The globals a checkpoint may name.
enum Global : int64_t {
  kOrderedDict,
  kRebuildTensor,
  kRebuildTensorV2,
  kRebuildParameter,
  kRebuildParameterWithState,
  kRebuildFromTypeV2,
  kTensorClass,
  kParameterClass,
  kCodecsEncode,
  kStorageClass,
  kNumpyDtype,        // the numpy.dtype class
  kNumpyDtypeObject,  // a dtype made by REDUCE numpy.dtype (code in `s`, byte order in `i2`)
  kNumpyScalar,       // numpy.core.multiarray.scalar
  kNumpyReconstruct,  // numpy.core.multiarray._reconstruct
  kNumpyNdarray,      // the numpy.ndarray class
  kBuiltinBytes,      // builtins.bytes (protocol 2 pickles b'' as bytes())
};

// Obj::i of a kTensor made by numpy's _reconstruct, until BUILD gives it its data.
constexpr int64_t kPendingNdarray = 1;

struct StorageClass {
  const char* name;
  at::ScalarType dtype;
};
constexpr StorageClass kStorageClasses[] = {
    {"FloatStorage", at::kFloat},       {"DoubleStorage", at::kDouble}, {"HalfStorage", at::kHalf},
    {"BFloat16Storage", at::kBFloat16}, {"LongStorage", at::kLong},     {"IntStorage", at::kInt},
    {"ShortStorage", at::kShort},       {"CharStorage", at::kChar},     {"ByteStorage", at::kByte},
    {"BoolStorage", at::kBool},
};

constexpr size_t kMaxKeyObjects = 10000;

// `text` cut to a length fit for an error message.
std::string Clip(absl::string_view text) {
  return text.size() <= 100 ? std::string(text) : absl::StrCat(text.substr(0, 100), "...");
}

// Little-endian readers over bytes already bounds-checked.
uint64_t LoadLe(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

const char* KindName(Obj::Kind kind) {
  switch (kind) {
    case Obj::Kind::kNone:
      return "None";
    case Obj::Kind::kBool:
      return "bool";
    case Obj::Kind::kInt:
    case Obj::Kind::kBigInt:
      return "int";
    case Obj::Kind::kFloat:
      return "float";
    case Obj::Kind::kStr:
      return "str";
    case Obj::Kind::kBytes:
      return "bytes";
    case Obj::Kind::kList:
      return "list";
    case Obj::Kind::kTuple:
      return "tuple";
    case Obj::Kind::kDict:
      return "dict";
    case Obj::Kind::kTensor:
      return "Tensor";
    case Obj::Kind::kGlobal:
      return "global";
    case Obj::Kind::kStorage:
      return "storage";
  }
  return "?";
}

// Appends a string that equals another key's exactly when Python's == says the keys are equal
// (for hashable keys: None, bool/int/float, str, bytes, tuples of those, and objects by
// identity). False for unhashable keys (list, dict) and for keys of more than `*budget` objects
// (memoized tuples can nest into exponentially large keys).
bool AppendKeyHash(const Obj* key, int depth, size_t* budget, std::string* out) {
  if (depth > kMaxDepth || *budget == 0) return false;
  --*budget;
  switch (key->kind) {
    case Obj::Kind::kNone:
      out->append("N");
      return true;
    case Obj::Kind::kBool:
    case Obj::Kind::kInt:
      absl::StrAppend(out, "i", key->i, ";");
      return true;
    case Obj::Kind::kFloat: {
      const double f = key->f;
      // 1.0 == 1 in Python, so integral floats hash as ints.
      if (std::isfinite(f) && std::trunc(f) == f && f >= -9.2e18 && f <= 9.2e18) {
        absl::StrAppend(out, "i", static_cast<int64_t>(f), ";");
      } else {
        char bits[sizeof(double)];
        std::memcpy(bits, &f, sizeof(bits));
        out->append("f");
        out->append(bits, sizeof(bits));
      }
      return true;
    }
    case Obj::Kind::kBigInt:
      absl::StrAppend(out, "I", key->s.size(), ":", key->s);
      return true;
    case Obj::Kind::kStr:
      absl::StrAppend(out, "s", key->s.size(), ":", key->s);
      return true;
    case Obj::Kind::kBytes:
      absl::StrAppend(out, "b", key->s.size(), ":", key->s);
      return true;
    case Obj::Kind::kTuple:
      absl::StrAppend(out, "t", key->items.size(), "(");
      for (const Obj* item : key->items) {
        if (!AppendKeyHash(item, depth + 1, budget, out)) return false;
      }
      out->append(")");
      return true;
    case Obj::Kind::kTensor:
    case Obj::Kind::kGlobal:
    case Obj::Kind::kStorage:
      absl::StrAppend(out, "@", reinterpret_cast<uintptr_t>(key), ";");
      return true;
    case Obj::Kind::kList:
    case Obj::Kind::kDict:
      return false;
  }
  return false;
}

// Decodes UTF-8 `text` whose code points are all below 256 into those bytes (what
// _codecs.encode(text, 'latin1') returns). False on invalid UTF-8 or a larger code point.
bool Latin1FromUtf8(absl::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = text[i];
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if ((c & 0xE0) == 0xC0 && i + 1 < text.size()) {
      const unsigned char c2 = text[i + 1];
      if ((c2 & 0xC0) != 0x80) return false;
      const unsigned code = ((c & 0x1Fu) << 6) | (c2 & 0x3Fu);
      if (code < 0x80 || code > 0xFF) return false;
      out->push_back(static_cast<char>(code));
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

bool IsIntLike(const Obj* obj) {
  return obj->kind == Obj::Kind::kInt || obj->kind == Obj::Kind::kBool;
}

}  // namespace

Unpickler::Unpickler(absl::string_view data, size_t start, std::string context,
                     const StorageResolver* resolver)
    : data_(data), pos_(start), context_(std::move(context)), resolver_(resolver) {}

absl::Status Unpickler::Error(size_t offset, absl::string_view what) const {
  return absl::DataLossError(absl::StrCat(context_, " offset ", offset, ": ", what));
}

absl::Status Unpickler::Need(size_t n, const char* op) const {
  const size_t left = pos_ <= data_.size() ? data_.size() - pos_ : 0;
  if (n > left) {
    return Error(op_start_,
                 absl::StrCat("truncated pickle (", op, " needs ", n, " bytes, ", left, " left)"));
  }
  return absl::OkStatus();
}

absl::Status Unpickler::ReadLine(const char* op, absl::string_view* line) {
  const size_t newline = data_.find('\n', pos_);
  if (newline == absl::string_view::npos) {
    return Error(op_start_, absl::StrCat("truncated pickle (", op, " line has no newline)"));
  }
  *line = data_.substr(pos_, newline - pos_);
  pos_ = newline + 1;
  return absl::OkStatus();
}

absl::Status Unpickler::ReadSizedString(size_t length_bytes, const char* op,
                                        absl::string_view* out) {
  MMDET_RETURN_IF_ERROR(Need(length_bytes, op));
  const uint64_t length = LoadLe(data_.data() + pos_, static_cast<int>(length_bytes));
  pos_ += length_bytes;
  MMDET_RETURN_IF_ERROR(Need(length, op));
  *out = data_.substr(pos_, length);
  pos_ += length;
  return absl::OkStatus();
}

Obj* Unpickler::New(Obj::Kind kind) {
  arena_.emplace_back();
  Obj* obj = &arena_.back();
  obj->kind = kind;
  obj->offset = op_start_;
  return obj;
}

absl::Status Unpickler::Push(Obj* obj) {
  stack_.push_back(obj);
  return absl::OkStatus();
}

absl::StatusOr<Obj*> Unpickler::Pop(const char* op) {
  const size_t fence = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= fence) {
    return Error(op_start_, absl::StrCat(op, ": pickle stack underflow"));
  }
  Obj* top = stack_.back();
  stack_.pop_back();
  return top;
}

absl::StatusOr<Obj*> Unpickler::Top(const char* op) {
  const size_t fence = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= fence) {
    return Error(op_start_, absl::StrCat(op, ": pickle stack underflow"));
  }
  return stack_.back();
}

absl::Status Unpickler::PopMark(const char* op, std::vector<Obj*>* items) {
  if (marks_.empty()) return Error(op_start_, absl::StrCat(op, " without a MARK"));
  const size_t mark = marks_.back();
  marks_.pop_back();
  if (items != nullptr) {
    items->assign(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
  }
  stack_.resize(mark);
  return absl::OkStatus();
}

absl::Status Unpickler::PushGlobal(absl::string_view module, absl::string_view name) {
  // Python 2 spellings (what pickle's fix_imports maps).
  if (module == "__builtin__") module = "builtins";
  if (module == "copy_reg") module = "copyreg";
  const std::string full = absl::StrCat(module, ".", name);
  Obj* obj = New(Obj::Kind::kGlobal);
  obj->s = full;
  if (full == "collections.OrderedDict") {
    obj->i = kOrderedDict;
  } else if (full == "torch._utils._rebuild_tensor") {
    obj->i = kRebuildTensor;
  } else if (full == "torch._utils._rebuild_tensor_v2") {
    obj->i = kRebuildTensorV2;
  } else if (full == "torch._utils._rebuild_parameter") {
    obj->i = kRebuildParameter;
  } else if (full == "torch._utils._rebuild_parameter_with_state") {
    obj->i = kRebuildParameterWithState;
  } else if (full == "torch._tensor._rebuild_from_type_v2") {
    obj->i = kRebuildFromTypeV2;
  } else if (full == "torch.Tensor") {
    obj->i = kTensorClass;
  } else if (full == "torch.nn.parameter.Parameter") {
    obj->i = kParameterClass;
  } else if (full == "_codecs.encode") {
    obj->i = kCodecsEncode;
  } else if (full == "numpy.dtype") {
    obj->i = kNumpyDtype;
  } else if (full == "numpy.core.multiarray._reconstruct" ||
             full == "numpy._core.multiarray._reconstruct") {
    // numpy arrays (MMDetection's results.pkl): _reconstruct(ndarray, (0,), b'b') + BUILD.
    obj->i = kNumpyReconstruct;
  } else if (full == "numpy.ndarray") {
    obj->i = kNumpyNdarray;
  } else if (full == "builtins.bytes") {
    obj->i = kBuiltinBytes;
  } else if (full == "numpy.core.multiarray.scalar" || full == "numpy._core.multiarray.scalar") {
    // numpy scalars, e.g. the meta['seed'] MMDetection 2.x writes: loaded as int/float/bool.
    obj->i = kNumpyScalar;
  } else {
    bool found = false;
    if (module == "torch" || module == "torch.cuda") {
      for (const StorageClass& storage_class : kStorageClasses) {
        if (name == storage_class.name) {
          obj->i = kStorageClass;
          obj->storage.dtype = storage_class.dtype;
          found = true;
          break;
        }
      }
    }
    if (!found) return Error(op_start_, absl::StrCat("unsupported global ", Clip(full)));
  }
  return Push(obj);
}

absl::Status Unpickler::PushInt(absl::string_view le) {
  Obj* obj = New(Obj::Kind::kInt);
  if (le.empty()) return Push(obj);  // LONG1 with no bytes is 0
  const bool negative = (static_cast<unsigned char>(le.back()) & 0x80) != 0;
  const size_t n = le.size();
  bool fits = n <= 8;
  if (!fits) {
    // Longer encodings still fit when the extra bytes only extend the sign.
    const unsigned char fill = negative ? 0xFF : 0x00;
    fits = (static_cast<unsigned char>(le[7]) & 0x80) == (fill & 0x80);
    for (size_t k = 8; fits && k < n; ++k) fits = static_cast<unsigned char>(le[k]) == fill;
  }
  if (!fits) {
    obj->kind = Obj::Kind::kBigInt;
    obj->s = std::string(le);
    return Push(obj);
  }
  const int used = static_cast<int>(n < 8 ? n : 8);
  uint64_t v = LoadLe(le.data(), used);
  if (negative && used < 8) v |= ~uint64_t{0} << (8 * used);  // sign-extend
  obj->i = static_cast<int64_t>(v);
  return Push(obj);
}

absl::Status Unpickler::SetItem(Obj* dict, Obj* key, Obj* value, const char* op) {
  if (dict->kind != Obj::Kind::kDict) {
    return Error(op_start_, absl::StrCat(op, " on a ", KindName(dict->kind), ", not a dict"));
  }
  std::string hash;
  size_t budget = kMaxKeyObjects;
  if (!AppendKeyHash(key, 0, &budget, &hash)) {
    return Error(op_start_,
                 budget == 0
                     ? absl::StrCat(op, ": dict key of more than ", kMaxKeyObjects, " objects")
                     : absl::StrCat(op, ": unhashable dict key of type ", KindName(key->kind)));
  }
  auto [it, inserted] = dict->index.emplace(std::move(hash), dict->items.size() / 2);
  if (inserted) {
    dict->items.push_back(key);
    dict->items.push_back(value);
  } else {
    dict->items[2 * it->second + 1] = value;
  }
  return absl::OkStatus();
}

absl::Status Unpickler::PersistentLoad(Obj* pid, Obj** result) {
  if (pid->kind != Obj::Kind::kTuple || pid->items.empty()) {
    return Error(op_start_, absl::StrCat("persistent id is a ", KindName(pid->kind),
                                         ", expected a ('storage', ...) tuple"));
  }
  const std::vector<Obj*>& f = pid->items;
  const bool is_storage_tag =
      (f[0]->kind == Obj::Kind::kStr || f[0]->kind == Obj::Kind::kBytes) && f[0]->s == "storage";
  if (!is_storage_tag) {
    return Error(op_start_, f[0]->kind == Obj::Kind::kStr
                                ? absl::StrCat("unsupported persistent id '", Clip(f[0]->s),
                                               "' (only storages are supported)")
                                : std::string("persistent id does not start with 'storage'"));
  }
  if (f.size() != 5 && f.size() != 6) {
    return Error(op_start_,
                 absl::StrCat("storage persistent id has ", f.size(), " fields, expected 5 or 6"));
  }
  StorageId id;
  id.fields = static_cast<int>(f.size());
  if (f[1]->kind != Obj::Kind::kGlobal || f[1]->i != kStorageClass) {
    return Error(op_start_, absl::StrCat("storage persistent id: ",
                                         f[1]->kind == Obj::Kind::kGlobal ? Clip(f[1]->s)
                                                                          : KindName(f[1]->kind),
                                         " is not a storage class"));
  }
  id.dtype = f[1]->storage.dtype;
  id.type_name = f[1]->s;
  if (f[2]->kind != Obj::Kind::kStr) {
    return Error(op_start_, "storage persistent id: the key is not a str");
  }
  id.key = f[2]->s;
  if (f[3]->kind != Obj::Kind::kStr) {
    return Error(op_start_, "storage persistent id: the location is not a str");
  }
  id.location = f[3]->s;
  if (f[4]->kind != Obj::Kind::kInt || f[4]->i < 0) {
    return Error(op_start_, "storage persistent id: the size is not a non-negative int");
  }
  id.numel = f[4]->i;
  if (f.size() == 6 && f[5]->kind != Obj::Kind::kNone) {
    const Obj* view = f[5];
    if (view->kind != Obj::Kind::kTuple || view->items.size() != 3 ||
        view->items[0]->kind != Obj::Kind::kStr || view->items[1]->kind != Obj::Kind::kInt ||
        view->items[2]->kind != Obj::Kind::kInt || view->items[1]->i < 0 || view->items[2]->i < 0) {
      return Error(op_start_,
                   "storage persistent id: view metadata is not (str key, int offset, int size)");
    }
    id.has_view = true;
    id.view_key = view->items[0]->s;
    id.view_offset = view->items[1]->i;
    id.view_numel = view->items[2]->i;
  }
  if (resolver_ == nullptr) {
    return Error(op_start_, "storage persistent id in a pickle that cannot reference storages");
  }
  absl::StatusOr<StorageRef> ref = (*resolver_)(id);
  if (!ref.ok()) return Error(op_start_, ref.status().message());
  Obj* obj = New(Obj::Kind::kStorage);
  obj->storage = *std::move(ref);
  *result = obj;
  return absl::OkStatus();
}

absl::Status Unpickler::RebuildTensor(const std::vector<Obj*>& args, bool v2, Obj** result) {
  const char* fn = v2 ? "_rebuild_tensor_v2" : "_rebuild_tensor";
  const bool arity_ok = v2 ? (args.size() == 6 || args.size() == 7) : args.size() == 4;
  if (!arity_ok) {
    return Error(op_start_, absl::StrCat(fn, ": got ", args.size(), " arguments, expected ",
                                         v2 ? "6 or 7" : "4"));
  }
  if (args[0]->kind != Obj::Kind::kStorage) {
    return Error(op_start_, absl::StrCat(fn, ": argument 0 is a ", KindName(args[0]->kind),
                                         ", not a storage"));
  }
  const StorageRef& ref = args[0]->storage;
  if (args[1]->kind != Obj::Kind::kInt || args[1]->i < 0) {
    return Error(op_start_, absl::StrCat(fn, ": storage_offset is not a non-negative int"));
  }
  const int64_t offset = args[1]->i;
  const Obj* size_obj = args[2];
  const Obj* stride_obj = args[3];
  auto is_seq = [](const Obj* o) {
    return o->kind == Obj::Kind::kTuple || o->kind == Obj::Kind::kList;
  };
  if (!is_seq(size_obj) || !is_seq(stride_obj) ||
      size_obj->items.size() != stride_obj->items.size()) {
    return Error(op_start_, absl::StrCat(fn, ": size and stride are not int tuples of one length"));
  }
  const size_t dims = size_obj->items.size();
  if (dims > 64) return Error(op_start_, absl::StrCat(fn, ": ", dims, " dimensions (at most 64)"));
  std::vector<int64_t> sizes(dims), strides(dims);
  // Limits keep every product and sum below 2^63.
  constexpr int64_t kMaxIndex = int64_t{1} << 48;
  int64_t numel = 1;
  for (size_t d = 0; d < dims; ++d) {
    const Obj* s = size_obj->items[d];
    const Obj* t = stride_obj->items[d];
    if (s->kind != Obj::Kind::kInt || t->kind != Obj::Kind::kInt || s->i < 0 || t->i < 0 ||
        s->i > kMaxIndex || t->i > kMaxIndex) {
      return Error(op_start_,
                   absl::StrCat(fn, ": size/stride dimension ", d, " is not an int in [0, 2^48]"));
    }
    sizes[d] = s->i;
    strides[d] = t->i;
    if (numel != 0)
      numel = sizes[d] == 0 ? 0 : (numel > kMaxIndex / sizes[d] ? -1 : numel * sizes[d]);
    if (numel < 0)
      return Error(op_start_, absl::StrCat(fn, ": tensor has more than 2^48 elements"));
  }
  if (offset > kMaxIndex) return Error(op_start_, absl::StrCat(fn, ": storage_offset too large"));
  if (numel > 0) {
    // The last element a view touches must lie inside the storage.
    int64_t last = offset;
    for (size_t d = 0; d < dims; ++d) {
      const int64_t step = sizes[d] - 1;
      if (strides[d] != 0 && step > (kMaxIndex - last) / strides[d]) {
        return Error(op_start_, absl::StrCat(fn, ": tensor view reaches past element 2^48"));
      }
      last += step * strides[d];
    }
    if (last >= ref.numel) {
      return Error(
          op_start_,
          absl::StrCat(fn, ": tensor view (storage_offset ", offset, ", last element ", last,
                       ") is out of bounds for a storage of ", ref.numel, " elements"));
    }
  }
  bool requires_grad = false;
  if (v2) {
    if (!IsIntLike(args[4])) {
      return Error(op_start_, absl::StrCat(fn, ": requires_grad is not a bool"));
    }
    requires_grad = args[4]->i != 0;
  }
  Obj* obj = New(Obj::Kind::kTensor);
  try {
    at::Tensor tensor = at::empty({0}, at::TensorOptions().dtype(ref.dtype));
    tensor.set_(ref.storage, ref.offset + offset, sizes, strides);
    if (requires_grad && at::isFloatingType(ref.dtype)) tensor.set_requires_grad(true);
    obj->tensor = std::move(tensor);
  } catch (const c10::Error& e) {
    return Error(op_start_, absl::StrCat(fn, ": ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return Error(op_start_, absl::StrCat(fn, ": ", e.what()));
  }
  *result = obj;
  return absl::OkStatus();
}

absl::Status Unpickler::Reduce(Obj* func, Obj* args, Obj** result) {
  if (func->kind != Obj::Kind::kGlobal) {
    return Error(op_start_, absl::StrCat("REDUCE: cannot call a ", KindName(func->kind)));
  }
  if (args->kind != Obj::Kind::kTuple) {
    return Error(op_start_, absl::StrCat("REDUCE ", Clip(func->s), ": arguments are a ",
                                         KindName(args->kind), ", not a tuple"));
  }
  const std::vector<Obj*>& a = args->items;
  switch (func->i) {
    case kOrderedDict: {
      Obj* dict = New(Obj::Kind::kDict);
      dict->ordered = true;
      if (a.size() == 1 && (a[0]->kind == Obj::Kind::kList || a[0]->kind == Obj::Kind::kTuple)) {
        for (Obj* pair : a[0]->items) {  // OrderedDict([(k, v), ...])
          if ((pair->kind != Obj::Kind::kTuple && pair->kind != Obj::Kind::kList) ||
              pair->items.size() != 2) {
            return Error(op_start_, "OrderedDict(items): an item is not a (key, value) pair");
          }
          MMDET_RETURN_IF_ERROR(SetItem(dict, pair->items[0], pair->items[1], "REDUCE"));
        }
      } else if (!a.empty()) {
        return Error(op_start_, "OrderedDict: unsupported arguments");
      }
      *result = dict;
      return absl::OkStatus();
    }
    case kRebuildTensor:
      return RebuildTensor(a, /*v2=*/false, result);
    case kRebuildTensorV2:
      return RebuildTensor(a, /*v2=*/true, result);
    case kRebuildParameter:
    case kRebuildParameterWithState: {
      const size_t arity = func->i == kRebuildParameter ? 3 : 4;
      if (a.size() != arity || a[0]->kind != Obj::Kind::kTensor || !IsIntLike(a[1])) {
        return Error(op_start_, absl::StrCat(func->s, ": expected (Tensor, bool, hooks",
                                             arity == 4 ? ", state)" : ")"));
      }
      Obj* obj = New(Obj::Kind::kTensor);
      obj->tensor = a[0]->tensor;
      try {
        if (a[1]->i != 0 && at::isFloatingType(obj->tensor.scalar_type())) {
          obj->tensor.set_requires_grad(true);
        }
      } catch (const c10::Error& e) {
        return Error(op_start_, absl::StrCat(func->s, ": ", e.what_without_backtrace()));
      }
      *result = obj;
      return absl::OkStatus();
    }
    case kRebuildFromTypeV2: {
      // _rebuild_from_type_v2(func, new_type, args, state): a Tensor (subclass) with Python
      // attributes; only plain Tensor and Parameter are supported, attributes are dropped.
      if (a.size() != 4 || a[0]->kind != Obj::Kind::kGlobal || a[1]->kind != Obj::Kind::kGlobal ||
          a[2]->kind != Obj::Kind::kTuple) {
        return Error(op_start_, "_rebuild_from_type_v2: expected (func, type, args, state)");
      }
      if (a[1]->i != kTensorClass && a[1]->i != kParameterClass) {
        return Error(op_start_, absl::StrCat("_rebuild_from_type_v2: unsupported tensor type ",
                                             Clip(a[1]->s)));
      }
      Obj* tensor = nullptr;
      MMDET_RETURN_IF_ERROR(Reduce(a[0], a[2], &tensor));
      if (tensor->kind != Obj::Kind::kTensor) {
        return Error(op_start_, "_rebuild_from_type_v2: the rebuilt object is not a tensor");
      }
      *result = tensor;
      return absl::OkStatus();
    }
    case kCodecsEncode: {
      // Protocol 2 pickles bytes as _codecs.encode(text, 'latin1').
      if (a.size() != 2 || a[0]->kind != Obj::Kind::kStr || a[1]->kind != Obj::Kind::kStr ||
          (a[1]->s != "latin1" && a[1]->s != "latin-1")) {
        return Error(op_start_, "_codecs.encode: expected (str, 'latin1')");
      }
      Obj* bytes = New(Obj::Kind::kBytes);
      if (!Latin1FromUtf8(a[0]->s, &bytes->s)) {
        return Error(op_start_, "_codecs.encode: text is not latin-1 encodable UTF-8");
      }
      *result = bytes;
      return absl::OkStatus();
    }
    case kNumpyDtype: {
      // numpy.dtype(code, align, copy); its byte order arrives by BUILD.
      if (a.empty() || a[0]->kind != Obj::Kind::kStr) {
        return Error(op_start_, "numpy.dtype: expected (code, align, copy)");
      }
      Obj* dtype = New(Obj::Kind::kGlobal);
      dtype->i = kNumpyDtypeObject;
      dtype->s = a[0]->s;
      dtype->numpy_byte_order = '|';
      *result = dtype;
      return absl::OkStatus();
    }
    case kNumpyScalar:
      return NumpyScalar(a, result);
    case kBuiltinBytes: {
      if (!a.empty()) return Error(op_start_, "bytes(): only the empty call is supported");
      *result = New(Obj::Kind::kBytes);
      return absl::OkStatus();
    }
    case kNumpyReconstruct: {
      if (a.size() != 3 || a[0]->kind != Obj::Kind::kGlobal || a[0]->i != kNumpyNdarray) {
        return Error(op_start_, "numpy _reconstruct: expected (numpy.ndarray, shape, dtype)");
      }
      Obj* array = New(Obj::Kind::kTensor);
      array->i = kPendingNdarray;
      *result = array;
      return absl::OkStatus();
    }
    default:
      return Error(op_start_, absl::StrCat("REDUCE: cannot call ", Clip(func->s)));
  }
}

absl::Status Unpickler::NumpyScalar(const std::vector<Obj*>& a, Obj** result) {
  if (a.size() != 2 || a[0]->kind != Obj::Kind::kGlobal || a[0]->i != kNumpyDtypeObject ||
      a[1]->kind != Obj::Kind::kBytes) {
    return Error(op_start_, "numpy scalar: expected (dtype, bytes)");
  }
  const std::string& code = a[0]->s;
  const std::string& raw = a[1]->s;
  if (a[0]->numpy_byte_order == '>') {
    return Error(op_start_, absl::StrCat("numpy scalar of big-endian dtype ", Clip(code)));
  }
  auto sized = [&](size_t n) -> absl::Status {
    if (raw.size() != n) {
      return Error(op_start_, absl::StrCat("numpy scalar ", Clip(code), ": ", raw.size(),
                                           " bytes, expected ", n));
    }
    return absl::OkStatus();
  };
  Obj* obj = nullptr;
  const char kind = code.empty() ? '?' : code[0];
  const std::string width = code.size() > 1 ? code.substr(1) : "";
  if ((kind == 'i' || kind == 'u') && (width == "1" || width == "2" || width == "4" || width == "8")) {
    const int n = width[0] - '0';
    MMDET_RETURN_IF_ERROR(sized(static_cast<size_t>(n)));
    uint64_t bits = LoadLe(raw.data(), n);
    int64_t value = 0;
    if (kind == 'u') {
      if (n == 8 && bits > static_cast<uint64_t>(INT64_MAX)) {
        return Error(op_start_, "numpy uint64 scalar beyond int64");
      }
      value = static_cast<int64_t>(bits);
    } else {
      const int shift = 64 - 8 * n;
      value = static_cast<int64_t>(bits << shift) >> shift;  // sign-extend
    }
    obj = New(Obj::Kind::kInt);
    obj->i = value;
  } else if (kind == 'f' && (width == "2" || width == "4" || width == "8")) {
    const int n = width[0] - '0';
    MMDET_RETURN_IF_ERROR(sized(static_cast<size_t>(n)));
    const uint64_t bits = LoadLe(raw.data(), n);
    obj = New(Obj::Kind::kFloat);
    if (n == 8) {
      double d;
      std::memcpy(&d, &bits, 8);
      obj->f = d;
    } else if (n == 4) {
      const uint32_t b32 = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &b32, 4);
      obj->f = f;
    } else {
      obj->f = static_cast<float>(c10::Half(static_cast<uint16_t>(bits), c10::Half::from_bits()));
    }
  } else if (kind == 'b' && width == "1") {
    MMDET_RETURN_IF_ERROR(sized(1));
    obj = New(Obj::Kind::kBool);
    obj->i = raw[0] != 0;
  } else {
    return Error(op_start_, absl::StrCat("unsupported numpy scalar dtype ", Clip(code)));
  }
  *result = obj;
  return absl::OkStatus();
}

absl::Status Unpickler::NumpyArrayState(Obj* array, const Obj* state) {
  // ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata)); version may be absent.
  if (state->kind != Obj::Kind::kTuple || (state->items.size() != 5 && state->items.size() != 4)) {
    return Error(op_start_, "numpy array: unexpected state");
  }
  const size_t b = state->items.size() == 5 ? 1 : 0;
  const Obj* shape = state->items[b];
  const Obj* dtype = state->items[b + 1];
  const Obj* fortran = state->items[b + 2];
  const Obj* raw = state->items[b + 3];
  if (shape->kind != Obj::Kind::kTuple || dtype->kind != Obj::Kind::kGlobal ||
      dtype->i != kNumpyDtypeObject) {
    return Error(op_start_, "numpy array: expected (shape, dtype, is_fortran, data)");
  }
  if (raw->kind != Obj::Kind::kBytes && raw->kind != Obj::Kind::kStr) {
    return Error(op_start_, "numpy array: object arrays are not supported");
  }
  if (dtype->numpy_byte_order == '>') {
    return Error(op_start_, absl::StrCat("numpy array of big-endian dtype ", Clip(dtype->s)));
  }
  struct Code {
    const char* code;
    at::ScalarType type;
  };
  constexpr Code kCodes[] = {{"f4", at::kFloat}, {"f8", at::kDouble}, {"f2", at::kHalf},
                             {"i8", at::kLong},  {"i4", at::kInt},    {"i2", at::kShort},
                             {"i1", at::kChar},  {"u1", at::kByte},   {"b1", at::kBool}};
  const Code* code = nullptr;
  for (const Code& c : kCodes) {
    if (dtype->s == c.code) code = &c;
  }
  if (code == nullptr) {
    return Error(op_start_, absl::StrCat("unsupported numpy array dtype ", Clip(dtype->s)));
  }
  std::vector<int64_t> sizes;
  int64_t numel = 1;
  for (const Obj* d : shape->items) {
    if (d->kind != Obj::Kind::kInt || d->i < 0 || (d->i > 0 && numel > INT64_MAX / d->i)) {
      return Error(op_start_, "numpy array: bad shape");
    }
    sizes.push_back(d->i);
    numel *= d->i;
  }
  const int64_t element = static_cast<int64_t>(c10::elementSize(code->type));
  if (static_cast<int64_t>(raw->s.size()) != numel * element) {
    return Error(op_start_, absl::StrCat("numpy array: ", raw->s.size(), " bytes of data for ",
                                         numel, " elements of ", dtype->s));
  }
  const bool column_major = fortran->kind == Obj::Kind::kBool && fortran->i != 0;
  std::vector<int64_t> stored = sizes;
  if (column_major) std::reverse(stored.begin(), stored.end());
  at::Tensor t = at::empty(stored, at::TensorOptions().dtype(code->type));
  if (numel > 0) std::memcpy(t.data_ptr(), raw->s.data(), raw->s.size());
  if (column_major && t.dim() > 1) {
    std::vector<int64_t> order(t.dim());
    for (int64_t d = 0; d < t.dim(); ++d) order[d] = t.dim() - 1 - d;
    t = t.permute(order).contiguous();
  }
  array->tensor = t;
  array->i = 0;
  return absl::OkStatus();
}

absl::StatusOr<const Obj*> Unpickler::Load() {
  if (done_) return Error(pos_, "pickle already loaded");
  done_ = true;
  while (true) {
    bool stop = false;
    MMDET_RETURN_IF_ERROR(Step(&stop));
    if (stop) break;
  }
  return stack_.back();
}

absl::Status Unpickler::Step(bool* stop) {
  op_start_ = pos_;
  if (pos_ >= data_.size()) return Error(pos_, "truncated pickle (no STOP opcode)");
  const unsigned char op = static_cast<unsigned char>(data_[pos_++]);
  const char* name = OpName(op);
  const char* p = nullptr;  // the argument bytes once Need() passed
  auto need = [&](size_t n) -> absl::Status {
    MMDET_RETURN_IF_ERROR(Need(n, name));
    p = data_.data() + pos_;
    pos_ += n;
    return absl::OkStatus();
  };
  switch (op) {
    case kProto: {
      MMDET_RETURN_IF_ERROR(need(1));
      const int proto = static_cast<unsigned char>(p[0]);
      if (proto > 5) return Error(op_start_, absl::StrCat("unsupported pickle protocol ", proto));
      return absl::OkStatus();
    }
    case kFrame:  // protocol 4 framing: the data is all in memory already
      return need(8);
    case kStop: {
      MMDET_ASSIGN_OR_RETURN(Obj * result, Pop(name));
      stack_.push_back(result);  // Load() returns stack_.back()
      *stop = true;
      return absl::OkStatus();
    }
    case kMark:
      marks_.push_back(stack_.size());
      return absl::OkStatus();
    case kPop:
      if (!marks_.empty() && marks_.back() == stack_.size()) {
        marks_.pop_back();  // POP of a MARK with nothing above it (pickle.py's behaviour)
        return absl::OkStatus();
      }
      return Pop(name).status();
    case kPopMark:
      return PopMark(name, nullptr);
    case kDup: {
      MMDET_ASSIGN_OR_RETURN(Obj * top, Top(name));
      return Push(top);
    }
    case kNone:
      return Push(New(Obj::Kind::kNone));
    case kNewTrue:
    case kNewFalse: {
      Obj* obj = New(Obj::Kind::kBool);
      obj->i = op == kNewTrue ? 1 : 0;
      return Push(obj);
    }
    case kInt:
    case kLong: {
      absl::string_view line;
      MMDET_RETURN_IF_ERROR(ReadLine(name, &line));
      if (op == kInt && (line == "00" || line == "01")) {  // protocol 0 booleans
        Obj* obj = New(Obj::Kind::kBool);
        obj->i = line == "01" ? 1 : 0;
        return Push(obj);
      }
      if (op == kLong && !line.empty() && line.back() == 'L') line.remove_suffix(1);
      Obj* obj = New(Obj::Kind::kInt);
      if (!absl::SimpleAtoi(line, &obj->i)) {
        return Error(op_start_, absl::StrCat(name, ": '", Clip(line), "' is not a 64-bit integer"));
      }
      return Push(obj);
    }
    case kBinInt: {
      MMDET_RETURN_IF_ERROR(need(4));
      Obj* obj = New(Obj::Kind::kInt);
      obj->i = static_cast<int32_t>(static_cast<uint32_t>(LoadLe(p, 4)));
      return Push(obj);
    }
    case kBinInt1:
    case kBinInt2: {
      const int n = op == kBinInt1 ? 1 : 2;
      MMDET_RETURN_IF_ERROR(need(n));
      Obj* obj = New(Obj::Kind::kInt);
      obj->i = static_cast<int64_t>(LoadLe(p, n));
      return Push(obj);
    }
    case kLong1:
    case kLong4: {
      const int width = op == kLong1 ? 1 : 4;
      MMDET_RETURN_IF_ERROR(need(width));
      int64_t n = static_cast<int64_t>(LoadLe(p, width));
      if (op == kLong4) n = static_cast<int32_t>(static_cast<uint32_t>(n));
      if (n < 0) return Error(op_start_, "LONG4 with a negative byte count");
      MMDET_RETURN_IF_ERROR(need(static_cast<size_t>(n)));
      return PushInt(absl::string_view(p, static_cast<size_t>(n)));
    }
    case kFloat: {
      absl::string_view line;
      MMDET_RETURN_IF_ERROR(ReadLine(name, &line));
      Obj* obj = New(Obj::Kind::kFloat);
      if (!absl::SimpleAtod(line, &obj->f)) {
        return Error(op_start_, absl::StrCat("FLOAT: '", Clip(line), "' is not a number"));
      }
      return Push(obj);
    }
    case kBinFloat: {
      MMDET_RETURN_IF_ERROR(need(8));
      uint64_t bits = 0;
      for (int k = 0; k < 8; ++k)
        bits = (bits << 8) | static_cast<unsigned char>(p[k]);  // big-endian
      Obj* obj = New(Obj::Kind::kFloat);
      std::memcpy(&obj->f, &bits, sizeof(bits));
      return Push(obj);
    }
    case kShortBinString:
    case kBinString:
    case kShortBinBytes:
    case kBinBytes:
    case kBinBytes8:
    case kShortBinUnicode:
    case kBinUnicode:
    case kBinUnicode8: {
      size_t width = 4;
      if (op == kShortBinString || op == kShortBinBytes || op == kShortBinUnicode) width = 1;
      if (op == kBinBytes8 || op == kBinUnicode8) width = 8;
      if (op == kBinString) {  // its length is signed
        MMDET_RETURN_IF_ERROR(Need(4, name));
        if (static_cast<int32_t>(static_cast<uint32_t>(LoadLe(data_.data() + pos_, 4))) < 0) {
          return Error(op_start_, "BINSTRING with a negative length");
        }
      }
      absl::string_view text;
      MMDET_RETURN_IF_ERROR(ReadSizedString(width, name, &text));
      // Python 2 str (BINSTRING) loads as str: torch.load decodes it as UTF-8.
      const bool is_bytes = op == kShortBinBytes || op == kBinBytes || op == kBinBytes8;
      Obj* obj = New(is_bytes ? Obj::Kind::kBytes : Obj::Kind::kStr);
      obj->s = std::string(text);
      return Push(obj);
    }
    case kEmptyTuple:
      return Push(New(Obj::Kind::kTuple));
    case kTuple:
    case kList: {
      Obj* obj = New(op == kTuple ? Obj::Kind::kTuple : Obj::Kind::kList);
      MMDET_RETURN_IF_ERROR(PopMark(name, &obj->items));
      return Push(obj);
    }
    case kTuple1:
    case kTuple2:
    case kTuple3: {
      const size_t n = op == kTuple1 ? 1 : (op == kTuple2 ? 2 : 3);
      Obj* obj = New(Obj::Kind::kTuple);
      obj->items.resize(n);
      for (size_t k = n; k > 0; --k) {
        MMDET_ASSIGN_OR_RETURN(obj->items[k - 1], Pop(name));
      }
      return Push(obj);
    }
    case kEmptyList:
      return Push(New(Obj::Kind::kList));
    case kAppend: {
      MMDET_ASSIGN_OR_RETURN(Obj * item, Pop(name));
      MMDET_ASSIGN_OR_RETURN(Obj * list, Top(name));
      if (list->kind != Obj::Kind::kList) {
        return Error(op_start_, absl::StrCat("APPEND to a ", KindName(list->kind), ", not a list"));
      }
      list->items.push_back(item);
      return absl::OkStatus();
    }
    case kAppends: {
      std::vector<Obj*> items;
      MMDET_RETURN_IF_ERROR(PopMark(name, &items));
      MMDET_ASSIGN_OR_RETURN(Obj * list, Top(name));
      if (list->kind != Obj::Kind::kList) {
        return Error(op_start_,
                     absl::StrCat("APPENDS to a ", KindName(list->kind), ", not a list"));
      }
      list->items.insert(list->items.end(), items.begin(), items.end());
      return absl::OkStatus();
    }
    case kEmptyDict:
      return Push(New(Obj::Kind::kDict));
    case kDict:
    case kSetItems: {
      std::vector<Obj*> items;
      MMDET_RETURN_IF_ERROR(PopMark(name, &items));
      if (items.size() % 2 != 0) {
        return Error(op_start_, absl::StrCat(name, " with an odd number of items"));
      }
      Obj* dict = nullptr;
      if (op == kDict) {
        dict = New(Obj::Kind::kDict);
      } else {
        MMDET_ASSIGN_OR_RETURN(dict, Top(name));
      }
      for (size_t k = 0; k < items.size(); k += 2) {
        MMDET_RETURN_IF_ERROR(SetItem(dict, items[k], items[k + 1], name));
      }
      return op == kDict ? Push(dict) : absl::OkStatus();
    }
    case kSetItem: {
      MMDET_ASSIGN_OR_RETURN(Obj * value, Pop(name));
      MMDET_ASSIGN_OR_RETURN(Obj * key, Pop(name));
      MMDET_ASSIGN_OR_RETURN(Obj * dict, Top(name));
      return SetItem(dict, key, value, name);
    }
    case kGlobal: {
      absl::string_view module, global_name;
      MMDET_RETURN_IF_ERROR(ReadLine(name, &module));
      MMDET_RETURN_IF_ERROR(ReadLine(name, &global_name));
      return PushGlobal(module, global_name);
    }
    case kStackGlobal: {
      MMDET_ASSIGN_OR_RETURN(Obj * global_name, Pop(name));
      MMDET_ASSIGN_OR_RETURN(Obj * module, Pop(name));
      if (module->kind != Obj::Kind::kStr || global_name->kind != Obj::Kind::kStr) {
        return Error(op_start_, "STACK_GLOBAL: module and name are not str");
      }
      return PushGlobal(module->s, global_name->s);
    }
    case kReduce: {
      MMDET_ASSIGN_OR_RETURN(Obj * args, Pop(name));
      MMDET_ASSIGN_OR_RETURN(Obj * func, Top(name));
      Obj* result = nullptr;
      MMDET_RETURN_IF_ERROR(Reduce(func, args, &result));
      stack_.back() = result;
      return absl::OkStatus();
    }
    case kNewObj: {
      MMDET_ASSIGN_OR_RETURN(Obj * args, Pop(name));
      MMDET_ASSIGN_OR_RETURN(Obj * cls, Pop(name));
      if (cls->kind != Obj::Kind::kGlobal || args->kind != Obj::Kind::kTuple) {
        return Error(op_start_, "NEWOBJ: expected a class and an argument tuple");
      }
      if (cls->i != kOrderedDict) {
        return Error(op_start_, absl::StrCat("unsupported NEWOBJ of ", Clip(cls->s)));
      }
      Obj* dict = New(Obj::Kind::kDict);
      dict->ordered = true;
      return Push(dict);
    }
    case kBuild: {
      MMDET_ASSIGN_OR_RETURN(Obj * state, Pop(name));
      MMDET_ASSIGN_OR_RETURN(Obj * inst, Top(name));
      if (inst->kind == Obj::Kind::kGlobal && inst->i == kNumpyDtypeObject) {
        // dtype.__setstate__((version, byte order, subarray, names, fields, elsize,
        // alignment, flags)): only the byte order matters for scalars.
        if (state->kind != Obj::Kind::kTuple || state->items.size() < 2 ||
            state->items[1]->kind != Obj::Kind::kStr || state->items[1]->s.size() != 1) {
          return Error(op_start_, "numpy.dtype: unexpected state");
        }
        inst->numpy_byte_order = state->items[1]->s[0];
        return absl::OkStatus();
      }
      if (inst->kind == Obj::Kind::kTensor && inst->i == kPendingNdarray) {
        return NumpyArrayState(inst, state);
      }
      if (inst->kind != Obj::Kind::kDict || !inst->ordered) {
        return Error(op_start_, absl::StrCat("BUILD of a ", KindName(inst->kind),
                                             " is not supported (only OrderedDict attributes)"));
      }
      if (state->kind == Obj::Kind::kNone) return absl::OkStatus();
      if (state->kind != Obj::Kind::kDict) {
        return Error(op_start_, absl::StrCat("BUILD: OrderedDict state is a ",
                                             KindName(state->kind), ", not a dict"));
      }
      if (state->items.empty()) return absl::OkStatus();
      // inst.__dict__.update(state)
      if (inst->state == nullptr) inst->state = New(Obj::Kind::kDict);
      for (size_t k = 0; k + 1 < state->items.size(); k += 2) {
        MMDET_RETURN_IF_ERROR(SetItem(inst->state, state->items[k], state->items[k + 1], name));
      }
      return absl::OkStatus();
    }
    case kPut:
    case kBinPut:
    case kLongBinPut:
    case kMemoize: {
      uint64_t index = 0;
      if (op == kPut) {
        absl::string_view line;
        MMDET_RETURN_IF_ERROR(ReadLine(name, &line));
        if (!absl::SimpleAtoi(line, &index)) return Error(op_start_, "PUT: bad memo index");
      } else if (op == kMemoize) {
        index = memo_.size();
      } else {
        const int n = op == kBinPut ? 1 : 4;
        MMDET_RETURN_IF_ERROR(need(n));
        index = LoadLe(p, n);
      }
      MMDET_ASSIGN_OR_RETURN(Obj * top, Top(name));
      memo_[index] = top;
      return absl::OkStatus();
    }
    case kGet:
    case kBinGet:
    case kLongBinGet: {
      uint64_t index = 0;
      if (op == kGet) {
        absl::string_view line;
        MMDET_RETURN_IF_ERROR(ReadLine(name, &line));
        if (!absl::SimpleAtoi(line, &index)) return Error(op_start_, "GET: bad memo index");
      } else {
        const int n = op == kBinGet ? 1 : 4;
        MMDET_RETURN_IF_ERROR(need(n));
        index = LoadLe(p, n);
      }
      auto it = memo_.find(index);
      if (it == memo_.end()) {
        return Error(op_start_, absl::StrCat(name, ": memo key ", index, " not found"));
      }
      return Push(it->second);
    }
    case kBinPersId: {
      MMDET_ASSIGN_OR_RETURN(Obj * pid, Pop(name));
      Obj* storage = nullptr;
      MMDET_RETURN_IF_ERROR(PersistentLoad(pid, &storage));
      return Push(storage);
    }
    default:
      if (name != nullptr) {
        return Error(op_start_, absl::StrCat("unsupported opcode ", name));
      }
      return Error(op_start_, absl::StrCat("unknown opcode 0x", absl::Hex(op, absl::kZeroPad2)));
  }
}

absl::StatusOr<Value> Unpickler::ToValue(const Obj* obj) {
  // Without shared references a pickle has at least one byte per object, so this bounds what
  // memo references can multiply the tree into.
  size_t budget = 8 * data_.size() + 65536;
  return Convert(obj, 0, &budget);
}

absl::StatusOr<Value> Unpickler::Convert(const Obj* obj, int depth, size_t* budget) {
  if (depth > kMaxDepth) {
    return Error(obj->offset, absl::StrCat("objects nested deeper than ", kMaxDepth,
                                           " (or a recursive structure)"));
  }
  if (*budget == 0) {
    return Error(obj->offset, "too many objects (shared references expand beyond the limit)");
  }
  --*budget;
  switch (obj->kind) {
    case Obj::Kind::kNone:
      return Value::None();
    case Obj::Kind::kBool:
      return Value::Bool(obj->i != 0);
    case Obj::Kind::kInt:
      return Value::Int(obj->i);
    case Obj::Kind::kBigInt:
      return Error(obj->offset,
                   absl::StrCat("integer of ", obj->s.size(), " bytes does not fit in 64 bits"));
    case Obj::Kind::kFloat:
      return Value::Float(obj->f);
    case Obj::Kind::kStr:
      return Value::String(obj->s);
    case Obj::Kind::kBytes:
      return Value::Bytes(obj->s);
    case Obj::Kind::kTensor:
      if (obj->i == kPendingNdarray) return Error(obj->offset, "numpy array without its data");
      return Value::Tensor(obj->tensor);
    case Obj::Kind::kList:
    case Obj::Kind::kTuple: {
      std::vector<Value> items;
      items.reserve(obj->items.size());
      for (const Obj* item : obj->items) {
        MMDET_ASSIGN_OR_RETURN(Value v, Convert(item, depth + 1, budget));
        items.push_back(std::move(v));
      }
      return obj->kind == Obj::Kind::kList ? Value::List(std::move(items))
                                           : Value::Tuple(std::move(items));
    }
    case Obj::Kind::kDict: {
      std::vector<Value::Entry> entries;
      entries.reserve(obj->items.size() / 2);
      for (size_t k = 0; k + 1 < obj->items.size(); k += 2) {
        MMDET_ASSIGN_OR_RETURN(Value key, Convert(obj->items[k], depth + 1, budget));
        MMDET_ASSIGN_OR_RETURN(Value value, Convert(obj->items[k + 1], depth + 1, budget));
        entries.push_back({std::move(key), std::move(value)});
      }
      Value dict =
          obj->ordered ? Value::OrderedDict(std::move(entries)) : Value::Dict(std::move(entries));
      if (obj->state != nullptr) {
        MMDET_ASSIGN_OR_RETURN(Value state, Convert(obj->state, depth + 1, budget));
        dict.set_dict_state(std::move(state));
      }
      return dict;
    }
    case Obj::Kind::kGlobal:
      return Error(obj->offset, absl::StrCat("global ", Clip(obj->s), " used as a value"));
    case Obj::Kind::kStorage:
      return Error(obj->offset, "a storage outside a tensor is not supported");
  }
  return Error(obj->offset, "unknown object");
}

}  // namespace mmdet::pth::internal
