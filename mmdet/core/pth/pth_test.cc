#include "mmdet/core/pth/pth.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmdet/core/file_io.h"

namespace mmdet::pth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------------------------
// Fixtures made by Python's own pickle (mmdet/core/pth/testdata/make_pth_fixtures.py, standard
// library only: stand-in torch modules make pickle emit the opcodes torch.save emits). Both hold
//   {'meta': {'epoch': 12, 'CLASSES': ('cat', 'dog'), 'mmdet_version': '1.0rc0'},
//    'state_dict': OrderedDict(conv.weight: float32[2, 3] = storage[0:6],
//                              conv.bias: float32[3] = storage[4:7] (shares conv.weight's),
//                              bn.num_batches_tracked: int64[] = long storage[1];
//                              _metadata = OrderedDict({'': {'version': 1}})),
//    'optimizer': {'state': {0: {'momentum_buffer': float32[1] = storage[6:7]}},
//                  'param_groups': [{'lr': 0.02, 'momentum': 0.9, 'weight_decay': 0.0001,
//                                    'nesterov': False, 'params': [0, 1]}]}}
// with the float storage [0.5, -1, 2, 3.25, 4, 5.5, 100] and the long storage [7, -3]:
// kPythonZipHex as a zip archive (zipfile, "archive/" prefix, locations 'cpu'),
// kPythonLegacyHex as the PyTorch < 1.6 stream (locations 'cuda:0', view_metadata None).
// 1349 bytes
constexpr char kPythonZipHex[] =
    "504b030414000000000000002150ed41f3f0e7020000e702000010000000617263686976652f646174612e706b6c"
    "80027d71002858040000006d65746171017d710228580500000065706f636871034b0c5807000000434c41535345"
    "537104580300000063617471055803000000646f677106867107580d0000006d6d6465745f76657273696f6e7108"
    "5806000000312e30726330710975580a00000073746174655f64696374710a63636f6c6c656374696f6e730a4f72"
    "6465726564446963740a710b2952710c28580b000000636f6e762e776569676874710d63746f7263682e5f757469"
    "6c730a5f72656275696c645f74656e736f725f76320a710e2828580700000073746f72616765710f63746f726368"
    "0a466c6f617453746f726167650a71105801000000307111580300000063707571124b07747113514b004b024b03"
    "8671144b034b0186711589680b295271167471175271185809000000636f6e762e626961737119680e2828680f68"
    "10681168124b0774711a514b044b0385711b4b0185711c89680b2952711d74711e52711f5816000000626e2e6e75"
    "6d5f626174636865735f747261636b65647120680e2828680f63746f7263680a4c6f6e6753746f726167650a7121"
    "580100000031712268124b02747123514b01292989680b29527124747125527126757d712758090000005f6d6574"
    "61646174617128680b295271295800000000712a7d712b580700000076657273696f6e712c4b0173737362580900"
    "00006f7074696d697a6572712d7d712e2858050000007374617465712f7d71304b007d7131580f0000006d6f6d65"
    "6e74756d5f6275666665727132680e2828680f6810681168124b07747133514b06681c681c89680b295271347471"
    "355271367373580c000000706172616d5f67726f75707371375d71387d71392858020000006c72713a473f947ae1"
    "47ae147b58080000006d6f6d656e74756d713b473feccccccccccccd580c0000007765696768745f646563617971"
    "3c473f1a36e2eb1c432d58080000006e65737465726f76713d895806000000706172616d73713e5d713f284b004b"
    "0165756175752e504b030414000000000000002150853de319060000000600000011000000617263686976652f62"
    "7974656f726465726c6974746c65504b0304140000000000000021503016ea411c0000001c0000000e0000006172"
    "63686976652f646174612f300000003f000080bf0000004000005040000080400000b0400000c842504b03041400"
    "000000000000215028b4011710000000100000000e000000617263686976652f646174612f310700000000000000"
    "fdffffffffffffff504b030414000000000000002150d19e675502000000020000000f000000617263686976652f"
    "76657273696f6e330a504b0102140314000000000000002150ed41f3f0e7020000e7020000100000000000000000"
    "000000800100000000617263686976652f646174612e706b6c504b0102140314000000000000002150853de31906"
    "00000006000000110000000000000000000000800115030000617263686976652f627974656f72646572504b0102"
    "1403140000000000000021503016ea411c0000001c0000000e000000000000000000000080014a03000061726368"
    "6976652f646174612f30504b010214031400000000000000215028b4011710000000100000000e00000000000000"
    "00000000800192030000617263686976652f646174612f31504b0102140314000000000000002150d19e67550200"
    "0000020000000f00000000000000000000008001ce030000617263686976652f76657273696f6e504b0506000000"
    "000500050032010000fd0300000000";
// 999 bytes
constexpr char kPythonLegacyHex[] =
    "80028a0a6cfc9c46f9206aa850192e80024de9032e80027d710028581000000070726f746f636f6c5f7665727369"
    "6f6e71014de903580d0000006c6974746c655f656e6469616e710288580a000000747970655f73697a657371037d"
    "710428580500000073686f727471054b025803000000696e7471064b0458040000006c6f6e6771074b0875752e80"
    "027d71002858040000006d65746171017d710228580500000065706f636871034b0c5807000000434c4153534553"
    "7104580300000063617471055803000000646f677106867107580d0000006d6d6465745f76657273696f6e710858"
    "06000000312e30726330710975580a00000073746174655f64696374710a63636f6c6c656374696f6e730a4f7264"
    "65726564446963740a710b2952710c28580b000000636f6e762e776569676874710d63746f7263682e5f7574696c"
    "730a5f72656275696c645f74656e736f725f76320a710e2828580700000073746f72616765710f63746f7263680a"
    "466c6f617453746f726167650a71105808000000393434313230373071115806000000637564613a3071124b074e"
    "747113514b004b024b038671144b034b0186711589680b295271167471175271185809000000636f6e762e626961"
    "737119680e2828680f6810681168124b074e74711a514b044b0385711b4b0185711c89680b2952711d74711e5271"
    "1f5816000000626e2e6e756d5f626174636865735f747261636b65647120680e2828680f63746f7263680a4c6f6e"
    "6753746f726167650a712158080000003934343132303731712268124b024e747123514b01292989680b29527124"
    "747125527126757d712758090000005f6d657461646174617128680b295271295800000000712a7d712b58070000"
    "0076657273696f6e712c4b017373736258090000006f7074696d697a6572712d7d712e2858050000007374617465"
    "712f7d71304b007d7131580f0000006d6f6d656e74756d5f6275666665727132680e2828680f6810681168124b07"
    "4e747133514b06681c681c89680b295271347471355271367373580c000000706172616d5f67726f75707371375d"
    "71387d71392858020000006c72713a473f947ae147ae147b58080000006d6f6d656e74756d713b473feccccccccc"
    "cccd580c0000007765696768745f6465636179713c473f1a36e2eb1c432d58080000006e65737465726f76713d89"
    "5806000000706172616d73713e5d713f284b004b0165756175752e80025d71002858080000003934343132303730"
    "7101580800000039343431323037317102652e07000000000000000000003f000080bf0000004000005040000080"
    "400000b0400000c84202000000000000000700000000000000fdffffffffffffff";

std::string FromHex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// ---------------------------------------------------------------------------------------------
// Building inputs

// Assembles a pickle opcode by opcode (protocol 2 unless told otherwise).
class Pickle {
 public:
  explicit Pickle(int protocol = 2) {
    bytes_.push_back('\x80');
    bytes_.push_back(static_cast<char>(protocol));
  }
  Pickle& Op(absl::string_view ops) {
    bytes_.append(ops.data(), ops.size());
    return *this;
  }
  // Literals keep their embedded NULs.
  template <size_t N>
  Pickle& Op(const char (&ops)[N]) {
    return Op(absl::string_view(ops, N - 1));
  }
  Pickle& Le(uint64_t v, int n) {
    for (int k = 0; k < n; ++k) bytes_.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
    return *this;
  }
  Pickle& Str(absl::string_view s) {  // BINUNICODE
    Op("X").Le(s.size(), 4);
    return Op(s);
  }
  template <size_t N>
  Pickle& Str(const char (&s)[N]) {
    return Str(absl::string_view(s, N - 1));
  }
  Pickle& ShortStr(absl::string_view s) {  // SHORT_BINUNICODE (protocol 4)
    Op("\x8c").Le(s.size(), 1);
    return Op(s);
  }
  Pickle& Int(int32_t v) { return Op("J").Le(static_cast<uint32_t>(v), 4); }  // BININT
  Pickle& Global(absl::string_view module, absl::string_view name) {
    return Op("c").Op(module).Op("\n").Op(name).Op("\n");
  }
  Pickle& Put(int i) { return Op("q").Le(i, 1); }
  Pickle& Get(int i) { return Op("h").Le(i, 1); }
  // BINPERSID of ('storage', torch.<type>, key, 'cpu', numel).
  Pickle& Storage(absl::string_view type, absl::string_view key, int numel) {
    Op("(").Str("storage").Global("torch", type).Str(key).Str("cpu").Int(numel);
    return Op("tQ");
  }
  // _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).
  Pickle& Tensor(absl::string_view type, absl::string_view key, int numel, int offset,
                 const std::vector<int>& size, const std::vector<int>& stride) {
    Global("torch._utils", "_rebuild_tensor_v2").Op("(");
    Storage(type, key, numel).Int(offset);
    IntTuple(size).IntTuple(stride);
    return Op("\x89").Global("collections", "OrderedDict").Op(")R").Op("tR");
  }
  Pickle& IntTuple(const std::vector<int>& values) {
    Op("(");
    for (int v : values) Int(v);
    return Op("t");
  }
  std::string Stop() const { return bytes_ + "."; }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// A zip archive as torch.save writes it ("archive/<name>" records, version 3).
std::string MakeZip(const std::vector<std::pair<std::string, std::string>>& records) {
  std::string out;
  caffe2::serialize::PyTorchStreamWriter writer([&out](const void* data, size_t n) {
    out.append(static_cast<const char*>(data), n);
    return n;
  });
  for (const auto& [name, bytes] : records) writer.writeRecord(name, bytes.data(), bytes.size());
  writer.writeEndOfFile();
  return out;
}

std::string ZipWithPickle(const std::string& pickle,
                          std::vector<std::pair<std::string, std::string>> storages = {}) {
  storages.insert(storages.begin(), {"data.pkl", pickle});
  return MakeZip(storages);
}

std::string Floats(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

// The legacy stream: magic, protocol version, sys_info, `main`, the key list, then each storage
// as (int64 element count, raw bytes).
std::string MakeLegacy(const std::string& main,
                       const std::vector<std::pair<std::string, std::string>>& storages,
                       int element_size = 4) {
  std::string out = FromHex(
      "80028a0a6cfc9c46f9206aa85019"
      "2e");                       // LONG1 magic, STOP
  out += FromHex("80024de9032e");  // BININT2 1001
  out += Pickle()
             .Op("}(")
             .Str("little_endian")
             .Op("\x88")
             .Str("protocol_version")
             .Int(1001)
             .Op("u")
             .Stop();
  out += main;
  Pickle keys;
  keys.Op("](");
  for (const auto& storage : storages) keys.Str(storage.first);
  out += keys.Op("e").Stop();
  for (const auto& storage : storages) {
    const uint64_t count = storage.second.size() / element_size;
    for (int k = 0; k < 8; ++k) out.push_back(static_cast<char>((count >> (8 * k)) & 0xFF));
    out += storage.second;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checking results

std::string ErrorOf(absl::string_view bytes) {
  absl::StatusOr<Value> value = ParsePth(bytes, "x.pth");
  if (value.ok()) return "OK";
  EXPECT_EQ(value.status().code(), absl::StatusCode::kDataLoss) << value.status();
  return std::string(value.status().message());
}

std::string PickleError(const std::string& pickle) { return ErrorOf(ZipWithPickle(pickle)); }

absl::StatusOr<Value> ParsePickle(const std::string& pickle) {
  return ParsePth(ZipWithPickle(pickle), "x.pth");
}

// Bitwise equality of dtype, shape, strides, storage offset and elements.
void ExpectSameTensor(const at::Tensor& a, const at::Tensor& b, const std::string& where) {
  ASSERT_TRUE(a.defined() && b.defined()) << where;
  EXPECT_EQ(a.scalar_type(), b.scalar_type()) << where;
  EXPECT_EQ(a.sizes(), b.sizes()) << where;
  EXPECT_EQ(a.strides(), b.strides()) << where;
  EXPECT_EQ(a.storage_offset(), b.storage_offset()) << where;
  const at::Tensor ca = a.contiguous(), cb = b.contiguous();
  ASSERT_EQ(ca.nbytes(), cb.nbytes()) << where;
  if (ca.nbytes() > 0) {
    EXPECT_EQ(std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()), 0) << where;
  }
}

void ExpectSameValue(const Value& a, const Value& b, const std::string& where = "value") {
  ASSERT_EQ(a.kind(), b.kind()) << where << ": " << a.DebugString() << " vs " << b.DebugString();
  switch (a.kind()) {
    case Value::Kind::kNone:
      return;
    case Value::Kind::kBool:
      EXPECT_EQ(a.as_bool(), b.as_bool()) << where;
      return;
    case Value::Kind::kInt:
      EXPECT_EQ(a.as_int(), b.as_int()) << where;
      return;
    case Value::Kind::kFloat:
      EXPECT_EQ(a.as_float(), b.as_float()) << where;
      return;
    case Value::Kind::kString:
    case Value::Kind::kBytes:
      EXPECT_EQ(a.as_string(), b.as_string()) << where;
      return;
    case Value::Kind::kTensor:
      ExpectSameTensor(a.tensor(), b.tensor(), where);
      return;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      ASSERT_EQ(a.size(), b.size()) << where;
      for (size_t i = 0; i < a.size(); ++i) {
        ExpectSameValue(a.items()[i], b.items()[i], absl::StrCat(where, "[", i, "]"));
      }
      return;
    case Value::Kind::kDict:
      EXPECT_EQ(a.is_ordered_dict(), b.is_ordered_dict()) << where;
      ASSERT_EQ(a.size(), b.size()) << where;
      for (size_t i = 0; i < a.size(); ++i) {
        const std::string sub = absl::StrCat(where, "[", a.entries()[i].key.DebugString(), "]");
        ExpectSameValue(a.entries()[i].key, b.entries()[i].key, sub + " key");
        ExpectSameValue(a.entries()[i].value, b.entries()[i].value, sub);
      }
      ASSERT_EQ(a.dict_state() == nullptr, b.dict_state() == nullptr) << where;
      if (a.dict_state() != nullptr) {
        ExpectSameValue(*a.dict_state(), *b.dict_state(), where + ".__dict__");
      }
      return;
  }
}

std::vector<float> FloatsOf(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// The checkpoint both Python fixtures hold (see above).
void CheckFixtureCheckpoint(const Value& ckpt) {
  ASSERT_TRUE(ckpt.is_dict()) << ckpt.DebugString();
  EXPECT_FALSE(ckpt.is_ordered_dict());
  ASSERT_EQ(ckpt.size(), 3u);
  EXPECT_EQ(ckpt.entries()[0].key.as_string(), "meta");
  EXPECT_EQ(ckpt.entries()[1].key.as_string(), "state_dict");
  EXPECT_EQ(ckpt.entries()[2].key.as_string(), "optimizer");

  const Value* meta = ckpt.Find("meta");
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(meta->DebugString(),
            "{'epoch': 12, 'CLASSES': ('cat', 'dog'), 'mmdet_version': '1.0rc0'}");

  const Value* state_dict = ckpt.Find("state_dict");
  ASSERT_NE(state_dict, nullptr);
  ASSERT_TRUE(state_dict->is_ordered_dict());
  ASSERT_EQ(state_dict->size(), 3u);
  EXPECT_EQ(state_dict->entries()[0].key.as_string(), "conv.weight");
  EXPECT_EQ(state_dict->entries()[1].key.as_string(), "conv.bias");
  EXPECT_EQ(state_dict->entries()[2].key.as_string(), "bn.num_batches_tracked");
  const at::Tensor weight = state_dict->Find("conv.weight")->tensor();
  const at::Tensor bias = state_dict->Find("conv.bias")->tensor();
  const at::Tensor steps = state_dict->Find("bn.num_batches_tracked")->tensor();
  ASSERT_TRUE(weight.defined() && bias.defined() && steps.defined());
  EXPECT_EQ(weight.scalar_type(), at::kFloat);
  EXPECT_EQ(weight.sizes(), at::IntArrayRef({2, 3}));
  EXPECT_EQ(weight.device(), at::Device(at::kCPU));
  EXPECT_THAT(FloatsOf(weight), ElementsAre(0.5f, -1.0f, 2.0f, 3.25f, 4.0f, 5.5f));
  EXPECT_THAT(FloatsOf(bias), ElementsAre(4.0f, 5.5f, 100.0f));
  // conv.bias is a view of conv.weight's storage: same memory, 4 elements in.
  EXPECT_EQ(bias.storage().unsafeGetStorageImpl(), weight.storage().unsafeGetStorageImpl());
  EXPECT_EQ(static_cast<float*>(bias.data_ptr()), static_cast<float*>(weight.data_ptr()) + 4);
  EXPECT_EQ(steps.scalar_type(), at::kLong);
  EXPECT_EQ(steps.dim(), 0);
  EXPECT_EQ(steps.item<int64_t>(), -3);
  ASSERT_NE(state_dict->dict_state(), nullptr);
  EXPECT_EQ(state_dict->dict_state()->DebugString(),
            "{'_metadata': OrderedDict({'': {'version': 1}})}");

  const Value* optimizer = ckpt.Find("optimizer");
  ASSERT_NE(optimizer, nullptr);
  const Value* state = optimizer->Find("state");
  ASSERT_NE(state, nullptr);
  const Value* slot = state->Find(0);
  ASSERT_NE(slot, nullptr);
  const at::Tensor buffer = slot->Find("momentum_buffer")->tensor();
  EXPECT_THAT(FloatsOf(buffer), ElementsAre(100.0f));
  EXPECT_EQ(buffer.storage().unsafeGetStorageImpl(), weight.storage().unsafeGetStorageImpl());
  const Value* groups = optimizer->Find("param_groups");
  ASSERT_NE(groups, nullptr);
  EXPECT_EQ(groups->DebugString(),
            "[{'lr': 0.02, 'momentum': 0.9, 'weight_decay': 0.0001, 'nesterov': False, "
            "'params': [0, 1]}]");
  const Value& group = groups->items()[0];
  EXPECT_DOUBLE_EQ(group.Find("lr")->as_float(), 0.02);
  EXPECT_DOUBLE_EQ(group.Find("momentum")->as_float(), 0.9);
  EXPECT_TRUE(group.Find("nesterov")->is_bool());
}

// A checkpoint-like value with every kind and the awkward tensors.
Value MakeCheckpoint() {
  const at::Tensor base = at::arange(24, at::kFloat).reshape({4, 6});
  Value state_dict = Value::OrderedDict();
  state_dict.Set("conv.weight", Value::Tensor(at::randn({8, 3, 3, 3}, at::kFloat)));
  state_dict.Set("conv.bias", Value::Tensor(at::randn({8}, at::kDouble)));
  state_dict.Set("half", Value::Tensor(at::randn({5}).to(at::kHalf)));
  state_dict.Set("bfloat16", Value::Tensor(at::randn({2, 2}).to(at::kBFloat16)));
  state_dict.Set("int64", Value::Tensor(at::arange(-3, 3, at::kLong)));
  state_dict.Set("int32", Value::Tensor(at::arange(-3, 3, at::kInt)));
  state_dict.Set("int16", Value::Tensor(at::arange(-3, 3, at::kShort)));
  state_dict.Set("int8", Value::Tensor(at::arange(-3, 3, at::kChar)));
  state_dict.Set("uint8", Value::Tensor(at::arange(250, 256, at::kByte)));
  state_dict.Set("bool", Value::Tensor(at::arange(4, at::kLong).remainder(2).to(at::kBool)));
  state_dict.Set("bn.num_batches_tracked", Value::Tensor(at::scalar_tensor(7, at::kLong)));
  state_dict.Set("empty", Value::Tensor(at::empty({0, 3}, at::kFloat)));
  state_dict.Set("transposed", Value::Tensor(base.t()));        // non-contiguous
  state_dict.Set("column", Value::Tensor(base.select(1, 2)));   // strided view of base
  state_dict.Set("rows", Value::Tensor(base.narrow(0, 1, 2)));  // offset view of base
  Value metadata = Value::OrderedDict();
  metadata.Set("", Value::Dict({{Value::String("version"), Value::Int(1)}}));
  state_dict.set_dict_state(Value::Dict({{Value::String("_metadata"), metadata}}));

  Value meta = Value::Dict();
  meta.Set("epoch", Value::Int(12));
  meta.Set("iter", Value::Int(int64_t{1} << 40));
  meta.Set("min", Value::Int(INT64_MIN));
  meta.Set("neg", Value::Int(-70000));
  meta.Set("lr", Value::Float(0.02));
  meta.Set("inf", Value::Float(-INFINITY));
  meta.Set("CLASSES", Value::Tuple({Value::String("cat"), Value::String("dög")}));
  meta.Set("one", Value::Tuple({Value::Int(1)}));
  meta.Set("four", Value::Tuple({Value::Int(1), Value::Int(2), Value::Int(3), Value::Int(4)}));
  meta.Set("none", Value::None());
  meta.Set("flag", Value::Bool(true));
  meta.Set("blob", Value::Bytes(std::string("\x00\x7f\x80\xff", 4)));
  meta.Set("empty_bytes", Value::Bytes(""));
  meta.Set("list", Value::List({Value::Int(1), Value::List(), Value::Tuple(), Value::Dict()}));

  Value group = Value::Dict();
  group.Set("lr", Value::Float(0.02));
  group.Set("momentum", Value::Float(0.9));
  group.Set("weight_decay", Value::Float(0.0001));
  group.Set("nesterov", Value::Bool(false));
  group.Set("params", Value::List({Value::Int(0), Value::Int(1)}));
  Value optimizer = Value::Dict();
  Value slots = Value::Dict();
  slots.Set(
      Value::Int(0),
      Value::Dict({{Value::String("momentum_buffer"), Value::Tensor(at::ones({8, 3, 3, 3}))}}));
  optimizer.Set("state", std::move(slots));
  optimizer.Set("param_groups", Value::List({group}));

  Value ckpt = Value::Dict();
  ckpt.Set("meta", std::move(meta));
  ckpt.Set("state_dict", std::move(state_dict));
  ckpt.Set("optimizer", std::move(optimizer));
  return ckpt;
}

// The opcodes and globals of a protocol-2 pickle as written by SerializePth, or a failure for
// anything torch.load(weights_only=True) would refuse.
void ExpectWeightsOnlyLoadable(const std::string& pickle) {
  static const std::set<std::string> kAllowedGlobals = {
      "collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
      "_codecs.encode",          "torch.FloatStorage",
      "torch.DoubleStorage",     "torch.HalfStorage",
      "torch.BFloat16Storage",   "torch.LongStorage",
      "torch.IntStorage",        "torch.ShortStorage",
      "torch.CharStorage",       "torch.ByteStorage",
      "torch.BoolStorage"};
  // Opcode -> argument bytes (-1: two text lines, -2: 1-byte length, -3: 4-byte length).
  static const std::map<unsigned char, int> kAllowedOps = {
      {0x80, 1}, {'c', -1},  {'q', 1},  {'r', 4},  {'h', 1},  {'j', 4},  {'(', 0}, {'}', 0},
      {']', 0},  {')', 0},   {0x85, 0}, {0x86, 0}, {0x87, 0}, {'t', 0},  {'K', 1}, {'M', 2},
      {'J', 4},  {0x8a, -2}, {'G', 8},  {'X', -3}, {0x88, 0}, {0x89, 0}, {'N', 0}, {'R', 0},
      {'b', 0},  {'a', 0},   {'e', 0},  {'s', 0},  {'u', 0},  {'Q', 0},  {'.', 0}};
  ASSERT_GE(pickle.size(), 3u);
  EXPECT_EQ(pickle.substr(0, 2), std::string("\x80\x02", 2));
  size_t pos = 0;
  while (pos < pickle.size()) {
    const unsigned char op = pickle[pos++];
    auto it = kAllowedOps.find(op);
    ASSERT_NE(it, kAllowedOps.end()) << "opcode 0x" << std::hex << int{op} << " at " << pos - 1;
    if (op == '.') {
      EXPECT_EQ(pos, pickle.size());
      return;
    }
    if (it->second == -1) {
      const size_t nl1 = pickle.find('\n', pos);
      const size_t nl2 = pickle.find('\n', nl1 + 1);
      ASSERT_NE(nl2, std::string::npos);
      const std::string global =
          absl::StrCat(pickle.substr(pos, nl1 - pos), ".", pickle.substr(nl1 + 1, nl2 - nl1 - 1));
      EXPECT_TRUE(kAllowedGlobals.count(global)) << global;
      pos = nl2 + 1;
    } else if (it->second == -2) {
      pos += 1 + static_cast<unsigned char>(pickle[pos]);
    } else if (it->second == -3) {
      uint32_t n = 0;
      std::memcpy(&n, pickle.data() + pos, 4);
      pos += 4 + n;
    } else {
      pos += it->second;
    }
  }
  ADD_FAILURE() << "no STOP";
}

// ---------------------------------------------------------------------------------------------
// Value

TEST(ValueTest, BuildersAndAccessors) {
  EXPECT_TRUE(Value().is_none());
  EXPECT_TRUE(Value::Bool(true).as_bool());
  EXPECT_EQ(Value::Bool(true).as_int(), 1);
  EXPECT_EQ(Value::Int(-5).as_int(), -5);
  EXPECT_EQ(Value::Int(3).as_float(), 3.0);
  EXPECT_EQ(Value::Float(2.5).as_float(), 2.5);
  EXPECT_EQ(Value::String("abc").as_string(), "abc");
  EXPECT_TRUE(Value::Bytes("x").is_bytes());
  EXPECT_EQ(Value::Bytes("x").as_string(), "x");
  EXPECT_TRUE(Value::Tensor(at::ones({2})).is_tensor());
  // Other kinds give zero values, never undefined behaviour.
  EXPECT_EQ(Value::String("7").as_int(), 0);
  EXPECT_EQ(Value::Int(7).as_string(), "");
  EXPECT_FALSE(Value::Int(7).tensor().defined());
  EXPECT_TRUE(Value::Int(7).items().empty());
  EXPECT_EQ(Value::Int(7).Find("a"), nullptr);
  EXPECT_EQ(Value::Int(7).size(), 0u);

  Value list = Value::List();
  list.Append(Value::Int(1));
  list.Append(Value::String("two"));
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(list.DebugString(), "[1, 'two']");
  EXPECT_EQ(Value::Tuple({Value::None()}).DebugString(), "(None,)");
  EXPECT_STREQ(Value::KindName(Value::Kind::kDict), "dict");
}

TEST(ValueTest, DictSetFindAndOrder) {
  Value dict = Value::OrderedDict();
  dict.Set("b", Value::Int(1));
  dict.Set("a", Value::Int(2));
  dict.Set(Value::Int(3), Value::String("three"));
  dict.Set("b", Value::Int(10));  // replaced in place
  ASSERT_EQ(dict.size(), 3u);
  EXPECT_EQ(dict.DebugString(), "OrderedDict({'b': 10, 'a': 2, 3: 'three'})");
  EXPECT_EQ(dict.Find("a")->as_int(), 2);
  EXPECT_EQ(dict.Find(3)->as_string(), "three");
  EXPECT_EQ(dict.Find("c"), nullptr);
  EXPECT_EQ(dict.Find(4), nullptr);
  // Python's key equality: 3 == 3.0 and True == 1.
  dict.Set(Value::Float(3.0), Value::String("float three"));
  EXPECT_EQ(dict.Find(3)->as_string(), "float three");
  dict.Set(Value::Bool(true), Value::None());
  dict.Set(Value::Int(1), Value::Int(1));
  EXPECT_EQ(dict.size(), 4u);
  EXPECT_TRUE(dict.is_ordered_dict());
  EXPECT_FALSE(Value::Dict().is_ordered_dict());
}

TEST(ValueTest, DebugString) {
  Value v = Value::Dict();
  v.Set("t", Value::Tensor(at::zeros({2, 3}, at::kHalf)));
  v.Set("f",
        Value::List({Value::Float(1), Value::Float(0.1), Value::Float(1e300), Value::Float(NAN)}));
  v.Set("s", Value::String("it's\n"));
  v.Set("b", Value::Bytes(std::string("a\x00\xff", 3)));
  EXPECT_EQ(v.DebugString(),
            "{'t': Tensor(float16[2, 3]), 'f': [1.0, 0.1, 1e+300, nan], 's': 'it\\'s\\n', "
            "'b': b'a\\x00\\xff'}");
}

// ---------------------------------------------------------------------------------------------
// Writing then reading

TEST(RoundTripTest, CheckpointLikeValue) {
  at::manual_seed(0);
  const Value ckpt = MakeCheckpoint();
  absl::StatusOr<std::string> bytes = SerializePth(ckpt);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_TRUE(absl::StartsWith(*bytes, "PK\x03\x04"));
  absl::StatusOr<Value> loaded = ParsePth(*bytes, "ckpt.pth");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectSameValue(ckpt, *loaded);
  EXPECT_EQ(loaded->Find("meta")->Find("CLASSES")->items()[1].as_string(), "dög");
}

TEST(RoundTripTest, ViewsShareMemoryAfterLoading) {
  const at::Tensor base = at::arange(12, at::kFloat).reshape({3, 4});
  Value dict = Value::OrderedDict();
  dict.Set("first_row", Value::Tensor(base.select(0, 0)));
  dict.Set("last_column", Value::Tensor(base.select(1, 3)));
  dict.Set("base", Value::Tensor(base));
  dict.Set("copy", Value::Tensor(base.clone()));
  absl::StatusOr<std::string> bytes = SerializePth(dict);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<Value> loaded = ParsePth(*bytes, "views.pth");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectSameValue(dict, *loaded);
  at::Tensor row = loaded->Find("first_row")->tensor();
  at::Tensor column = loaded->Find("last_column")->tensor();
  at::Tensor whole = loaded->Find("base")->tensor();
  at::Tensor copy = loaded->Find("copy")->tensor();
  EXPECT_EQ(row.storage().unsafeGetStorageImpl(), whole.storage().unsafeGetStorageImpl());
  EXPECT_EQ(column.storage().unsafeGetStorageImpl(), whole.storage().unsafeGetStorageImpl());
  EXPECT_NE(copy.storage().unsafeGetStorageImpl(), whole.storage().unsafeGetStorageImpl());
  row[3].fill_(-1);  // element (0, 3) is in both views
  EXPECT_EQ(column[0].item<float>(), -1);
  EXPECT_EQ(whole[0][3].item<float>(), -1);
  EXPECT_EQ(copy[0][3].item<float>(), 3);
}

TEST(RoundTripTest, ArchiveIsWhatTorchLoadReads) {
  at::manual_seed(0);
  absl::StatusOr<std::string> bytes = SerializePth(MakeCheckpoint());
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  std::istringstream in(*bytes);
  caffe2::serialize::PyTorchStreamReader reader(&in);
  auto record = [&](const std::string& name) {
    auto [data, size] = reader.getRecord(name);
    return std::string(static_cast<const char*>(data.get()), size);
  };
  EXPECT_EQ(record("version"), "3\n");
  EXPECT_EQ(record("byteorder"), "little");
  int storages = 0;
  for (const std::string& name : reader.getAllRecords()) {
    storages += absl::StartsWith(name, "data/");
  }
  // 15 state_dict tensors of which 3 share `base`, plus the momentum buffer: 14 storages.
  EXPECT_EQ(storages, 14);
  EXPECT_TRUE(reader.hasRecord("data/13"));
  EXPECT_EQ(record("data/0").size(), 8u * 27u * 4u);  // conv.weight, float32
  ExpectWeightsOnlyLoadable(record("data.pkl"));
}

TEST(RoundTripTest, LargeContainersUseBatches) {
  Value list = Value::List();
  Value dict = Value::Dict();
  for (int i = 0; i < 2500; ++i) {
    list.Append(Value::Int(int64_t{i} * 1000003));
    dict.Set(Value::Int(i), Value::String(std::to_string(i)));
  }
  Value value = Value::Tuple({list, dict, Value::List({Value::Int(1)}), Value::Dict()});
  value.mutable_items()[3].Set("only", Value::Int(1));
  absl::StatusOr<std::string> bytes = SerializePth(value);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<Value> loaded = ParsePth(*bytes, "big.pth");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectSameValue(value, *loaded);
}

TEST(RoundTripTest, SaveAndLoadFile) {
  const std::string path = TempDir() + "/pth_test_save.pth";
  Value value = Value::Dict({{Value::String("w"), Value::Tensor(at::ones({2, 2}))}});
  ASSERT_TRUE(SavePth(path, value).ok());
  absl::StatusOr<Value> loaded = LoadPth(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectSameValue(value, *loaded);
  EXPECT_EQ(LoadPth(TempDir() + "/missing.pth").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(SavePth(TempDir() + "/no/such/dir/x.pth", value).code(), absl::StatusCode::kNotFound);
}

TEST(SerializeTest, UnsupportedValuesNameTheElement) {
  Value value = Value::Dict();
  value.Set("state_dict", Value::OrderedDict());
  value.Find("state_dict")->Set("w", Value::Tensor(at::Tensor()));
  EXPECT_EQ(SerializePth(value).status().message(),
            "value['state_dict']['w']: cannot save an undefined tensor");
  value.Find("state_dict")->Set("w", Value::Tensor(at::ones({2}, at::kComplexFloat)));
  EXPECT_EQ(SerializePth(value).status().message(),
            "value['state_dict']['w']: cannot save a tensor of dtype ComplexFloat");
  EXPECT_EQ(SerializePth(value).status().code(), absl::StatusCode::kInvalidArgument);

  Value plain = Value::Dict();
  plain.set_dict_state(Value::Dict({{Value::String("a"), Value::Int(1)}}));
  EXPECT_THAT(std::string(SerializePth(Value::List({plain})).status().message()),
              StartsWith("value[0]: a plain dict cannot have attributes"));

  Value deep = Value::List();
  for (int i = 0; i < 1100; ++i) deep = Value::List({deep});
  EXPECT_THAT(std::string(SerializePth(deep).status().message()),
              HasSubstr("nested deeper than 1000"));
}

// ---------------------------------------------------------------------------------------------
// Files written by Python

TEST(PythonFixtureTest, ZipArchive) {
  absl::StatusOr<Value> ckpt = ParsePth(FromHex(kPythonZipHex), "python_zip.pth");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  CheckFixtureCheckpoint(*ckpt);
}

TEST(PythonFixtureTest, LegacyStream) {
  absl::StatusOr<Value> ckpt = ParsePth(FromHex(kPythonLegacyHex), "python_legacy.pth");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  CheckFixtureCheckpoint(*ckpt);
}

TEST(PythonFixtureTest, RewrittenFixtureReadsTheSame) {
  absl::StatusOr<Value> ckpt = ParsePth(FromHex(kPythonLegacyHex), "python_legacy.pth");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  absl::StatusOr<std::string> bytes = SerializePth(*ckpt);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<Value> again = ParsePth(*bytes, "again.pth");
  ASSERT_TRUE(again.ok()) << again.status();
  CheckFixtureCheckpoint(*again);
}

// Files written by torch.save of PyTorch 2.11 (testdata/torch2_*.pth, made by
// testdata/make_torch_fixtures.py on a machine with torch):
// torch2_ckpt_* hold the checkpoint of the Python fixtures above, built from real tensors
// (base = torch.tensor([0.5, -1, 2, 3.25, 4, 5.5, 100]); conv.weight = base[:6].view(2, 3),
// conv.bias = base[4:7], momentum_buffer = base[6:7], num_batches_tracked =
// torch.tensor([7, -3])[1]); torch2_kitchen_* hold
//   {'param': nn.Parameter(torch.tensor([1., 2.])), 'half': tensor([1.5, -2.], float16),
//    'bf16': tensor([0.25], bfloat16), 'bool': tensor([True, False]),
//    'i8': tensor([-1, 2], int8), 'bytes': b'\x00\xff', 'big': 2**40, 'neg': -5,
//    'none': None, 'f': 1.5, 'nested': [(1, 2), {'a': [3]}], 'empty': torch.empty(0, 3),
//    't': torch.arange(6.).view(2, 3).t()}
// each saved as torch.save(obj, path) (zip) and with _use_new_zipfile_serialization=False.
std::string TestDataPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/mmdet_cpp/mmdet/core/pth/testdata/", name);
}

TEST(TorchFixtureTest, CheckpointZipAndLegacy) {
  for (const char* name : {"torch2_ckpt_zip.pth", "torch2_ckpt_legacy.pth"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<Value> ckpt = LoadPth(TestDataPath(name));
    ASSERT_TRUE(ckpt.ok()) << ckpt.status();
    CheckFixtureCheckpoint(*ckpt);
  }
}

TEST(TorchFixtureTest, KitchenSinkZipAndLegacy) {
  for (const char* name : {"torch2_kitchen_zip.pth", "torch2_kitchen_legacy.pth"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<Value> v = LoadPth(TestDataPath(name));
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->DebugString(),
              "{'param': Tensor(float32[2]), 'half': Tensor(float16[2]), 'bf16': "
              "Tensor(bfloat16[1]), 'bool': Tensor(bool[2]), 'i8': Tensor(int8[2]), 'bytes': "
              "b'\\x00\\xff', 'big': 1099511627776, 'neg': -5, 'none': None, 'f': 1.5, "
              "'nested': [(1, 2), {'a': [3]}], 'empty': Tensor(float32[0, 3]), 't': "
              "Tensor(float32[3, 2])}");
    const at::Tensor param = v->Find("param")->tensor();
    EXPECT_TRUE(param.requires_grad());
    EXPECT_THAT(FloatsOf(param.detach()), ElementsAre(1, 2));
    EXPECT_THAT(FloatsOf(v->Find("half")->tensor().to(at::kFloat)), ElementsAre(1.5, -2));
    EXPECT_THAT(FloatsOf(v->Find("bf16")->tensor().to(at::kFloat)), ElementsAre(0.25));
    EXPECT_THAT(FloatsOf(v->Find("bool")->tensor().to(at::kFloat)), ElementsAre(1, 0));
    EXPECT_THAT(FloatsOf(v->Find("i8")->tensor().to(at::kFloat)), ElementsAre(-1, 2));
    const at::Tensor t = v->Find("t")->tensor();
    EXPECT_EQ(t.strides(), at::IntArrayRef({1, 3}));
    EXPECT_THAT(FloatsOf(t), ElementsAre(0, 3, 1, 4, 2, 5));
  }
}

// ---------------------------------------------------------------------------------------------
// Opcodes and globals

TEST(UnpicklerTest, Protocol4FramingMemoizeAndStackGlobal) {
  // What pickle.dumps(OrderedDict(a=[1, 'x'], b=b'\x01'), protocol=4) looks like.
  Pickle p(4);
  p.Op("\x95").Le(0, 8);  // FRAME (its length is not checked)
  p.ShortStr("collections").Op("\x94").ShortStr("OrderedDict").Op("\x94\x93\x94");
  p.Op(")R\x94(")
      .ShortStr("a")
      .Op("\x94]\x94(K\x01")
      .ShortStr("x")
      .Op("\x94"
          "e");
  p.ShortStr("b").Op("\x94").Op("C\x01\x01").Op("\x94u.");
  absl::StatusOr<Value> v = ParsePth(ZipWithPickle(p.bytes()), "p4.pth");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->DebugString(), "OrderedDict({'a': [1, 'x'], 'b': b'\\x01'})");
}

TEST(UnpicklerTest, ScalarOpcodes) {
  Pickle p;
  p.Op("(");
  p.Op("I00\n").Op("I01\n").Op("I-12\n").Op("L123456789012L\n").Op("F0.25\n");
  p.Op("K\xff").Op("M\xff\xff").Int(-2);
  p.Op("\x8a\x00");                                      // LONG1 0
  p.Op("\x8a\x01\xff");                                  // LONG1 -1
  p.Op("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00");  // LONG1 2^63
  p.Op("t.");
  // 2^63 does not fit in an int64: rejected when the object is converted.
  EXPECT_THAT(PickleError(p.bytes()), HasSubstr("does not fit in 64 bits"));

  Pickle q;
  q.Op("(");
  q.Op("I00\n").Op("I01\n").Op("I-12\n").Op("L123456789012L\n").Op("F0.25\n");
  q.Op("K\xff").Op("M\xff\xff").Int(-2);
  q.Op("\x8a\x00").Op("\x8a\x01\xff");
  q.Op("\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\x00");  // INT64_MAX with a sign byte
  q.Op("\x8b\x02\x00\x00\x00\x00\x80");                  // LONG4 -32768
  q.Op("G\x3f\xf8\x00\x00\x00\x00\x00\x00");             // BINFLOAT 1.5
  q.Op("U\x02hi").Op("T\x01\x00\x00\x00!");              // Python 2 str -> str
  q.Op("B\x01\x00\x00\x00z").Op("\x8e\x00\x00\x00\x00\x00\x00\x00\x00");  // bytes
  q.Op("\x8d\x01\x00\x00\x00\x00\x00\x00\x00u");                          // BINUNICODE8
  q.Op("N\x88\x89").Op("t.");
  absl::StatusOr<Value> v = ParsePickle(q.bytes());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->DebugString(),
            "(False, True, -12, 123456789012, 0.25, 255, 65535, -2, 0, -1, 9223372036854775807, "
            "-32768, 1.5, 'hi', '!', b'z', b'', 'u', None, True, False)");
}

TEST(UnpicklerTest, StackOpcodesAndContainers) {
  Pickle p;
  p.Op("(").Int(1).Op("2");                                   // DUP
  p.Op("(").Int(9).Op("1");                                   // POP_MARK drops (9
  p.Int(8).Op("0");                                           // POP
  p.Op("(").Op("0");                                          // POP of an empty MARK
  p.Op("(").Str("k").Int(2).Op("d");                          // DICT
  p.Op("(").Int(3).Int(4).Op("l");                            // LIST
  p.Op("(").Int(5).Op("t");                                   // TUPLE
  p.Op("}").Str("k").Int(1).Op("s").Str("k").Int(2).Op("s");  // duplicate key replaces
  p.Op("t.");
  absl::StatusOr<Value> v = ParsePickle(p.bytes());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->DebugString(), "(1, 1, {'k': 2}, [3, 4], (5,), {'k': 2})");
}

TEST(UnpicklerTest, MemoizedContainersAreSharedObjects) {
  // l = []; d = {'a': l, 'b': l}; l is filled after both references: both see [7].
  Pickle p;
  p.Op("}").Put(0).Op("]").Put(1).Op("0(").Str("a").Get(1).Str("b").Get(1).Op("u0");
  p.Get(1).Int(7).Op("a0").Get(0).Op(".");
  absl::StatusOr<Value> v = ParsePickle(p.bytes());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->DebugString(), "{'a': [7], 'b': [7]}");
}

TEST(UnpicklerTest, TensorGlobals) {
  const std::string storage = Floats({1, 2, 3, 4});
  // _rebuild_parameter(_rebuild_tensor_v2(...), True, OrderedDict())
  Pickle param;
  param.Global("torch._utils", "_rebuild_parameter").Op("(");
  param.Tensor("FloatStorage", "0", 4, 0, {2, 2}, {2, 1});
  param.Op("\x88").Global("collections", "OrderedDict").Op(")RtR");
  absl::StatusOr<Value> v = ParsePth(ZipWithPickle(param.Stop(), {{"data/0", storage}}), "p");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->tensor().requires_grad());
  EXPECT_THAT(FloatsOf(v->tensor().detach()), ElementsAre(1, 2, 3, 4));

  // PyTorch 0.3's _rebuild_tensor(storage, offset, size, stride).
  Pickle old;
  old.Global("torch._utils", "_rebuild_tensor").Op("(").Storage("FloatStorage", "0", 4);
  old.Int(1).IntTuple({3}).IntTuple({1}).Op("tR");
  v = ParsePth(ZipWithPickle(old.Stop(), {{"data/0", storage}}), "p");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(FloatsOf(v->tensor()), ElementsAre(2, 3, 4));

  // torch 2.x: _rebuild_from_type_v2(_rebuild_tensor_v2, torch.Tensor, (args), {}).
  Pickle typed;
  typed.Global("torch._tensor", "_rebuild_from_type_v2").Op("(");
  typed.Global("torch._utils", "_rebuild_tensor_v2").Global("torch", "Tensor").Op("(");
  typed.Storage("FloatStorage", "0", 4).Int(0).IntTuple({4}).IntTuple({1});
  typed.Op("\x89").Global("collections", "OrderedDict").Op(")Rt}tR");
  v = ParsePth(ZipWithPickle(typed.Stop(), {{"data/0", storage}}), "p");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(FloatsOf(v->tensor()), ElementsAre(1, 2, 3, 4));

  // NEWOBJ of OrderedDict, and _codecs.encode for protocol-2 bytes.
  Pickle misc;
  misc.Global("collections", "OrderedDict").Op(")\x81").Str("b");
  misc.Global("_codecs", "encode").Str("\xc3\xbf\x00").Str("latin1").Op("\x86R");
  misc.Op("s");
  v = ParsePickle(misc.Stop());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->DebugString(), "OrderedDict({'b': b'\\xff\\x00'})");
}

// ---------------------------------------------------------------------------------------------
// Errors

// numpy scalars as numpy pickles them (MMDetection 2.x writes meta['seed'] as one):
// scalar(dtype(code, False, True) + BUILD (3, '<', ...), raw little-endian bytes).
Pickle& NumpyScalar(Pickle& p, absl::string_view code, absl::string_view raw,
                    absl::string_view order = "<") {
  p.Global("numpy.core.multiarray", "scalar").Op("(");
  p.Global("numpy", "dtype").Op("(").Str(code).Op("\x89\x88").Op("tR");
  p.Op("(").Int(3).Str(order).Op("NNN").Int(-1).Int(-1).Int(0).Op("tb");
  p.Op("C").Le(raw.size(), 1).Op(raw);  // SHORT_BINBYTES
  return p.Op("tR");
}

TEST(UnpicklerTest, NumpyScalarsLoadAsPythonNumbers) {
  Pickle p(3);
  p.Op("}(").Str("seed");
  NumpyScalar(p, "i8", absl::string_view("\x2a\0\0\0\0\0\0\0", 8));
  p.Str("neg");
  NumpyScalar(p, "i4", absl::string_view("\xfe\xff\xff\xff", 4));
  p.Str("f");
  NumpyScalar(p, "f4", absl::string_view("\0\0\0\x3f", 4));
  p.Str("d");
  NumpyScalar(p, "f8", absl::string_view("\0\0\0\0\0\0\xd0\x3f", 8));
  p.Str("b");
  NumpyScalar(p, "b1", absl::string_view("\x01", 1));
  p.Op("u");
  auto v = ParsePickle(p.Stop());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("seed")->as_int(), 42);
  EXPECT_EQ(v->Find("neg")->as_int(), -2);
  EXPECT_TRUE(v->Find("f")->is_float());
  EXPECT_DOUBLE_EQ(v->Find("f")->as_float(), 0.5);
  EXPECT_DOUBLE_EQ(v->Find("d")->as_float(), 0.25);
  EXPECT_TRUE(v->Find("b")->is_bool());
  EXPECT_TRUE(v->Find("b")->as_bool());

  Pickle big(3);
  NumpyScalar(big, "i4", absl::string_view("\0\0\0\x01", 4), ">");
  EXPECT_THAT(PickleError(big.Stop()), HasSubstr("numpy scalar of big-endian dtype i4"));
  Pickle complex(3);
  NumpyScalar(complex, "c8", absl::string_view("\0\0\0\0\0\0\0\0", 8));
  EXPECT_THAT(PickleError(complex.Stop()), HasSubstr("unsupported numpy scalar dtype c8"));
  Pickle short_bytes(3);
  NumpyScalar(short_bytes, "i8", absl::string_view("\x01", 1));
  EXPECT_THAT(PickleError(short_bytes.Stop()), HasSubstr("1 bytes, expected 8"));
}

TEST(ErrorTest, UnknownGlobalIsNamed) {
  Pickle p;
  p.Global("pandas.core.frame", "DataFrame");
  EXPECT_EQ(PickleError(p.Stop()),
            "x.pth: data.pkl offset 2: unsupported global pandas.core.frame.DataFrame");
  Pickle module;
  module.Global("__main__", "Net").Op(")\x81.");
  EXPECT_EQ(PickleError(module.bytes()),
            "x.pth: data.pkl offset 2: unsupported global __main__.Net");
  Pickle newobj;
  newobj.Global("torch", "Tensor").Op(")\x81.");
  EXPECT_EQ(PickleError(newobj.bytes()),
            "x.pth: data.pkl offset 17: unsupported NEWOBJ of torch.Tensor");
}

TEST(ErrorTest, MalformedPickles) {
  const std::string kPrefix = "x.pth: data.pkl offset ";
  EXPECT_EQ(PickleError(Pickle().Op("\x8f").Stop()), kPrefix + "2: unsupported opcode EMPTY_SET");
  EXPECT_EQ(PickleError(Pickle().Op("\xff").Stop()), kPrefix + "2: unknown opcode 0xff");
  EXPECT_EQ(PickleError(Pickle().Stop()), kPrefix + "2: STOP: pickle stack underflow");
  EXPECT_EQ(PickleError(Pickle().Get(5).Stop()), kPrefix + "2: BINGET: memo key 5 not found");
  EXPECT_EQ(PickleError(Pickle().Op("]").Int(1).Op("e").Stop()),
            kPrefix + "8: APPENDS without a MARK");
  EXPECT_EQ(PickleError(Pickle().Op("}(").Int(1).Op("u").Stop()),
            kPrefix + "9: SETITEMS with an odd number of items");
  EXPECT_EQ(PickleError(Pickle().Op("(").Op("0").Op("0").Stop()),
            kPrefix + "4: POP: pickle stack underflow");
  // A MARK fences the stack: APPEND cannot reach the list below it.
  EXPECT_EQ(PickleError(Pickle().Op("](").Int(1).Op("a").Stop()),
            kPrefix + "9: APPEND: pickle stack underflow");
  EXPECT_EQ(PickleError(Pickle().Int(1).Int(2).Op("a").Stop()),
            kPrefix + "12: APPEND to a int, not a list");
  EXPECT_EQ(PickleError(Pickle().Op("]NNs").Stop()), kPrefix + "5: SETITEM on a list, not a dict");
  EXPECT_EQ(PickleError(Pickle().Op("(u").Stop()), kPrefix + "3: SETITEMS: pickle stack underflow");
  EXPECT_EQ(PickleError(Pickle().Op("}").Op("]").Int(1).Op("s").Stop()),
            kPrefix + "9: SETITEM: unhashable dict key of type list");
  EXPECT_EQ(PickleError(Pickle()
                            .Op("X\x05\x00\x00\x00"
                                "ab")
                            .bytes()),
            kPrefix + "2: truncated pickle (BINUNICODE needs 5 bytes, 2 left)");
  EXPECT_EQ(PickleError(Pickle().Op("N").bytes()),
            kPrefix + "3: truncated pickle (no STOP opcode)");
  EXPECT_EQ(PickleError(std::string("\x80\x06N.")), kPrefix + "0: unsupported pickle protocol 6");
  EXPECT_EQ(PickleError(Pickle().Op("I12x\n").Stop()),
            kPrefix + "2: INT: '12x' is not a 64-bit integer");
  EXPECT_EQ(PickleError(Pickle().Global("collections", "OrderedDict").Stop()),
            kPrefix + "2: global collections.OrderedDict used as a value");
  EXPECT_EQ(PickleError(Pickle().Int(1).Op(")R").Stop()), kPrefix + "8: REDUCE: cannot call a int");
  EXPECT_EQ(PickleError(Pickle().Global("torch._utils", "_rebuild_tensor_v2").Op(")R").Stop()),
            kPrefix + "36: _rebuild_tensor_v2: got 0 arguments, expected 6 or 7");
  EXPECT_EQ(PickleError(Pickle().Op("}N").Op("b").Stop()),
            kPrefix + "4: BUILD of a dict is not supported (only OrderedDict attributes)");
  EXPECT_EQ(PickleError(Pickle().Str("module").Op("\x85Q").Stop()),
            kPrefix + "14: unsupported persistent id 'module' (only storages are supported)");
}

TEST(ErrorTest, NestingAndSharingLimits) {
  // 100000 nested lists (built from the inside out) stop at the depth limit, no stack overflow.
  Pickle deep;
  for (int i = 0; i < 100000; ++i) deep.Op("]");
  for (int i = 0; i < 99999; ++i) deep.Op("a");
  EXPECT_THAT(PickleError(deep.Stop()), HasSubstr("objects nested deeper than 1000"));
  // A list that contains itself.
  EXPECT_THAT(PickleError(Pickle().Op("]").Put(0).Get(0).Op("a").Stop()),
              HasSubstr("(or a recursive structure)"));
  // l0 = [1]; l(k+1) = [lk, lk]: 2^60 leaves from a few hundred bytes.
  Pickle laughs;
  laughs.Op("]").Int(1).Op("a").Put(0);
  for (int k = 0; k < 60; ++k)
    laughs.Op("]")
        .Get(k % 2)
        .Get(k % 2)
        .Op("\x86"
            "a")
        .Put((k + 1) % 2);
  EXPECT_THAT(PickleError(laughs.Stop()), HasSubstr("too many objects"));
}

TEST(ErrorTest, TensorsMustFitTheirStorage) {
  const std::string storage = Floats({1, 2, 3, 4});
  // The tensor's REDUCE is at offset 138, its BINPERSID at 89.
  auto error = [&](int numel, int offset, std::vector<int> size, std::vector<int> stride,
                   const std::string& record = "") {
    Pickle p;
    p.Tensor("FloatStorage", "0", numel, offset, size, stride);
    return ErrorOf(ZipWithPickle(p.Stop(), {{"data/0", record.empty() ? storage : record}}));
  };
  EXPECT_EQ(error(4, 0, {2, 2}, {2, 1}), "OK");
  EXPECT_EQ(error(4, 0, {0, 100}, {1000, 1}), "OK");  // empty: no element is touched
  EXPECT_EQ(error(4, 0, {5}, {1}),
            "x.pth: data.pkl offset 138: _rebuild_tensor_v2: tensor view (storage_offset 0, last "
            "element 4) is out of bounds for a storage of 4 elements");
  EXPECT_THAT(error(4, 3, {2}, {1}), HasSubstr("last element 4) is out of bounds"));
  EXPECT_THAT(error(4, 0, {2, 2}, {1, 3}), HasSubstr("last element 4) is out of bounds"));
  EXPECT_THAT(error(4, 0, {2}, {-1}), HasSubstr("is not an int in [0, 2^48]"));
  EXPECT_THAT(error(4, 0, {1 << 30, 1 << 30}, {1, 1}),
              HasSubstr("tensor has more than 2^48 elements"));
  EXPECT_THAT(error(4, 0, {2, 2}, {2}), HasSubstr("size and stride are not int tuples"));
  EXPECT_EQ(error(5, 0, {2}, {1}),
            "x.pth: data.pkl offset 89: record data/0 has 16 bytes, but its torch.FloatStorage "
            "of 5 elements needs 20");
  EXPECT_THAT(error(1 << 30, 0, {2}, {1}), HasSubstr("needs 4294967296"));
  Pickle missing;
  missing.Tensor("FloatStorage", "7", 4, 0, {4}, {1});
  EXPECT_EQ(ErrorOf(ZipWithPickle(missing.Stop())),
            "x.pth: data.pkl offset 89: zip archive has no data/7 record");
  Pickle mixed;
  mixed.Op("(").Tensor("FloatStorage", "0", 4, 0, {4}, {1});
  mixed.Tensor("IntStorage", "0", 4, 0, {4}, {1}).Op("t");
  EXPECT_THAT(ErrorOf(ZipWithPickle(mixed.Stop(), {{"data/0", storage}})),
              HasSubstr("storage '0' is used as Float and as Int"));
}

TEST(ErrorTest, NotTorchFiles) {
  EXPECT_EQ(ErrorOf(""), "x.pth: empty file");
  EXPECT_EQ(ErrorOf("hello"),
            "x.pth: not a torch.save file (neither a zip archive nor a legacy stream starting "
            "with the magic number)");
  EXPECT_THAT(ErrorOf("PK\x03\x04garbage"), StartsWith("x.pth: corrupt zip archive: "));
  EXPECT_EQ(ErrorOf(MakeZip({{"model.json", "{}"}})), "x.pth: zip archive has no data.pkl record");
  EXPECT_EQ(ErrorOf(MakeZip({{"data.pkl", Pickle().Op("N").Stop()}, {"byteorder", "big"}})),
            "x.pth: byteorder 'big' is not supported (only little-endian files)");
  EXPECT_EQ(ErrorOf(MakeZip({{"data.pkl", Pickle().Op("N").Stop()}, {"byteorder", "little"}})),
            "OK");
}

TEST(ErrorTest, LegacyStreams) {
  Pickle p;
  p.Tensor("FloatStorage", "k", 4, 0, {4}, {1});
  const std::string main = p.Stop();
  EXPECT_EQ(ErrorOf(MakeLegacy(main, {{"k", Floats({1, 2, 3, 4})}})), "OK");
  // The count in the stream disagrees with the pickle.
  EXPECT_THAT(ErrorOf(MakeLegacy(main, {{"k", Floats({1, 2, 3})}})),
              HasSubstr("storage 'k' has 3 elements in the file but 4 in the pickle"));
  // A storage the pickle uses but the stream lacks.
  EXPECT_EQ(ErrorOf(MakeLegacy(main, {})), "x.pth: storage 'k' has no data in the file");
  // A storage the stream has but the pickle never used.
  EXPECT_THAT(ErrorOf(MakeLegacy(main, {{"k", Floats({1, 2, 3, 4})}, {"j", Floats({1})}})),
              HasSubstr("storage 'j' is not used by the pickled object"));
  // A huge claimed storage is refused before anything is allocated.
  Pickle huge;
  huge.Tensor("FloatStorage", "k", 2000000000, 0, {4}, {1});
  EXPECT_THAT(ErrorOf(MakeLegacy(huge.Stop(), {{"k", Floats({1, 2, 3, 4})}})),
              HasSubstr("storage 'k' of 2000000000 elements is larger than the file"));
  // Legacy storage views: ('storage', type, root, location, numel, (view, offset, size)).
  Pickle view;
  view.Global("torch._utils", "_rebuild_tensor_v2").Op("(");
  view.Op("(").Str("storage").Global("torch", "FloatStorage").Str("k").Str("cpu").Int(4);
  view.Op("(").Str("v").Int(1).Int(2).Op("t").Op("tQ");
  view.Int(0).IntTuple({2}).IntTuple({1}).Op("\x89").Global("collections", "OrderedDict");
  view.Op(")RtR");
  absl::StatusOr<Value> v = ParsePth(MakeLegacy(view.Stop(), {{"k", Floats({1, 2, 3, 4})}}), "v");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(FloatsOf(v->tensor()), ElementsAre(2, 3));
  // Files from big-endian machines.
  std::string big = MakeLegacy(main, {{"k", Floats({1, 2, 3, 4})}});
  big[big.find("little_endian") + 13] = '\x89';  // NEWTRUE -> NEWFALSE
  EXPECT_THAT(ErrorOf(big), HasSubstr("big-endian files are not supported"));
}

// ---------------------------------------------------------------------------------------------
// Hostile input: truncations and corruptions give errors or values, never crashes.

// Parses `bytes`; returns whether it succeeded, failing the test on a wrong error shape.
bool ParsesOrFailsCleanly(const std::string& bytes) {
  absl::StatusOr<Value> value = ParsePth(bytes, "fuzz.pth");
  if (value.ok()) return true;
  EXPECT_EQ(value.status().code(), absl::StatusCode::kDataLoss) << value.status();
  EXPECT_THAT(std::string(value.status().message()), StartsWith("fuzz.pth: "));
  return false;
}

TEST(RobustnessTest, EveryTruncationIsAnError) {
  absl::StatusOr<std::string> serialized = SerializePth(MakeCheckpoint());
  ASSERT_TRUE(serialized.ok());
  absl::StatusOr<std::string> torch_zip = ReadFile(TestDataPath("torch2_kitchen_zip.pth"));
  absl::StatusOr<std::string> torch_legacy = ReadFile(TestDataPath("torch2_kitchen_legacy.pth"));
  ASSERT_TRUE(torch_zip.ok() && torch_legacy.ok());
  for (const std::string& file : {FromHex(kPythonZipHex), FromHex(kPythonLegacyHex), *serialized,
                                  *torch_zip, *torch_legacy}) {
    ASSERT_TRUE(ParsesOrFailsCleanly(file));
    // Every prefix of the legacy file and of the small zip; every 7th of the larger one.
    const size_t step = file.size() > 10000 ? 7 : 1;
    for (size_t n = 0; n < file.size(); n += step) {
      EXPECT_FALSE(ParsesOrFailsCleanly(file.substr(0, n))) << "prefix of " << n << " bytes";
    }
  }
  // Truncated pickles inside intact archives.
  absl::StatusOr<Value> python = ParsePth(FromHex(kPythonZipHex), "x");
  ASSERT_TRUE(python.ok());
  std::istringstream in(FromHex(kPythonZipHex));
  caffe2::serialize::PyTorchStreamReader reader(&in);
  auto [data, size] = reader.getRecord("data.pkl");
  const std::string pickle(static_cast<const char*>(data.get()), size);
  auto [s0, n0] = reader.getRecord("data/0");
  auto [s1, n1] = reader.getRecord("data/1");
  const std::vector<std::pair<std::string, std::string>> storages = {
      {"data/0", std::string(static_cast<const char*>(s0.get()), n0)},
      {"data/1", std::string(static_cast<const char*>(s1.get()), n1)}};
  for (size_t n = 0; n < pickle.size(); ++n) {
    EXPECT_FALSE(ParsesOrFailsCleanly(ZipWithPickle(pickle.substr(0, n), storages))) << n;
  }
}

TEST(RobustnessTest, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(12345);
  std::istringstream in(FromHex(kPythonZipHex));
  caffe2::serialize::PyTorchStreamReader reader(&in);
  auto [data, size] = reader.getRecord("data.pkl");
  const std::string pickle(static_cast<const char*>(data.get()), size);
  auto [s0, n0] = reader.getRecord("data/0");
  auto [s1, n1] = reader.getRecord("data/1");
  const std::vector<std::pair<std::string, std::string>> storages = {
      {"data/0", std::string(static_cast<const char*>(s0.get()), n0)},
      {"data/1", std::string(static_cast<const char*>(s1.get()), n1)}};

  auto corrupt = [&](std::string bytes, size_t from) {
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      const size_t at = from + rng() % (bytes.size() - from);
      bytes[at] = static_cast<char>(rng() % 3 == 0 ? bytes[at] ^ (1 << (rng() % 8)) : rng());
    }
    return bytes;
  };
  // Cuts a random range out or repeats one: offsets inside the archive stop matching.
  auto splice = [&](std::string bytes) {
    const size_t from = rng() % bytes.size();
    const size_t length = 1 + rng() % std::min<size_t>(64, bytes.size() - from);
    if (rng() % 2 == 0) return bytes.erase(from, length);
    return bytes.insert(from, bytes.substr(from, length));
  };
  int parsed = 0;
  const std::string legacy = FromHex(kPythonLegacyHex);
  const std::string zip = FromHex(kPythonZipHex);
  for (int i = 0; i < 1500; ++i) {
    parsed += ParsesOrFailsCleanly(corrupt(legacy, 0));
    parsed += ParsesOrFailsCleanly(splice(legacy));
    parsed += ParsesOrFailsCleanly(ZipWithPickle(corrupt(pickle, 2), storages));
    // Broken archives cost PyTorchStreamReader a c10::Error with a backtrace: fewer of them.
    if (i % 4 == 0) {
      parsed += ParsesOrFailsCleanly(corrupt(zip, 0));
      parsed += ParsesOrFailsCleanly(splice(zip));
    }
  }
  // Some corruptions (a flipped float bit, a changed string) still parse.
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace mmdet::pth
