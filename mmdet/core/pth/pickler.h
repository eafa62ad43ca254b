// Internal to //mmdet/core/pth: the pickler behind SerializePth.
//
// Writes a Value as Python's pickle at protocol 2 writes what torch.save pickles, using only
// opcodes and globals that torch.load(weights_only=True) accepts:
//   dict          EMPTY_DICT, SETITEM / MARK..SETITEMS (batches of 1000)
//   OrderedDict   GLOBAL collections.OrderedDict, EMPTY_TUPLE, REDUCE, items, [state, BUILD]
//   list          EMPTY_LIST, APPEND / MARK..APPENDS;  tuple: EMPTY_TUPLE, TUPLE1-3, MARK..TUPLE
//   int           BININT1 / BININT2 / BININT / LONG1;  float: BINFLOAT;  str: BINUNICODE
//   bytes         GLOBAL _codecs.encode (str, 'latin1') REDUCE (protocol 2 has no BINBYTES)
//   Tensor        GLOBAL torch._utils._rebuild_tensor_v2 with (storage, offset, size, stride,
//                 requires_grad, OrderedDict()), the storage a BINPERSID of
//                 ('storage', GLOBAL torch.FloatStorage, key, 'cpu', numel)
// Globals are memoized (BINPUT once, BINGET after). Tensors that share a storage reference
// one saved storage; storages are keyed "0", "1", ... in order of first use.
#ifndef MMDET_CORE_PTH_PICKLER_H_
#define MMDET_CORE_PTH_PICKLER_H_

#include <ATen/core/Tensor.h>
#include <c10/core/Storage.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmdet/core/pth/pth.h"

namespace mmdet::pth::internal {

// A storage to write as the record "data/<key>": its first `nbytes` bytes (CPU memory).
struct SavedStorage {
  std::string key;
  c10::Storage storage;
  size_t nbytes = 0;
};

// The data.pkl bytes for `value`; appends the storages its tensors use to `storages`.
// InvalidArgument naming the element ("value['a'][2]: ...") for what cannot be saved.
// With `numpy_arrays`, tensors are written as numpy arrays instead (a plain pickle that
// pickle.load reads with numpy and no torch; `storages` stays empty).
absl::StatusOr<std::string> PickleValue(const Value& value, std::vector<SavedStorage>* storages,
                                        bool numpy_arrays = false);

// The legacy storage class torch.save names for `dtype` ("FloatStorage"), or nullptr.
const char* StorageClassName(at::ScalarType dtype);

}  // namespace mmdet::pth::internal

#endif  // MMDET_CORE_PTH_PICKLER_H_
