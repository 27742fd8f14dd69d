// @pval/capture: live capture through libpcap, waiting with libuv.
//
// One Capture per interface: pcap_create/activate in non-blocking mode with
// immediate delivery and nanosecond timestamps; a uv_poll_t on
// pcap_get_selectable_fd() wakes the loop, and each wakeup runs
// pcap_dispatch() with a bounded budget, so a busy link cannot starve the
// event loop. Packets of one wakeup go to JavaScript as one Buffer:
//   per packet: u32 sec_hi, u32 sec_lo, u32 nsec, u32 caplen, u32 origlen,
//   then caplen bytes padded to 4 (native byte order).
// Filter compiles an expression for a link type without a device and runs
// it on packets read from files, as tcpdump -r does.

#include <napi.h>
#include <pcap/pcap.h>
#include <uv.h>

#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr int kBudget = 64;  // pcap_dispatch calls per wakeup
constexpr size_t kHeader = 20;

class Capture : public Napi::ObjectWrap<Capture> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "Capture",
                                      {
                                          InstanceMethod("setFilter", &Capture::SetFilter),
                                          InstanceMethod("start", &Capture::Start),
                                          InstanceMethod("stop", &Capture::Stop),
                                          InstanceMethod("close", &Capture::Close),
                                          InstanceMethod("datalink", &Capture::Datalink),
                                          InstanceMethod("stats", &Capture::Stats),
                                      });
    exports.Set("Capture", ctor);
    return exports;
  }

  // new Capture(device, snaplen, promisc, datalink); datalink -1 keeps the device's default
  explicit Capture(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Capture>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsBoolean() ||
        !info[3].IsNumber()) {
      Napi::TypeError::New(env, "Capture(device: string, snaplen: number, promisc: boolean, datalink: number)")
          .ThrowAsJavaScriptException();
      return;
    }
    int datalink = info[3].As<Napi::Number>().Int32Value();
    device_ = info[0].As<Napi::String>().Utf8Value();
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_ = pcap_create(device_.c_str(), errbuf);
    if (pcap_ == nullptr) {
      Napi::Error::New(env, std::string(device_) + ": " + errbuf).ThrowAsJavaScriptException();
      return;
    }
    pcap_set_snaplen(pcap_, info[1].As<Napi::Number>().Int32Value());
    pcap_set_promisc(pcap_, info[2].As<Napi::Boolean>().Value() ? 1 : 0);
    pcap_set_immediate_mode(pcap_, 1);
    nano_ = pcap_set_tstamp_precision(pcap_, PCAP_TSTAMP_PRECISION_NANO) == 0;
    // Each failure from here on closes the handle and names the device.
    auto fail = [&](const std::string& why) {
      std::string msg = device_ + ": " + why;
      pcap_close(pcap_);
      pcap_ = nullptr;
      Napi::Error::New(env, msg).ThrowAsJavaScriptException();
    };
    int rc = pcap_activate(pcap_);
    if (rc < 0) {
      fail(rc == PCAP_ERROR ? pcap_geterr(pcap_) : pcap_statustostr(rc));
      return;
    }
    if (datalink >= 0 && pcap_set_datalink(pcap_, datalink) < 0) {
      fail(pcap_geterr(pcap_));
      return;
    }
    if (pcap_setnonblock(pcap_, 1, errbuf) < 0) fail(errbuf);
  }

  ~Capture() override { Release(); }

 private:
  Napi::Value SetFilter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsString()) {
      Napi::TypeError::New(env, "setFilter(expression: string)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    std::string expr = info[0].As<Napi::String>().Utf8Value();
    struct bpf_program prog;
    // Netmask 0, as tcpdump without -f.
    if (pcap_compile(pcap_, &prog, expr.c_str(), 1, 0) < 0) {
      Napi::Error::New(env, pcap_geterr(pcap_)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int rc = pcap_setfilter(pcap_, &prog);
    pcap_freecode(&prog);
    if (rc < 0) {
      Napi::Error::New(env, pcap_geterr(pcap_)).ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }

  Napi::Value Datalink(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    return Napi::Number::New(env, pcap_datalink(pcap_));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    struct pcap_stat st;
    std::memset(&st, 0, sizeof st);
    if (pcap_stats(pcap_, &st) < 0) {
      Napi::Error::New(env, std::string("stats: ") + pcap_geterr(pcap_)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", Napi::Number::New(env, st.ps_recv));
    o.Set("dropped", Napi::Number::New(env, st.ps_drop));
    o.Set("ifDropped", Napi::Number::New(env, st.ps_ifdrop));
    return o;
  }

  // start(callback(err, buffer, count))
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      Napi::TypeError::New(env, "start(callback: function)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (poll_ != nullptr) {
      Napi::Error::New(env, "capture already started").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int fd = pcap_get_selectable_fd(pcap_);
    if (fd < 0) {
      Napi::Error::New(env, device_ + ": no selectable descriptor").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    context_ = std::make_unique<Napi::AsyncContext>(env, "pval:capture");
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    poll_->data = this;
    int rc = uv_poll_init(loop, poll_, fd);
    if (rc == 0) rc = uv_poll_start(poll_, UV_READABLE, OnReadable);
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll);
      poll_ = nullptr;
      Napi::Error::New(env, std::string("uv_poll: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Ref();
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopPoll();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  bool CheckOpen(Napi::Env env) {
    if (pcap_ != nullptr) return true;
    Napi::Error::New(env, "capture is closed").ThrowAsJavaScriptException();
    return false;
  }

  static void FreePoll(uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); }

  void StopPoll() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll);
    poll_ = nullptr;
    // The callback may be running (stop() or close() from JavaScript): drop
    // it once MakeCallback has returned.
    if (in_callback_) {
      reset_pending_ = true;
    } else {
      callback_.Reset();
      context_.reset();
    }
    Unref();
  }

  // The watcher goes before the pcap handle that owns its descriptor.
  void Release() {
    StopPoll();
    if (pcap_ != nullptr) {
      pcap_close(pcap_);
      pcap_ = nullptr;
    }
  }

  static void OnPacket(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
    auto* self = reinterpret_cast<Capture*>(user);
    size_t at = self->batch_.size();
    size_t padded = (h->caplen + 3u) & ~3u;
    self->batch_.resize(at + kHeader + padded);
    uint8_t* p = self->batch_.data() + at;
    uint64_t sec = static_cast<uint64_t>(h->ts.tv_sec);
    uint32_t words[5] = {static_cast<uint32_t>(sec >> 32), static_cast<uint32_t>(sec),
                         static_cast<uint32_t>(self->nano_ ? h->ts.tv_usec : h->ts.tv_usec * 1000), h->caplen,
                         h->len};
    std::memcpy(p, words, sizeof words);
    std::memcpy(p + kHeader, bytes, h->caplen);
    self->count_++;
  }

  static void OnReadable(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<Capture*>(handle->data);
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    // Keep the wrapper alive while JavaScript runs from here.
    self->Ref();
    self->Dispatch(env, status);
    self->Unref();
  }

  void Dispatch(Napi::Env env, int status) {
    Capture* self = this;
    if (status < 0) {
      Napi::Error err = Napi::Error::New(env, std::string("poll: ") + uv_strerror(status));
      self->Deliver(env, err.Value(), env.Null(), 0);
      return;
    }
    self->batch_.clear();
    self->count_ = 0;
    std::string failure;
    for (int i = 0; i < kBudget && self->pcap_ != nullptr; i++) {
      int n = pcap_dispatch(self->pcap_, -1, OnPacket, reinterpret_cast<u_char*>(self));
      if (n < 0) {
        failure = self->device_ + ": " + pcap_geterr(self->pcap_);
        break;
      }
      if (n == 0) break;
    }
    if (self->count_ > 0) {
      Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::Copy(env, self->batch_.data(), self->batch_.size());
      self->Deliver(env, env.Null(), buf, self->count_);
    }
    if (!failure.empty()) self->Deliver(env, Napi::Error::New(env, failure).Value(), env.Null(), 0);
  }

  void Deliver(Napi::Env env, Napi::Value err, Napi::Value buf, uint32_t count) {
    if (callback_.IsEmpty() || !context_ || reset_pending_) return;
    in_callback_ = true;
    callback_.MakeCallback(Value(), {err, buf, Napi::Number::New(env, count)}, *context_);
    in_callback_ = false;
    if (reset_pending_) {
      reset_pending_ = false;
      callback_.Reset();
      context_.reset();
    }
  }

  std::string device_;
  pcap_t* pcap_ = nullptr;
  bool nano_ = false;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> context_;
  std::vector<uint8_t> batch_;
  uint32_t count_ = 0;
  bool in_callback_ = false;
  bool reset_pending_ = false;
};

// A filter program compiled for a link type without a live device
// (pcap_open_dead), run on packets from anywhere with pcap_offline_filter:
// what tcpdump does to the packets of a file it reads.
class Filter : public Napi::ObjectWrap<Filter> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "Filter", {InstanceMethod("matches", &Filter::Matches)});
    exports.Set("Filter", ctor);
    return exports;
  }

  // new Filter(expression, linktype, snaplen, netmask)
  explicit Filter(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Filter>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsNumber()) {
      Napi::TypeError::New(env, "Filter(expression: string, linktype: number, snaplen: number, netmask: number)")
          .ThrowAsJavaScriptException();
      return;
    }
    std::string expr = info[0].As<Napi::String>().Utf8Value();
    int linktype = info[1].As<Napi::Number>().Int32Value();
    int snaplen = info[2].As<Napi::Number>().Int32Value();
    bpf_u_int32 netmask = info[3].As<Napi::Number>().Uint32Value();
    pcap_t* dead = pcap_open_dead(linktype, snaplen);
    if (dead == nullptr) {
      Napi::Error::New(env, "pcap_open_dead: out of memory").ThrowAsJavaScriptException();
      return;
    }
    int rc = pcap_compile(dead, &prog_, expr.c_str(), 1, netmask);
    std::string msg = rc < 0 ? pcap_geterr(dead) : "";
    pcap_close(dead);
    if (rc < 0) {
      Napi::Error::New(env, msg).ThrowAsJavaScriptException();
      return;
    }
    compiled_ = true;
  }

  ~Filter() override {
    if (compiled_) pcap_freecode(&prog_);
  }

 private:
  // matches(bytes: Uint8Array, offset, caplen, wireLength): the bytes are
  // bytes[offset, offset + caplen).
  Napi::Value Matches(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsNumber()) {
      Napi::TypeError::New(env, "matches(bytes: Uint8Array, offset: number, caplen: number, wireLength: number)")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::TypedArray array = info[0].As<Napi::TypedArray>();
    if (array.TypedArrayType() != napi_uint8_array) {
      Napi::TypeError::New(env, "matches: bytes must be a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array bytes = array.As<Napi::Uint8Array>();
    double offset = info[1].As<Napi::Number>().DoubleValue();
    double caplen = info[2].As<Napi::Number>().DoubleValue();
    double wirelen = info[3].As<Napi::Number>().DoubleValue();
    if (!(offset >= 0 && caplen >= 0 && offset + caplen <= static_cast<double>(bytes.ElementLength()) &&
          wirelen >= 0 && wirelen <= 4294967295.0)) {
      Napi::RangeError::New(env, "matches: offset and caplen must lie inside bytes, wireLength in 0..2^32-1")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    struct pcap_pkthdr h;
    std::memset(&h, 0, sizeof h);
    h.caplen = static_cast<bpf_u_int32>(caplen);
    h.len = static_cast<bpf_u_int32>(wirelen);
    const u_char* data = bytes.Data() + static_cast<size_t>(offset);
    return Napi::Boolean::New(env, pcap_offline_filter(&prog_, &h, data) != 0);
  }

  struct bpf_program prog_ = {0, nullptr};
  bool compiled_ = false;
};

// interfaceName(index): if_indextoname in the caller's network namespace, or null.
Napi::Value InterfaceName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "interfaceName(index: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double index = info[0].As<Napi::Number>().DoubleValue();
  char name[IF_NAMESIZE];
  if (!(index >= 1 && index <= 4294967295.0) || if_indextoname(static_cast<unsigned>(index), name) == nullptr) {
    return env.Null();
  }
  return Napi::String::New(env, name);
}

// linktypeName(dlt): libpcap's name and description of a link type, or null.
Napi::Value LinktypeName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "linktypeName(linktype: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int dlt = info[0].As<Napi::Number>().Int32Value();
  const char* name = pcap_datalink_val_to_name(dlt);
  if (name == nullptr) return env.Null();
  const char* description = pcap_datalink_val_to_description(dlt);
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", Napi::String::New(env, name));
  o.Set("description", Napi::String::New(env, description != nullptr ? description : name));
  return o;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Capture::Init(env, exports);
  Filter::Init(env, exports);
  exports.Set("interfaceName", Napi::Function::New(env, InterfaceName, "interfaceName"));
  exports.Set("linktypeName", Napi::Function::New(env, LinktypeName, "linktypeName"));
  return exports;
}

NODE_API_MODULE(pval_capture, Init)
