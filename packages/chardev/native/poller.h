// One pval character device: its file descriptor, its libuv watcher and the
// bounded readv drain that runs when the ring has slots. Opened with a buffer
// size, a ReaderThread drains the ring instead and the event loop takes the
// slots from its buffer (woken through a uv_async_t).
//
// Ownership: a Device owns the fd and the uv_poll_t. close() stops the
// watcher, hands it to uv_close (whose callback frees it) and then closes the
// fd, so the fd is never closed while libuv still watches it. The wrapper is
// Ref()'d while the watcher runs, so a reading device is never collected.
#ifndef PVAL_CHARDEV_POLLER_H
#define PVAL_CHARDEV_POLLER_H

#include <napi.h>
#include <sys/uio.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "reader_thread.h"

namespace pval {

// Flags of the Device constructor.
enum DeviceFlags : uint32_t {
  // readv returns bytes, as it does on a FIFO; the device divides by the
  // slot size. Only for exercising the event-loop mechanics without pval.ko.
  kDeviceByteStream = 1u << 0,
};

// Node-shaped error for a failed system call on `path`: message, errno
// (negative, as libuv and fs report it), code, syscall and path.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& path);

class Device : public Napi::ObjectWrap<Device> {
 public:
  static Napi::Function Init(Napi::Env env);

  explicit Device(const Napi::CallbackInfo& info);
  ~Device() override;

 private:
  // JS methods.
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Halt(const Napi::CallbackInfo& info);
  Napi::Value WakeSlots(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetPath(const Napi::CallbackInfo& info);
  Napi::Value GetPolling(const Napi::CallbackInfo& info);
  Napi::Value GetBuffered(const Napi::CallbackInfo& info);
  Napi::Value GetScheduling(const Napi::CallbackInfo& info);
  Napi::Value GetReaderStats(const Napi::CallbackInfo& info);

  // One readv of up to max_slots slots into `base`. Returns the number of
  // slots (0 when the ring is empty: pval returns 0, a FIFO EAGAIN) or -1
  // with *err set to errno (ENODEV once a deleted link's ring is drained).
  // EINTR is retried.
  ssize_t ReadSlots(uint8_t* base, size_t capacity_bytes, size_t max_slots, int* err);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Drain(int status);
  static void OnAsync(uv_async_t* handle);
  void DrainBuffer();
  void Deliver(Napi::Env env, Napi::Function cb, const Napi::Value& err, size_t slots);
  void StartReader(Napi::Env env, uv_loop_t* loop, size_t buffer_bytes);
  void StopPolling();
  void CloseNow();

  std::string path_;
  uint32_t flags_ = 0;
  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;  // owned; freed by uv_close's callback
  bool polling_ = false;

  // With a buffer: the thread that reads the fd, and how it wakes the loop.
  std::unique_ptr<ReaderThread> reader_;
  uv_async_t* async_ = nullptr;  // owned; freed by uv_close's callback

  // Set by Start() for the poll-driven drain.
  Napi::Reference<Napi::ArrayBuffer> buffer_;
  Napi::FunctionReference on_batch_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  size_t max_slots_ = 0;
  unsigned budget_ = 0;

  std::vector<struct iovec> iov_;
  uint8_t* iov_base_ = nullptr;  // the buffer iov_ currently points into
};

}  // namespace pval

#endif  // PVAL_CHARDEV_POLLER_H
