#include "mmdet/runner/checkpoint/optimizer_state.h"

#include <map>
#include <memory>
#include <sstream>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mmdet/core/status_macros.h"
#include "torch/optim/adam.h"
#include "torch/optim/adamw.h"
#include "torch/optim/sgd.h"

namespace mmdet::runner {
namespace {

using pth::Value;

// The key LibTorch's optimizers file a parameter's state under: the TensorImpl's address, as
// a string in LibTorch 1.x and as the pointer itself in 2.x.
template <typename Map>
auto StateKey(const torch::Tensor& p) {
  using Key = typename std::decay_t<Map>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream out;
    out << p.unsafeGetTensorImpl();
    return out.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

enum class Kind { kSgd, kAdam, kAdamW };

absl::StatusOr<Kind> KindOf(const torch::optim::Optimizer& optimizer) {
  if (dynamic_cast<const torch::optim::SGD*>(&optimizer)) return Kind::kSgd;
  if (dynamic_cast<const torch::optim::AdamW*>(&optimizer)) return Kind::kAdamW;
  if (dynamic_cast<const torch::optim::Adam*>(&optimizer)) return Kind::kAdam;
  return absl::InvalidArgumentError(
      absl::StrCat("cannot save or load the state of optimizer type ", typeid(optimizer).name(),
                   " (supported: torch::optim::SGD, Adam, AdamW and their subclasses)"));
}

template <typename Options>
void PutAdamOptions(const Options& o, Value& group) {
  group.Set("lr", Value::Float(o.lr()));
  group.Set("betas", Value::Tuple({Value::Float(std::get<0>(o.betas())),
                                   Value::Float(std::get<1>(o.betas()))}));
  group.Set("eps", Value::Float(o.eps()));
  group.Set("weight_decay", Value::Float(o.weight_decay()));
  group.Set("amsgrad", Value::Bool(o.amsgrad()));
}

template <typename State>
Value AdamStateValue(const State& s) {
  Value out = Value::Dict();
  out.Set("step", Value::Int(s.step()));
  out.Set("exp_avg", Value::Tensor(s.exp_avg()));
  out.Set("exp_avg_sq", Value::Tensor(s.exp_avg_sq()));
  if (s.max_exp_avg_sq().defined()) out.Set("max_exp_avg_sq", Value::Tensor(s.max_exp_avg_sq()));
  return out;
}

// Reading -----------------------------------------------------------------------------------

absl::Status FieldError(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

absl::StatusOr<double> Number(const Value& group, const char* key, double current,
                              const std::string& where) {
  const Value* v = group.Find(key);
  if (v == nullptr) return current;
  if (!v->is_float() && !v->is_int()) {
    return FieldError(absl::StrCat(where, ".", key),
                      absl::StrCat("expected a number, got ", Value::KindName(v->kind())));
  }
  return v->as_float();
}

absl::StatusOr<bool> Flag(const Value& group, const char* key, bool current,
                          const std::string& where) {
  const Value* v = group.Find(key);
  if (v == nullptr) return current;
  if (!v->is_bool() && !v->is_int()) {
    return FieldError(absl::StrCat(where, ".", key),
                      absl::StrCat("expected a bool, got ", Value::KindName(v->kind())));
  }
  return v->as_bool();
}

std::string Shape(const torch::Tensor& t) { return "[" + absl::StrJoin(t.sizes(), ", ") + "]"; }

// A state tensor for `param`: same shape, cast to its dtype and device (as PyTorch does).
absl::StatusOr<torch::Tensor> StateTensor(const Value& entry, const char* key,
                                          const torch::Tensor& param, bool required,
                                          const std::string& where) {
  const Value* v = entry.Find(key);
  if (v == nullptr || v->is_none()) {
    if (required) return FieldError(absl::StrCat(where, ".", key), "missing");
    return torch::Tensor();
  }
  if (!v->is_tensor()) {
    return FieldError(absl::StrCat(where, ".", key),
                      absl::StrCat("expected a Tensor, got ", Value::KindName(v->kind())));
  }
  if (v->tensor().sizes() != param.sizes()) {
    return FieldError(absl::StrCat(where, ".", key),
                      absl::StrCat("shape ", Shape(v->tensor()), " does not match the parameter's ",
                                   Shape(param)));
  }
  return v->tensor().to(param.device(), param.scalar_type()).clone();
}

absl::StatusOr<int64_t> Step(const Value& entry, const std::string& where) {
  const Value* v = entry.Find("step");
  if (v == nullptr) return FieldError(where + ".step", "missing");
  if (v->is_int()) return v->as_int();
  if (v->is_float()) return static_cast<int64_t>(v->as_float());
  if (v->is_tensor() && v->tensor().numel() == 1) {
    return static_cast<int64_t>(v->tensor().item<double>());
  }
  return FieldError(where + ".step", absl::StrCat("expected an int or a one-element Tensor, got ",
                                                  Value::KindName(v->kind())));
}

absl::StatusOr<std::vector<double>> Load(torch::optim::Optimizer& optimizer, Kind kind,
                                         const Value& state_dict, const std::string& where) {
  if (!state_dict.is_dict()) {
    return FieldError(where, absl::StrCat("expected a dict, got ",
                                          Value::KindName(state_dict.kind())));
  }
  const Value* state = state_dict.Find("state");
  const Value* groups = state_dict.Find("param_groups");
  if (state == nullptr || !state->is_dict()) return FieldError(where + ".state", "missing or not a dict");
  if (groups == nullptr || !groups->is_list()) {
    return FieldError(where + ".param_groups", "missing or not a list");
  }
  auto& own = optimizer.param_groups();
  if (groups->size() != own.size()) {
    return FieldError(where + ".param_groups",
                      absl::StrCat(groups->size(), " groups, the optimizer has ", own.size()));
  }
  // Saved parameter id -> parameter, zipped in group order as PyTorch's load_state_dict does.
  std::map<int64_t, torch::Tensor> params;
  std::vector<double> initial_lrs;
  for (size_t g = 0; g < own.size(); ++g) {
    const Value& group = groups->items()[g];
    const std::string gw = absl::StrCat(where, ".param_groups[", g, "]");
    if (!group.is_dict()) return FieldError(gw, "not a dict");
    const Value* ids = group.Find("params");
    if (ids == nullptr || !ids->is_list()) return FieldError(gw + ".params", "missing or not a list");
    if (ids->size() != own[g].params().size()) {
      return FieldError(gw + ".params", absl::StrCat(ids->size(), " parameters, the group has ",
                                                     own[g].params().size()));
    }
    for (size_t i = 0; i < ids->size(); ++i) {
      if (!ids->items()[i].is_int()) return FieldError(absl::StrCat(gw, ".params[", i, "]"), "not an int");
      params[ids->items()[i].as_int()] = own[g].params()[i];
    }
    if (const Value* initial = group.Find("initial_lr"); initial != nullptr) {
      MMDET_ASSIGN_OR_RETURN(double lr, Number(group, "initial_lr", 0, gw));
      initial_lrs.push_back(lr);
    }
    auto& options = own[g].options();
    if (kind == Kind::kSgd) {
      auto& o = static_cast<torch::optim::SGDOptions&>(options);
      MMDET_ASSIGN_OR_RETURN(double lr, Number(group, "lr", o.lr(), gw));
      MMDET_ASSIGN_OR_RETURN(double momentum, Number(group, "momentum", o.momentum(), gw));
      MMDET_ASSIGN_OR_RETURN(double dampening, Number(group, "dampening", o.dampening(), gw));
      MMDET_ASSIGN_OR_RETURN(double wd, Number(group, "weight_decay", o.weight_decay(), gw));
      MMDET_ASSIGN_OR_RETURN(bool nesterov, Flag(group, "nesterov", o.nesterov(), gw));
      o.lr(lr).momentum(momentum).dampening(dampening).weight_decay(wd).nesterov(nesterov);
    } else {
      auto apply = [&](auto& o) -> absl::Status {
        MMDET_ASSIGN_OR_RETURN(double lr, Number(group, "lr", o.lr(), gw));
        MMDET_ASSIGN_OR_RETURN(double eps, Number(group, "eps", o.eps(), gw));
        MMDET_ASSIGN_OR_RETURN(double wd, Number(group, "weight_decay", o.weight_decay(), gw));
        MMDET_ASSIGN_OR_RETURN(bool amsgrad, Flag(group, "amsgrad", o.amsgrad(), gw));
        auto betas = o.betas();
        if (const Value* b = group.Find("betas"); b != nullptr) {
          if (!(b->is_tuple() || b->is_list()) || b->size() != 2 ||
              !(b->items()[0].is_float() || b->items()[0].is_int()) ||
              !(b->items()[1].is_float() || b->items()[1].is_int())) {
            return FieldError(gw + ".betas", "expected two numbers");
          }
          betas = std::make_tuple(b->items()[0].as_float(), b->items()[1].as_float());
        }
        o.lr(lr).eps(eps).weight_decay(wd).amsgrad(amsgrad).betas(betas);
        return absl::OkStatus();
      };
      if (kind == Kind::kAdam) {
        MMDET_RETURN_IF_ERROR(apply(static_cast<torch::optim::AdamOptions&>(options)));
      } else {
        MMDET_RETURN_IF_ERROR(apply(static_cast<torch::optim::AdamWOptions&>(options)));
      }
    }
  }
  if (!initial_lrs.empty() && initial_lrs.size() != own.size()) {
    return FieldError(where + ".param_groups", "'initial_lr' in some groups only");
  }
  // Per-parameter state, checked whole before the optimizer's is replaced.
  auto& map = optimizer.state();
  using Map = std::decay_t<decltype(map)>;
  std::vector<std::pair<typename Map::key_type, std::unique_ptr<torch::optim::OptimizerParamState>>>
      loaded;
  for (const Value::Entry& entry : state->entries()) {
    if (!entry.key.is_int()) return FieldError(where + ".state", "a key that is not an int");
    const std::string sw = absl::StrCat(where, ".state[", entry.key.as_int(), "]");
    auto it = params.find(entry.key.as_int());
    if (it == params.end()) return FieldError(sw, "no parameter with this id in param_groups");
    if (!entry.value.is_dict()) return FieldError(sw, "not a dict");
    const torch::Tensor& p = it->second;
    std::unique_ptr<torch::optim::OptimizerParamState> s;
    if (kind == Kind::kSgd) {
      MMDET_ASSIGN_OR_RETURN(torch::Tensor buf,
                             StateTensor(entry.value, "momentum_buffer", p, false, sw));
      if (!buf.defined()) continue;  // SGD without momentum keeps no buffer
      auto sgd = std::make_unique<torch::optim::SGDParamState>();
      sgd->momentum_buffer(buf);
      s = std::move(sgd);
    } else {
      auto fill = [&](auto st) -> absl::StatusOr<std::unique_ptr<torch::optim::OptimizerParamState>> {
        MMDET_ASSIGN_OR_RETURN(int64_t step, Step(entry.value, sw));
        MMDET_ASSIGN_OR_RETURN(torch::Tensor m, StateTensor(entry.value, "exp_avg", p, true, sw));
        MMDET_ASSIGN_OR_RETURN(torch::Tensor v, StateTensor(entry.value, "exp_avg_sq", p, true, sw));
        MMDET_ASSIGN_OR_RETURN(torch::Tensor vmax,
                               StateTensor(entry.value, "max_exp_avg_sq", p, false, sw));
        st->step(step);
        st->exp_avg(m);
        st->exp_avg_sq(v);
        if (vmax.defined()) st->max_exp_avg_sq(vmax);
        return std::unique_ptr<torch::optim::OptimizerParamState>(std::move(st));
      };
      if (kind == Kind::kAdam) {
        MMDET_ASSIGN_OR_RETURN(s, fill(std::make_unique<torch::optim::AdamParamState>()));
      } else {
        MMDET_ASSIGN_OR_RETURN(s, fill(std::make_unique<torch::optim::AdamWParamState>()));
      }
    }
    loaded.emplace_back(StateKey<Map>(p), std::move(s));
  }
  map.clear();
  for (auto& [key, s] : loaded) map[key] = std::move(s);
  return initial_lrs;
}

}  // namespace

absl::StatusOr<pth::Value> OptimizerStateDict(const torch::optim::Optimizer& optimizer,
                                              const std::vector<double>& initial_lrs) {
  MMDET_ASSIGN_OR_RETURN(Kind kind, KindOf(optimizer));
  const auto& groups = optimizer.param_groups();
  if (!initial_lrs.empty() && initial_lrs.size() != groups.size()) {
    return absl::InvalidArgumentError(absl::StrCat(initial_lrs.size(), " initial lrs for ",
                                                   groups.size(), " parameter groups"));
  }
  const auto& map = optimizer.state();
  using Map = std::decay_t<decltype(map)>;
  Value state = Value::Dict();
  Value group_list = Value::List();
  int64_t id = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    Value group = Value::Dict();
    const auto& options = groups[g].options();
    if (kind == Kind::kSgd) {
      const auto& o = static_cast<const torch::optim::SGDOptions&>(options);
      group.Set("lr", Value::Float(o.lr()));
      group.Set("momentum", Value::Float(o.momentum()));
      group.Set("dampening", Value::Float(o.dampening()));
      group.Set("weight_decay", Value::Float(o.weight_decay()));
      group.Set("nesterov", Value::Bool(o.nesterov()));
    } else if (kind == Kind::kAdam) {
      PutAdamOptions(static_cast<const torch::optim::AdamOptions&>(options), group);
    } else {
      PutAdamOptions(static_cast<const torch::optim::AdamWOptions&>(options), group);
    }
    if (!initial_lrs.empty()) group.Set("initial_lr", Value::Float(initial_lrs[g]));
    Value ids = Value::List();
    for (const torch::Tensor& p : groups[g].params()) {
      auto it = map.find(StateKey<Map>(p));
      if (it != map.end()) {
        Value entry;
        if (kind == Kind::kSgd) {
          const auto& s = static_cast<const torch::optim::SGDParamState&>(*it->second);
          entry = Value::Dict();
          entry.Set("momentum_buffer", s.momentum_buffer().defined()
                                           ? Value::Tensor(s.momentum_buffer())
                                           : Value::None());
        } else if (kind == Kind::kAdam) {
          entry = AdamStateValue(static_cast<const torch::optim::AdamParamState&>(*it->second));
        } else {
          entry = AdamStateValue(static_cast<const torch::optim::AdamWParamState&>(*it->second));
        }
        state.Set(Value::Int(id), std::move(entry));
      }
      ids.Append(Value::Int(id++));
    }
    group.Set("params", std::move(ids));
    group_list.Append(std::move(group));
  }
  Value out = Value::Dict();
  out.Set("state", std::move(state));
  out.Set("param_groups", std::move(group_list));
  return out;
}

absl::StatusOr<std::vector<double>> LoadOptimizerStateDict(torch::optim::Optimizer& optimizer,
                                                           const pth::Value& state,
                                                           const std::string& source) {
  MMDET_ASSIGN_OR_RETURN(Kind kind, KindOf(optimizer));
  try {
    return Load(optimizer, kind, state, source + ": optimizer");
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": optimizer: ", e.what()));
  }
}

}  // namespace mmdet::runner
