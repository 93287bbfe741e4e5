// N-API glue for the Korean analyzer (native/analyze): argument unpacking, handle lifetime, the
// AsyncWorker of the batch path. No analysis here. src/native/analyze.ts validates arguments first.
#include <napi.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../analyze/dictionary.h"
#include "../analyze/feature.h"
#include "../analyze/tagger.h"
#include "../analyze/terms.h"
#include "../common/threads.h"

namespace tamsaek {

namespace {

using namespace tamsaek::analyze;

struct Handle {
  std::shared_ptr<const Tagger> tagger;
  std::shared_ptr<TermOptions> options;
  int32_t* status = nullptr;  // status[0]: terms of the last sync call that need JS case folding
  Napi::Reference<Napi::Int32Array> status_ref;
  double load_ms = 0;
};

[[noreturn]] void fail(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

Handle& handle_of(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) fail(info.Env(), "expected an analyzer handle");
  return *info[0].As<Napi::External<Handle>>().Data();
}

std::u16string string_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) fail(info.Env(), "text must be a string");
  return info[i].As<Napi::String>().Utf16Value();
}

std::vector<std::string> string_list(Napi::Object o, const char* key) {
  std::vector<std::string> out;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return out;
  if (!v.IsArray()) fail(o.Env(), std::string(key) + " must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value s = a.Get(i);
    if (!s.IsString()) fail(o.Env(), std::string(key) + " must be an array of strings");
    out.push_back(s.As<Napi::String>().Utf8Value());
  }
  return out;
}

// user: { surfaces: string[], features: string[], leftIds: Int32Array, rightIds: Int32Array, costs: Int32Array }
std::shared_ptr<const UserDictionary> user_dictionary(Napi::Object o, const Dictionary& dic) {
  Napi::Value v = o.Get("user");
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  if (!v.IsObject()) fail(o.Env(), "user must be an object");
  Napi::Object u = v.As<Napi::Object>();
  std::vector<std::string> surfaces = string_list(u, "surfaces"), features = string_list(u, "features");
  auto ints = [&](const char* key) {
    Napi::Value a = u.Get(key);
    if (!a.IsTypedArray() || a.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        a.As<Napi::Int32Array>().ElementLength() != surfaces.size())
      fail(o.Env(), std::string("user.") + key + " must be an Int32Array with one value per surface");
    return a.As<Napi::Int32Array>();
  };
  Napi::Int32Array left = ints("leftIds"), right = ints("rightIds"), costs = ints("costs");
  if (features.size() != surfaces.size()) fail(o.Env(), "user.features must have one feature per surface");
  std::vector<UserEntry> entries(surfaces.size());
  for (size_t i = 0; i < surfaces.size(); ++i) {
    if (surfaces[i].empty()) fail(o.Env(), "user surfaces must not be empty");
    if (left[i] < 0 || static_cast<uint32_t>(left[i]) >= dic.matrix().left_ids() || right[i] < 0 ||
        static_cast<uint32_t>(right[i]) >= dic.matrix().right_ids())
      fail(o.Env(), "user context id out of range");
    if (costs[i] < -32768 || costs[i] > 32767) fail(o.Env(), "user cost must fit in 16 bits");
    entries[i] = UserEntry{surfaces[i], static_cast<uint16_t>(left[i]), static_cast<uint16_t>(right[i]),
                           static_cast<int16_t>(costs[i]), features[i]};
  }
  return std::make_shared<const UserDictionary>(std::move(entries));
}

// mecabOpen({ dir, dropTags, decompound, compounds?, compoundTags?, compoundHeads?, spacePenalty, user?,
//             status: Int32Array(2) }) → handle
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) fail(env, "expected an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  if (!o.Get("dir").IsString()) fail(env, "dir must be a string");
  Napi::Value st = o.Get("status");
  if (!st.IsTypedArray() || st.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      st.As<Napi::Int32Array>().ElementLength() < 2)
    fail(env, "status must be an Int32Array of 2");
  auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<const Dictionary> dic;
  try {
    dic = Dictionary::open(o.Get("dir").As<Napi::String>().Utf8Value());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  auto opt = std::make_shared<TermOptions>();
  for (const std::string& t : string_list(o, "dropTags")) opt->dropped.add(t);
  opt->decompound = o.Get("decompound").ToBoolean().Value();
  opt->compounds = o.Get("compounds").ToBoolean().Value();
  for (const std::string& t : string_list(o, "compoundTags")) opt->compound_tags.add(t);
  for (const std::string& t : string_list(o, "compoundHeads")) opt->compound_heads.add(t);
  opt->cache = std::make_unique<EntryInfoCache>(dic->system().token_count());
  auto h = new Handle();
  h->tagger = std::make_shared<const Tagger>(dic, user_dictionary(o, *dic), o.Get("spacePenalty").ToBoolean().Value());
  h->options = opt;
  h->status = st.As<Napi::Int32Array>().Data();
  h->status_ref = Napi::Persistent(st.As<Napi::Int32Array>());
  h->load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return Napi::External<Handle>::New(env, h, [](Napi::Env, Handle* p) { delete p; });
}

Napi::Array to_array(Napi::Env env, const Terms& t) {
  Napi::Array a = Napi::Array::New(env, t.ends.size());
  uint32_t prev = 0;
  for (size_t i = 0; i < t.ends.size(); ++i) {
    napi_value s;
    napi_create_string_utf16(env, t.chars.data() + prev, t.ends[i] - prev, &s);
    a.Set(static_cast<uint32_t>(i), Napi::Value(env, s));
    prev = t.ends[i];
  }
  return a;
}

// The UTF-16 units of a JS string, into a buffer reused by the calling thread.
const std::u16string& utf16_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) fail(info.Env(), "text must be a string");
  thread_local std::u16string buf;
  size_t n = 0;
  napi_get_value_string_utf16(info.Env(), info[i], nullptr, 0, &n);
  buf.resize(n + 1);
  napi_get_value_string_utf16(info.Env(), info[i], buf.data(), n + 1, &n);
  buf.resize(n);
  return buf;
}

// mecabTerms(handle, text) → string[]; status[0] = terms that need JS case folding, status[1] = compounds
// (the last terms).
Napi::Value TermsSync(const Napi::CallbackInfo& info) {
  Handle& h = handle_of(info);
  const std::u16string& text = utf16_arg(info, 1);
  thread_local Utf8Text scratch;
  thread_local std::vector<Morph> morphs;
  thread_local Terms terms;
  terms.clear();
  text_terms(*h.tagger, *h.options, text.data(), text.size(), scratch, morphs, terms);
  h.status[0] = static_cast<int32_t>(terms.needs_fold);
  h.status[1] = static_cast<int32_t>(terms.compounds);
  return to_array(info.Env(), terms);
}

class TermsWorker : public Napi::AsyncWorker {
 public:
  TermsWorker(Napi::Env env, const Handle& h, std::vector<std::u16string> texts, int threads)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), tagger_(h.tagger),
        options_(h.options), texts_(std::move(texts)), out_(texts_.size()), threads_(threads) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      std::atomic<size_t> next{0};
      const int threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads_), texts_.size()));
      parallel_run(std::max(threads, 1), [&](int) {
        Utf8Text scratch;
        std::vector<Morph> morphs;
        for (size_t i; (i = next.fetch_add(1)) < texts_.size();)
          text_terms(*tagger_, *options_, texts_[i].data(), texts_[i].size(), scratch, morphs, out_[i]);
      });
    } catch (const std::bad_alloc&) {
      SetError("out of memory");
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array all = Napi::Array::New(env, out_.size());
    Napi::Uint32Array fold = Napi::Uint32Array::New(env, out_.size());
    Napi::Uint32Array compounds = Napi::Uint32Array::New(env, out_.size());
    for (size_t i = 0; i < out_.size(); ++i) {
      all.Set(static_cast<uint32_t>(i), to_array(env, out_[i]));
      fold[i] = out_[i].needs_fold;
      compounds[i] = out_[i].compounds;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("terms", all);
    r.Set("fold", fold);
    r.Set("compounds", compounds);
    deferred_.Resolve(r);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<const Tagger> tagger_;
  std::shared_ptr<TermOptions> options_;
  std::vector<std::u16string> texts_;
  std::vector<Terms> out_;
  int threads_;
};

// mecabTermsBatch(handle, texts, threads) → Promise<{ terms: string[][], fold: Uint32Array }>; fold[i]:
// terms of text i that need JS case folding
Napi::Value TermsBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle& h = handle_of(info);
  if (info.Length() < 2 || !info[1].IsArray()) fail(env, "texts must be an array of strings");
  Napi::Array a = info[1].As<Napi::Array>();
  std::vector<std::u16string> texts(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value v = a.Get(i);
    if (!v.IsString()) fail(env, "texts must be an array of strings");
    texts[i] = v.As<Napi::String>().Utf16Value();
  }
  // threads <= 0: all hardware threads but one, which stays with the JS thread and its event loop
  // (with every core busy analysing, the loop's timers waited 50-150 ms for a core on a 2-core machine)
  int threads = std::max(1, default_threads() - 1);
  if (info.Length() > 2 && info[2].IsNumber() && info[2].As<Napi::Number>().Int32Value() > 0)
    threads = std::min(1024, info[2].As<Napi::Number>().Int32Value());
  auto* w = new TermsWorker(env, h, std::move(texts), threads);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// mecabParse(handle, text) → { begin: Int32Array, end: Int32Array, features: string[], user: Uint8Array }:
// the best path's dictionary entries with UTF-16 offsets into text; user[i] = 1 for user words.
Napi::Value Parse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle& h = handle_of(info);
  const std::u16string text = string_arg(info, 1);
  Utf8Text u8;
  utf16_to_utf8(text.data(), text.size(), u8);
  std::vector<Morph> morphs;
  h.tagger->parse(reinterpret_cast<const uint8_t*>(u8.bytes.data()), u8.bytes.size(), morphs);
  Napi::Int32Array begin = Napi::Int32Array::New(env, morphs.size()), end = Napi::Int32Array::New(env, morphs.size());
  Napi::Array features = Napi::Array::New(env, morphs.size());
  Napi::Uint8Array user = Napi::Uint8Array::New(env, morphs.size());
  for (size_t i = 0; i < morphs.size(); ++i) {
    user[i] = morphs[i].source == Source::User ? 1 : 0;
    begin[i] = static_cast<int32_t>(u8.u16_at[morphs[i].begin]);
    end[i] = static_cast<int32_t>(u8.u16_at[morphs[i].end]);
    const std::string_view f = h.tagger->feature(morphs[i]);
    features.Set(static_cast<uint32_t>(i), Napi::String::New(env, f.data(), f.size()));
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("begin", begin);
  r.Set("end", end);
  r.Set("features", features);
  r.Set("user", user);
  return r;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Handle& h = handle_of(info);
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("loadMs", h.load_ms);
  r.Set("mappedBytes", static_cast<double>(h.tagger->dictionary().mapped_bytes()));
  r.Set("userWords", static_cast<double>(h.tagger->user() ? h.tagger->user()->size() : 0));
  const Matrix& m = h.tagger->dictionary().matrix();
  r.Set("matrixRows", static_cast<double>(m.row_classes()));
  r.Set("matrixColumns", static_cast<double>(m.column_classes()));
  r.Set("matrixBytes", static_cast<double>(m.bytes()));
  r.Set("featureCacheBytes", static_cast<double>(h.tagger->dictionary().system().feature_cache_bytes()));
  r.Set("compoundTerms", true);  // this addon builds compound terms when asked (an older one ignores the option)
  return r;
}

// mecabFoldMatrix(costs: Int16Array, rights, lefts) → { rows, columns, costs: Int16Array }: a connection
// matrix in matrix.bin's layout folded (matrix.h), then read back cell by cell in that layout.
Napi::Value FoldMatrix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array || !info[1].IsNumber() ||
      !info[2].IsNumber())
    fail(env, "expected (Int16Array costs, rights, lefts)");
  Napi::Int16Array costs = info[0].As<Napi::Int16Array>();
  const int64_t rights = info[1].As<Napi::Number>().Int64Value(), lefts = info[2].As<Napi::Number>().Int64Value();
  if (rights < 0 || lefts < 0 || rights > 0xFFFF || lefts > 0xFFFF ||
      static_cast<size_t>(rights * lefts) != costs.ElementLength())
    fail(env, "costs must hold rights × lefts values, each count in 0..65535");
  const Matrix m(costs.Data(), static_cast<uint32_t>(rights), static_cast<uint32_t>(lefts));
  Napi::Int16Array back = Napi::Int16Array::New(env, costs.ElementLength());
  for (uint32_t l = 0; l < m.left_ids(); ++l)
    for (uint32_t r = 0; r < m.right_ids(); ++r)
      back[r + static_cast<size_t>(m.right_ids()) * l] = static_cast<int16_t>(m.cost(r, l));
  Napi::Object out = Napi::Object::New(env);
  out.Set("rows", static_cast<double>(m.row_classes()));
  out.Set("columns", static_cast<double>(m.column_classes()));
  out.Set("costs", back);
  return out;
}

}  // namespace

void register_analyze(Napi::Env env, Napi::Object exports) {
  exports.Set("mecabOpen", Napi::Function::New(env, Open));
  exports.Set("mecabTerms", Napi::Function::New(env, TermsSync));
  exports.Set("mecabTermsBatch", Napi::Function::New(env, TermsBatch));
  exports.Set("mecabParse", Napi::Function::New(env, Parse));
  exports.Set("mecabInfo", Napi::Function::New(env, Info));
  exports.Set("mecabFoldMatrix", Napi::Function::New(env, FoldMatrix));
}

}  // namespace tamsaek
