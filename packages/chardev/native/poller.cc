#include "poller.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/pval.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <climits>

namespace pval {

namespace {

constexpr size_t kSlotSize = sizeof(struct pval_slot);
// readv takes at most IOV_MAX segments, one per slot.
constexpr size_t kMaxSlotsPerRead = IOV_MAX;

// What an errno means for a pval device, in the words of the API.
std::string Describe(int err, const char* syscall) {
  switch (err) {
    case ENOENT:
      return "no such pval device";
    case EBUSY:
      return "already opened by another reader";
    case EACCES:
    case EPERM:
      return "permission denied (pval devices are mode 0600: run as root)";
    case ENODEV:
      return "the pval link was deleted";
    case ENOTTY:
      if (strcmp(syscall, "ioctl") == 0) return "not a pval device, or a pval.ko without ring counters";
      break;
    default:
      break;
  }
  return strerror(err);
}

Napi::Number ToNumber(Napi::Env env, uint64_t v) {
  // Counters stay far below 2^53 in any real run.
  return Napi::Number::New(env, static_cast<double>(v));
}

uint32_t CheckedUint32(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 4294967295.0 || d != static_cast<double>(static_cast<uint32_t>(d)))
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an unsigned 32-bit integer");
  return static_cast<uint32_t>(d);
}

size_t CheckedMaxSlots(const Napi::Value& v, Napi::ArrayBuffer buf) {
  uint32_t n = CheckedUint32(v, "maxSlots");
  if (n < 1 || n > kMaxSlotsPerRead)
    throw Napi::RangeError::New(v.Env(), "maxSlots must be between 1 and " + std::to_string(kMaxSlotsPerRead));
  if (static_cast<size_t>(n) * kSlotSize > buf.ByteLength())
    throw Napi::RangeError::New(v.Env(), "buffer holds " + std::to_string(buf.ByteLength() / kSlotSize) +
                                             " slots, fewer than maxSlots " + std::to_string(n));
  return n;
}

}  // namespace

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  const char* code = uv_err_name(-err);
  std::string message = std::string(code) + ": " + Describe(err, syscall) + ", " + syscall + " '" + path + "'";
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("code", Napi::String::New(env, code));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.Set("path", Napi::String::New(env, path));
  return e;
}

Napi::Function Device::Init(Napi::Env env) {
  return DefineClass(env, "Device",
                     {
                         InstanceMethod<&Device::Read>("read"),
                         InstanceMethod<&Device::Start>("start"),
                         InstanceMethod<&Device::Stop>("stop"),
                         InstanceMethod<&Device::Close>("close"),
                         InstanceMethod<&Device::Stats>("stats"),
                         InstanceMethod<&Device::Halt>("halt"),
                         InstanceMethod<&Device::WakeSlots>("wakeSlots"),
                         InstanceAccessor<&Device::GetFd>("fd"),
                         InstanceAccessor<&Device::GetPath>("path"),
                         InstanceAccessor<&Device::GetPolling>("polling"),
                         InstanceAccessor<&Device::GetBuffered>("buffered"),
                         InstanceAccessor<&Device::GetScheduling>("scheduling"),
                         InstanceAccessor<&Device::GetReaderStats>("readerStats"),
                     });
}

// new Device(path, flags = 0, bufferBytes = 0): open the device non-blocking;
// with bufferBytes, start a reader thread that keeps up to that many bytes of
// slots.
Device::Device(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Device>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  path_ = info[0].As<Napi::String>().Utf8Value();
  if (info.Length() > 1 && !info[1].IsUndefined()) flags_ = CheckedUint32(info[1], "flags");
  uint32_t buffer_bytes = 0;
  if (info.Length() > 2 && !info[2].IsUndefined()) buffer_bytes = CheckedUint32(info[2], "bufferBytes");

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
    throw Napi::Error::New(env, "cannot get the event loop of this thread");

  int fd;
  do {
    fd = open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw ErrnoError(env, errno, "open", path_);

  auto* poll = new uv_poll_t;
  int rc = uv_poll_init(loop, poll, fd);
  if (rc != 0) {
    // The handle was never initialised: nothing for uv_close, free it here.
    delete poll;
    close(fd);
    throw ErrnoError(env, -rc, "uv_poll_init", path_);
  }
  poll->data = this;
  fd_ = fd;
  poll_ = poll;
  iov_.resize(kMaxSlotsPerRead);
  if (buffer_bytes > 0) StartReader(env, loop, buffer_bytes);
}

void Device::StartReader(Napi::Env env, uv_loop_t* loop, size_t buffer_bytes) {
  auto* async = new uv_async_t;
  int rc = uv_async_init(loop, async, OnAsync);
  if (rc != 0) {
    delete async;
    CloseNow();
    throw ErrnoError(env, -rc, "uv_async_init", path_);
  }
  async->data = this;
  // Only a reading device keeps the loop alive (see Start and StopPolling).
  uv_unref(reinterpret_cast<uv_handle_t*>(async));
  async_ = async;
  reader_ = std::make_unique<ReaderThread>(fd_, kSlotSize, buffer_bytes, (flags_ & kDeviceByteStream) != 0,
                                           [async] { uv_async_send(async); });
  int err = reader_->Start();
  if (err != 0) {
    CloseNow();
    throw ErrnoError(env, err, "pthread_create", path_);
  }
}

Device::~Device() {
  // Collected without close(): release what is still held. A polling device
  // is Ref()'d, so this only meets idle devices.
  CloseNow();
}

ssize_t Device::ReadSlots(uint8_t* base, size_t capacity_bytes, size_t max_slots, int* err) {
  if (max_slots * kSlotSize > capacity_bytes) max_slots = capacity_bytes / kSlotSize;
  if (iov_base_ != base) {
    for (size_t i = 0; i < kMaxSlotsPerRead; ++i) {
      iov_[i].iov_base = base + i * kSlotSize;
      iov_[i].iov_len = kSlotSize;
    }
    iov_base_ = base;
  }
  ssize_t n;
  do {
    n = readv(fd_, iov_.data(), static_cast<int>(max_slots));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    *err = errno;
    return -1;
  }
  if (flags_ & kDeviceByteStream) {
    if (n % kSlotSize != 0) {
      *err = EIO;
      return -1;
    }
    n /= kSlotSize;
  }
  if (static_cast<size_t>(n) > max_slots) {
    // A driver that returns bytes instead of slots; never trust it.
    *err = EIO;
    return -1;
  }
  return n;
}

// read(buffer, maxSlots): one non-blocking readv. Returns the number of slots
// (0 when the ring is empty) or throws.
Napi::Value Device::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "readv", path_);
  if (info.Length() < 2 || !info[0].IsArrayBuffer()) throw Napi::TypeError::New(env, "buffer must be an ArrayBuffer");
  Napi::ArrayBuffer buf = info[0].As<Napi::ArrayBuffer>();
  size_t max_slots = CheckedMaxSlots(info[1], buf);
  int err = 0;
  ssize_t n;
  if (reader_) {
    n = static_cast<ssize_t>(reader_->Take(static_cast<uint8_t*>(buf.Data()), max_slots));
    // The thread's error comes once what it read before has been taken.
    if (n == 0 && (err = reader_->Error()) != 0) n = -1;
  } else {
    n = ReadSlots(static_cast<uint8_t*>(buf.Data()), buf.ByteLength(), max_slots, &err);
  }
  if (n < 0) throw ErrnoError(env, err, "readv", path_);
  return Napi::Number::New(env, static_cast<double>(n));
}

// start(buffer, maxSlots, budget, onBatch): watch the fd; on each wakeup call
// readv at most `budget` times, and onBatch(null, slots) after each read that
// returned slots. onBatch may call stop() or close() to end the drain. On a
// read error the watcher stops and onBatch(error, 0) is called once.
Napi::Value Device::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "poll", path_);
  if (info.Length() < 4 || !info[0].IsArrayBuffer()) throw Napi::TypeError::New(env, "buffer must be an ArrayBuffer");
  if (!info[3].IsFunction()) throw Napi::TypeError::New(env, "onBatch must be a function");
  Napi::ArrayBuffer buf = info[0].As<Napi::ArrayBuffer>();
  size_t max_slots = CheckedMaxSlots(info[1], buf);
  uint32_t budget = CheckedUint32(info[2], "budget");
  if (budget < 1) throw Napi::RangeError::New(env, "budget must be at least 1");

  buffer_ = Napi::Persistent(buf);
  on_batch_ = Napi::Persistent(info[3].As<Napi::Function>());
  if (!async_context_) async_context_ = std::make_unique<Napi::AsyncContext>(env, "PvalChardevRead", Value());
  max_slots_ = max_slots;
  budget_ = budget;

  if (!polling_) {
    if (reader_) {
      uv_ref(reinterpret_cast<uv_handle_t*>(async_));
      // Slots may be waiting already.
      uv_async_send(async_);
    } else {
      int rc = uv_poll_start(poll_, UV_READABLE, OnPoll);
      if (rc != 0) throw ErrnoError(env, -rc, "uv_poll_start", path_);
    }
    polling_ = true;
    Ref();
  }
  return env.Undefined();
}

void Device::OnAsync(uv_async_t* handle) { static_cast<Device*>(handle->data)->DrainBuffer(); }

// The buffered twin of Drain: at most `budget_` batches from the reader
// thread's buffer per loop turn; what is left wakes the loop again.
void Device::DrainBuffer() {
  if (!polling_ || !reader_) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  for (unsigned round = 0; round < budget_ && polling_; ++round) {
    Napi::ArrayBuffer buf = buffer_.Value();
    size_t n = reader_->Take(static_cast<uint8_t*>(buf.Data()), max_slots_);
    if (n == 0) break;
    Deliver(env, on_batch_.Value(), env.Null(), n);
  }
  if (!polling_) return;  // stopped or closed from the callback
  if (reader_->Buffered() > 0) {
    uv_async_send(async_);
    return;
  }
  int err = reader_->Error();
  if (err != 0) {
    Napi::Error e = ErrnoError(env, err, "readv", path_);
    Napi::Function cb = on_batch_.Value();
    StopPolling();
    Deliver(env, cb, e.Value(), 0);
  }
}

void Device::OnPoll(uv_poll_t* handle, int status, int events) {
  static_cast<Device*>(handle->data)->Drain(status);
}

void Device::Drain(int status) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  int err = 0;
  bool emptied = false;
  // Bounded: a ring that refills as fast as it is read must not keep the
  // event loop from timers and other I/O.
  for (unsigned round = 0; round < budget_ && polling_; ++round) {
    Napi::ArrayBuffer buf = buffer_.Value();
    ssize_t n = ReadSlots(static_cast<uint8_t*>(buf.Data()), buf.ByteLength(), max_slots_, &err);
    if (n < 0) break;
    if (n == 0) {
      emptied = true;
      break;
    }
    Deliver(env, on_batch_.Value(), env.Null(), static_cast<size_t>(n));
  }
  if (!polling_) return;  // stopped or closed from the callback
  if (err == 0 && status < 0) {
    // libuv stopped the watcher on POLLERR. Keep reading what is left; once
    // the ring is empty the device's state decides: pval reports ENODEV.
    if (!emptied) {
      uv_poll_start(poll_, UV_READABLE, OnPoll);
      return;
    }
    err = -status;
  }
  if (err != 0) {
    Napi::Error e = ErrnoError(env, err, "readv", path_);
    Napi::Function cb = on_batch_.Value();
    StopPolling();
    Deliver(env, cb, e.Value(), 0);
  }
}

// `cb` is a local handle, so a stop() or close() made inside it cannot free it.
void Device::Deliver(Napi::Env env, Napi::Function cb, const Napi::Value& err, size_t slots) {
  try {
    cb.MakeCallback(Value(), {err, Napi::Number::New(env, static_cast<double>(slots))}, *async_context_);
  } catch (const Napi::Error& e) {
    // No JavaScript below us on this stack: report it as uncaught, like an
    // exception in an event listener, and stop this drain.
    StopPolling();
    napi_fatal_exception(env, e.Value());
  }
}

void Device::StopPolling() {
  if (!polling_) return;
  polling_ = false;
  if (async_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(async_));
  else if (poll_ != nullptr) uv_poll_stop(poll_);
  buffer_.Reset();
  on_batch_.Reset();
  Unref();
}

Napi::Value Device::Stop(const Napi::CallbackInfo& info) {
  StopPolling();
  return info.Env().Undefined();
}

void Device::CloseNow() {
  // The thread reads the fd: end it before the fd closes.
  reader_.reset();
  if (async_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    async_ = nullptr;
  }
  if (poll_ != nullptr) {
    if (polling_) uv_poll_stop(poll_);
    // uv_close detaches the fd from the loop now; the handle's memory goes
    // in the close callback, on a later loop turn.
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

// close(): idempotent. Stops the watcher, then closes the fd.
Napi::Value Device::Close(const Napi::CallbackInfo& info) {
  StopPolling();
  CloseNow();
  async_context_.reset();
  return info.Env().Undefined();
}

// stats(): the ring's counters (PVAL_IOC_RING_STATS).
Napi::Value Device::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "ioctl", path_);
  struct pval_ring_stats st;
  memset(&st, 0, sizeof(st));
  int rc;
  do {
    rc = ioctl(fd_, PVAL_IOC_RING_STATS, &st);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) throw ErrnoError(env, errno, "ioctl", path_);
  Napi::Object o = Napi::Object::New(env);
  o.Set("copied", ToNumber(env, st.copied));
  o.Set("droppedFull", ToNumber(env, st.dropped_full));
  o.Set("droppedNomem", ToNumber(env, st.dropped_nomem));
  o.Set("read", ToNumber(env, st.read));
  return o;
}

// wakeSlots(n): asks the ring to wake this file's reader once n slots wait
// (PVAL_IOC_SET_WAKE_SLOTS; 0: the module's wake_batch) and returns the
// threshold in effect (PVAL_IOC_GET_WAKE_SLOTS). ENOTTY from a pval.ko
// without these ioctls.
Napi::Value Device::WakeSlots(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) throw Napi::TypeError::New(env, "wakeSlots(n) needs a slot count");
  uint32_t slots = CheckedUint32(info[0], "slots");
  if (fd_ < 0) throw ErrnoError(env, EBADF, "ioctl", path_);
  int rc;
  do {
    rc = ioctl(fd_, PVAL_IOC_SET_WAKE_SLOTS, &slots);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) {
    do {
      rc = ioctl(fd_, PVAL_IOC_GET_WAKE_SLOTS, &slots);
    } while (rc < 0 && errno == EINTR);
  }
  if (rc < 0) throw ErrnoError(env, errno, "ioctl", path_);
  return Napi::Number::New(env, slots);
}

// halt(): with a buffer, stop reading the device; what the buffer holds can
// still be read, and read() returns 0 once it is empty. Idempotent.
Napi::Value Device::Halt(const Napi::CallbackInfo& info) {
  if (reader_) reader_->Stop();
  return info.Env().Undefined();
}

Napi::Value Device::GetBuffered(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), reader_ ? static_cast<double>(reader_->Buffered()) : 0);
}

// How the reader thread is scheduled; null without one.
Napi::Value Device::GetScheduling(const Napi::CallbackInfo& info) {
  if (!reader_) return info.Env().Null();
  return Napi::String::New(info.Env(), reader_->Scheduling());
}

// How the reader thread kept up (see ReaderThread::Timing); null without one.
Napi::Value Device::GetReaderStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!reader_) return env.Null();
  ReaderThread::Timing t = reader_->Timings();
  Napi::Object o = Napi::Object::New(env);
  o.Set("allocations", Napi::Number::New(env, static_cast<double>(reader_->ReaderAllocations())));
  o.Set("reads", Napi::Number::New(env, static_cast<double>(t.reads)));
  o.Set("maxReadSlots", Napi::Number::New(env, static_cast<double>(t.max_read_slots)));
  o.Set("maxGapNs", Napi::Number::New(env, static_cast<double>(t.max_gap_ns)));
  o.Set("maxWaitNs", Napi::Number::New(env, static_cast<double>(t.max_wait_ns)));
  o.Set("gapFaults", Napi::Number::New(env, static_cast<double>(t.gap_faults)));
  o.Set("gapWaits", Napi::Number::New(env, static_cast<double>(t.gap_waits)));
  o.Set("gapPreemptions", Napi::Number::New(env, static_cast<double>(t.gap_preemptions)));
  o.Set("maxReadNs", Napi::Number::New(env, static_cast<double>(t.max_read_ns)));
  o.Set("maxWokeToReadNs", Napi::Number::New(env, static_cast<double>(t.max_woke_to_read_ns)));
  return o;
}

Napi::Value Device::GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

Napi::Value Device::GetPath(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), path_); }

Napi::Value Device::GetPolling(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), polling_); }

}  // namespace pval
