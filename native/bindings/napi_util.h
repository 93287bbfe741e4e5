// N-API helpers shared by the binding files: a Promise job on the libuv pool with pinned arguments, and
// typed argument readers that throw TypeError.
#pragma once
#include <napi.h>

#include <cmath>
#include <functional>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace tamsaek {
namespace napi {

class Job : public Napi::AsyncWorker {
 public:
  Job(Napi::Env env, std::function<void()> run, std::function<Napi::Value(Napi::Env)> done,
      const std::vector<Napi::Value>& pins)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), run_(std::move(run)), done_(std::move(done)) {
    for (auto& v : pins)
      if (v.IsObject()) pins_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      run_();
    } catch (const std::bad_alloc&) {
      SetError("out of memory");
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(done_(Env())); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> run_;
  std::function<Napi::Value(Napi::Env)> done_;
  std::vector<Napi::ObjectReference> pins_;
};

inline Napi::Value queue(Napi::Env env, std::function<void()> run, std::function<Napi::Value(Napi::Env)> done,
                         const std::vector<Napi::Value>& pins) {
  auto* job = new Job(env, std::move(run), std::move(done), pins);
  Napi::Promise p = job->Promise();
  job->Queue();
  return p;
}

[[noreturn]] inline void fail(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

inline Napi::Object obj_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsObject()) fail(info.Env(), "expected an options object");
  return info[i].As<Napi::Object>();
}

inline double num(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) fail(o.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) fail(o.Env(), std::string(key) + " must be finite");
  return d;
}

inline size_t count(Napi::Object o, const char* key) {
  double d = num(o, key);
  if (d < 0 || d != std::floor(d) || d > 9.007199254740991e15) fail(o.Env(), std::string(key) + " must be a non-negative integer");
  return static_cast<size_t>(d);
}

inline bool flag(Napi::Object o, const char* key, bool dflt) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? dflt : v.ToBoolean().Value();
}

// Pointer into a typed array of `type` holding at least `need` elements (null when optional and absent).
template <typename T>
T* typed(Napi::Object o, const char* key, size_t need, bool optional, napi_typedarray_type type,
         std::vector<Napi::Value>& pins) {
  Napi::Value v = o.Get(key);
  if ((v.IsUndefined() || v.IsNull()) && optional) return nullptr;
  if (!v.IsTypedArray()) fail(o.Env(), std::string(key) + " must be a typed array");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != type) fail(o.Env(), std::string(key) + " has the wrong element type");
  if (ta.ElementLength() < need)
    fail(o.Env(), std::string(key) + " is too short (" + std::to_string(ta.ElementLength()) + " < " + std::to_string(need) + ")");
  pins.push_back(v);
  auto* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return reinterpret_cast<T*>(base);
}

}  // namespace napi
}  // namespace tamsaek
