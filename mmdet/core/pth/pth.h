// Reading and writing PyTorch `torch.save` files (.pth checkpoints) without Python.
//
// `torch::pickle_load` cannot read an ordinary Python checkpoint (it asserts on the
// OrderedDict state_dict inside a dict), so this library carries its own small unpickler for
// the subset of pickle that checkpoints use, and a pickler that writes files Python's
// `torch.load` reads back (also with `weights_only=True`, because only allowlisted globals are
// written).
//
//   MMDET_ASSIGN_OR_RETURN(pth::Value ckpt, pth::LoadPth("work_dirs/epoch_12.pth"));
//   const pth::Value* state_dict = ckpt.Find("state_dict");
//   if (state_dict == nullptr) state_dict = &ckpt;  // a bare state_dict
//   for (const pth::Value::Entry& entry : state_dict->entries()) {
//     if (!entry.key.is_string() || !entry.value.is_tensor()) continue;
//     std::cout << entry.key.as_string() << " " << entry.value.tensor().sizes() << "\n";
//   }
//
//   pth::Value out = pth::Value::Dict();
//   out.Set("meta", pth::Value::Dict({{pth::Value::String("epoch"), pth::Value::Int(12)}}));
//   out.Set("state_dict", pth::Value::OrderedDict(...));
//   MMDET_RETURN_IF_ERROR(pth::SavePth("work_dirs/latest.pth", out));
//
// Formats read:
//   - the zip format (PyTorch >= 1.6): "<prefix>/data.pkl" + "<prefix>/data/<key>" records;
//   - the legacy stream (PyTorch < 1.6, MMDetection's 2018-2019 model zoo): magic number,
//     protocol version, sys_info, the object, the storage keys, then the raw storages.
// Pickle opcodes of protocols 0-5 that checkpoints use are understood (protocol 5's
// out-of-band buffers are not). Globals understood: collections.OrderedDict,
// torch._utils._rebuild_tensor{,_v2}, torch._utils._rebuild_parameter{,_with_state},
// torch._tensor._rebuild_from_type_v2 (for plain Tensor / Parameter), _codecs.encode (bytes
// in protocol 2), torch.{,cuda.}{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,
// Bool}Storage, and numpy scalars (numpy.dtype + numpy.core.multiarray.scalar, e.g. the
// meta['seed'] MMDetection 2.x writes), which load as int, float or bool. Everything else
// (numpy arrays, whole pickled nn.Modules, sets) is a DataLoss error that names it:
//   "x.pth: data.pkl offset 1234: unsupported global numpy.core.multiarray._reconstruct"
// Tensors always load to the CPU whatever their saved location; tensors that shared a
// storage in Python share memory here too.
//
// Robustness: corrupt, truncated or hostile input gives a DataLoss error naming the file (and
// the pickle offset where one applies), never a crash, an assert or an escaping exception.
// Storage sizes are checked against the bytes present before anything is allocated (zip
// records as torch.save stores them, uncompressed; legacy streams), every tensor view against
// its storage, and the object graph against limits on nesting (1000) and on expansion through
// shared references. (A deflate-compressed zip record, which torch.save never writes, is
// allocated at its declared size by PyTorchStreamReader before it is inflated.)
//
// Not supported: numpy objects (e.g. a numpy.int64 in meta), pickled nn.Modules and other
// classes, sets, ints beyond 64 bits, complex/quantized/sparse tensors, big-endian files, the
// tar format of PyTorch < 0.1.10. An nn.Parameter loads as its tensor with requires_grad set,
// and saves back as a plain tensor.
//
// Checked against PyTorch 2.11: torch.load reads what SerializePth writes (weights_only True
// and False: values, dict order, OrderedDict _metadata, storage sharing), and ParsePth reads
// torch.save output in both formats (testdata/torch2_*.pth).
//
// Written files are the zip format with data.pkl at pickle protocol 2, a "byteorder" record
// ("little") and version 3, like Python's torch.save. Tensors that share a storage are saved
// with one shared storage (the whole storage, as torch.save does).
#ifndef MMDET_CORE_PTH_PTH_H_
#define MMDET_CORE_PTH_PTH_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmdet::pth {

// A Python value as torch.save pickles it. Values are plain C++ values: copying one copies
// its lists and dicts (tensors are shared, like at::Tensor copies).
//
// Python type        Kind      accessor
//   None             kNone
//   bool             kBool     as_bool()
//   int (64-bit)     kInt      as_int()
//   float            kFloat    as_float()
//   str              kString   as_string() (UTF-8 bytes)
//   bytes            kBytes    as_string() (raw bytes)
//   torch.Tensor     kTensor   tensor() (CPU; nn.Parameter loads as its data tensor)
//   list             kList     items()
//   tuple            kTuple    items()
//   dict             kDict     entries(), Find(); is_ordered_dict() tells
//   OrderedDict      kDict     collections.OrderedDict apart so it saves back as one
//
// Accessors of another kind return a zero value (false, 0, "", an undefined tensor, an empty
// list); check is_*() first when the data decides. Append() is for lists and tuples, Set() for
// dicts (on other kinds what they add is never seen).
class Value {
 public:
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kBytes, kTensor, kList, kTuple, kDict };
  // One key/value pair of a dict, in insertion order.
  struct Entry;

  Value() = default;  // None

  static Value None() { return Value(); }
  static Value Bool(bool value);
  static Value Int(int64_t value);
  static Value Float(double value);
  static Value String(std::string value);
  static Value Bytes(std::string value);
  static Value Tensor(at::Tensor value);
  static Value List(std::vector<Value> items = {});
  static Value Tuple(std::vector<Value> items = {});
  // A dict; duplicate keys in `entries` are kept as given (Set() replaces instead).
  static Value Dict(std::vector<Entry> entries = {});
  static Value OrderedDict(std::vector<Entry> entries = {});

  Kind kind() const { return kind_; }
  // "None", "bool", "int", "float", "str", "bytes", "Tensor", "list", "tuple", "dict".
  static const char* KindName(Kind kind);

  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_bytes() const { return kind_ == Kind::kBytes; }
  bool is_tensor() const { return kind_ == Kind::kTensor; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kTuple; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_ordered_dict() const { return kind_ == Kind::kDict && ordered_; }

  bool as_bool() const;                  // Bool; Int != 0
  int64_t as_int() const;                // Int; Bool as 0/1
  double as_float() const;               // Float; Int converted
  const std::string& as_string() const;  // String or Bytes
  const at::Tensor& tensor() const;

  // List and Tuple elements.
  const std::vector<Value>& items() const;
  std::vector<Value>& mutable_items();
  // Appends to a List or Tuple; returns the new element.
  Value& Append(Value item);

  // Dict entries in insertion order.
  const std::vector<Entry>& entries() const;
  std::vector<Entry>& mutable_entries();
  // The value under the str key `key` / the int key `key`, or nullptr (also for non-dicts).
  // A linear scan; pointers stay valid until the dict changes.
  const Value* Find(absl::string_view key) const;
  Value* Find(absl::string_view key);
  const Value* Find(int64_t key) const;
  Value* Find(int64_t key);
  // Python's d[key] = value: replaces the value of an equal key in place (keeping its
  // position) or appends. Keys compare like Python's for None/bool/int/float/str/bytes and
  // tuples of those. Returns the stored value.
  Value& Set(Value key, Value value);
  Value& Set(absl::string_view key, Value value);

  // Elements of a List/Tuple, entries of a Dict, 0 otherwise.
  size_t size() const;

  // An OrderedDict's instance attributes as pickle BUILD restored them (a dict), e.g. a
  // state_dict's {'_metadata': OrderedDict(...)} that nn.Module.load_state_dict uses for
  // version migrations; nullptr when there are none. Saved back with BUILD.
  const Value* dict_state() const { return dict_state_.get(); }
  void set_dict_state(Value state);
  void clear_dict_state() { dict_state_.reset(); }

  // A Python-like one-line rendering for logs and test failures, tensors abbreviated:
  //   {'meta': {'epoch': 12}, 'state_dict': OrderedDict({'w': Tensor(float32[2, 3])})}
  std::string DebugString() const;

 private:
  Kind kind_ = Kind::kNone;
  bool ordered_ = false;
  int64_t int_ = 0;  // kBool, kInt
  double float_ = 0;
  std::string string_;  // kString, kBytes
  at::Tensor tensor_;
  std::vector<Value> items_;
  std::vector<Entry> entries_;
  std::shared_ptr<const Value> dict_state_;
};

struct Value::Entry {
  Value key;
  Value value;
};

// Parses the bytes of a torch.save file (zip or legacy format, detected from the first bytes).
// `source` names the file in error messages. Errors are DataLoss:
//   "x.pth: data.pkl offset 1234: unsupported global numpy.core.multiarray._reconstruct"
//   "x.pth: offset 98: truncated pickle (BINUNICODE needs 12 bytes, 3 left)"  (legacy)
//   "x.pth: not a zip archive (corrupt archive: ...)"
absl::StatusOr<Value> ParsePth(absl::string_view bytes, absl::string_view source);

// Reads and parses `path` (NotFound and the like from ReadFile, DataLoss when corrupt,
// ResourceExhausted if memory runs out).
absl::StatusOr<Value> LoadPth(const std::string& path);

// A plain pickle (protocol 0-5, as pickle.dump / mmcv.dump write it), e.g. MMDetection's
// results.pkl: lists, tuples, dicts, str / bytes (protocol 2's _codecs.encode included),
// numbers, numpy scalars and numpy arrays (numpy.core.multiarray._reconstruct of a
// little-endian bool, int8-64, uint8 or float16-64 array, C or Fortran order), which load as
// CPU tensors. Errors are DataLoss naming `source` and the offset.
absl::StatusOr<Value> ParsePickle(absl::string_view bytes, absl::string_view source);
absl::StatusOr<Value> LoadPickle(const std::string& path);

// A plain pickle (protocol 2, as mmcv.dump writes results.pkl) of `value` with its tensors as
// numpy arrays: Python's pickle.load reads it with numpy installed and no torch.
absl::StatusOr<std::string> SerializePickle(const Value& value);
// SerializePickle + WriteFileAtomically.
absl::Status SavePickle(const std::string& path, const Value& value);

// The bytes of a zip-format torch.save file holding `value`. InvalidArgument, naming the
// element, for what cannot be saved: an undefined tensor, a dtype without a legacy storage
// class (complex, quantized, uint16...), a non-strided (sparse, mkldnn) tensor, nesting deeper
// than 1000:
//   "value['state_dict']['conv.weight']: cannot save a tensor of dtype ComplexFloat"
// Non-CPU tensors are copied to the CPU.
absl::StatusOr<std::string> SerializePth(const Value& value);

// SerializePth + WriteFileAtomically (no truncated file under `path` on failure).
absl::Status SavePth(const std::string& path, const Value& value);

}  // namespace mmdet::pth

#endif  // MMDET_CORE_PTH_PTH_H_
