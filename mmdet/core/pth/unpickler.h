// Internal to //mmdet/core/pth: the unpickler behind ParsePth.
//
// One Unpickler runs one pickle (PROTO ... STOP) that starts at `start` in `data`, the way
// Python's pickle.Unpickler.load() does, into a graph of Objs (Python objects: lists and dicts
// keep reference semantics while the pickle runs, so memoized containers filled later are
// seen filled). ToValue() then copies the graph into a Value tree, with limits on depth (a
// recursive structure ends there too) and on the number of nodes (shared references cannot
// blow up exponentially).
//
// Persistent ids ('storage', torch.FloatStorage, key, location, numel[, view_metadata]) are
// handed to a StorageResolver that the file format supplies (zip records or legacy stream).
//
// Every error is DataLoss "<context> offset <n>: <what>", n the offset in `data` of the opcode
// that failed (or of the object that could not be converted).
#ifndef MMDET_CORE_PTH_UNPICKLER_H_
#define MMDET_CORE_PTH_UNPICKLER_H_

#include <ATen/core/Tensor.h>
#include <c10/core/Storage.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mmdet/core/pth/pth.h"

namespace mmdet::pth::internal {

// Deepest nesting of lists/tuples/dicts accepted (reading and writing).
constexpr int kMaxDepth = 1000;

// The persistent id of a storage, checked for types.
struct StorageId {
  int fields = 5;  // 5 in zip files; 6 (with view metadata, maybe None) in legacy streams
  at::ScalarType dtype = at::kFloat;
  std::string type_name;  // e.g. "torch.FloatStorage"
  std::string key;
  std::string location;  // "cpu", "cuda:0", ...: ignored, everything loads to the CPU
  int64_t numel = 0;     // elements of dtype
  // Legacy storage views: elements [view_offset, view_offset + view_numel) of the root.
  bool has_view = false;
  std::string view_key;
  int64_t view_offset = 0;
  int64_t view_numel = 0;
};

// Elements [offset, offset + numel) of `storage`, typed `dtype`. A resolver guarantees that
// storage.nbytes() >= (offset + numel) * element size.
struct StorageRef {
  c10::Storage storage;
  at::ScalarType dtype = at::kFloat;
  int64_t offset = 0;
  int64_t numel = 0;
};

// Returns the storage a persistent id names; an error message is given without context (the
// unpickler adds the file and offset).
using StorageResolver = std::function<absl::StatusOr<StorageRef>(const StorageId&)>;

// A Python object while the pickle runs.
struct Obj {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kBigInt,  // beyond 64 bits: `s` holds its little-endian two's complement bytes
    kFloat,
    kStr,
    kBytes,
    kList,
    kTuple,
    kDict,
    kTensor,
    kGlobal,   // `i` is a Global, `s` the dotted name
    kStorage,  // a persistent storage
  };
  Kind kind = Kind::kNone;
  size_t offset = 0;  // of the opcode that made it, for errors
  bool ordered = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  // kList/kTuple: the elements; kDict: key0, value0, key1, value1, ...
  std::vector<Obj*> items;
  // kDict: hashable key encoding -> entry number, so SETITEM replaces like Python.
  std::unordered_map<std::string, size_t> index;
  Obj* state = nullptr;  // kDict: BUILD state (a dict)
  at::Tensor tensor;
  StorageRef storage;  // kStorage; for a storage class global, storage.dtype is its dtype
  char numpy_byte_order = '|';  // a numpy dtype object's byte order ('<', '>', '=', '|')
};

class Unpickler {
 public:
  // `context` starts each error ("x.pth: data.pkl"); `resolver` may be null when the pickle
  // must not reference storages.
  Unpickler(absl::string_view data, size_t start, std::string context,
            const StorageResolver* resolver);
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  // Runs to STOP and returns the pickled object (owned by this Unpickler).
  absl::StatusOr<const Obj*> Load();
  // The offset just past STOP, after a successful Load().
  size_t end() const { return pos_; }

  // Copies `obj` into a Value.
  absl::StatusOr<Value> ToValue(const Obj* obj);

 private:
  absl::Status Error(size_t offset, absl::string_view what) const;
  absl::Status Step(bool* stop);
  // Reading the opcode arguments; errors name `op`.
  absl::Status Need(size_t n, const char* op) const;
  absl::Status ReadLine(const char* op, absl::string_view* line);
  absl::Status ReadSizedString(size_t length_bytes, const char* op, absl::string_view* out);

  Obj* New(Obj::Kind kind);
  absl::Status Push(Obj* obj);
  absl::StatusOr<Obj*> Pop(const char* op);
  absl::StatusOr<Obj*> Top(const char* op);
  // Pops everything above the topmost MARK and the mark itself.
  absl::Status PopMark(const char* op, std::vector<Obj*>* items);

  absl::Status PushGlobal(absl::string_view module, absl::string_view name);
  // LONG1/LONG4 payload: little-endian two's complement.
  absl::Status PushInt(absl::string_view little_endian);
  absl::Status SetItem(Obj* dict, Obj* key, Obj* value, const char* op);
  absl::Status Reduce(Obj* func, Obj* args, Obj** result);
  absl::Status NumpyScalar(const std::vector<Obj*>& args, Obj** result);
  // BUILD of a numpy array: its shape, dtype, order and bytes.
  absl::Status NumpyArrayState(Obj* array, const Obj* state);
  absl::Status PersistentLoad(Obj* pid, Obj** result);
  absl::Status RebuildTensor(const std::vector<Obj*>& args, bool v2, Obj** result);

  absl::StatusOr<Value> Convert(const Obj* obj, int depth, size_t* budget);

  absl::string_view data_;
  size_t pos_;
  size_t op_start_ = 0;
  std::string context_;
  const StorageResolver* resolver_;
  std::deque<Obj> arena_;
  std::vector<Obj*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Obj*> memo_;
  bool done_ = false;
};

}  // namespace mmdet::pth::internal

#endif  // MMDET_CORE_PTH_UNPICKLER_H_
