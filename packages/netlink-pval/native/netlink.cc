// A minimal AF_NETLINK datagram socket for Node.js.
//
// The surface is deliberately small: open a socket for one netlink protocol,
// send one buffer to the kernel, receive datagrams through a callback driven by
// libuv, close. Everything about message formats lives in TypeScript.
//
//   new Socket(protocol, onMessage(buffer), onError(err)[, netnsPath])
//                             netnsPath: open the socket in that network
//                             namespace (e.g. /run/netns/NAME), as `ip -n` does
//   socket.send(buffer)       synchronous sendto() to the kernel (pid 0)
//   socket.port()             the port id the kernel assigned at bind()
//   socket.ref() / unref()    keep (or stop keeping) the event loop alive
//   socket.close()            idempotent
#include <napi.h>
#include <uv.h>

#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

namespace {

// Reads per wakeup. A dump can keep the socket readable for a long time; stop
// after this many datagrams and let the loop run other callbacks first.
constexpr int kReadBudget = 32;

// Largest datagram accepted; the kernel caps rtnetlink dump messages well below.
constexpr size_t kMaxDatagram = 1 << 20;

Napi::Error ErrnoException(Napi::Env env, int errnum, const char* syscall) {
  const char* code = uv_err_name(-errnum);
  std::string message = std::string(code) + ": " + std::strerror(errnum) + ", " + syscall;
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("errno", Napi::Number::New(env, -errnum));
  err.Set("code", Napi::String::New(env, code));
  err.Set("syscall", Napi::String::New(env, syscall));
  return err;
}

class Socket : public Napi::ObjectWrap<Socket> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "Socket",
                                      {
                                          InstanceMethod("send", &Socket::Send),
                                          InstanceMethod("port", &Socket::Port),
                                          InstanceMethod("ref", &Socket::RefLoop),
                                          InstanceMethod("unref", &Socket::UnrefLoop),
                                          InstanceMethod("close", &Socket::Close),
                                      });
    exports.Set("Socket", ctor);
    return exports;
  }

  explicit Socket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Socket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsFunction() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "Socket(protocol: number, onMessage: function, onError: function)")
          .ThrowAsJavaScriptException();
      return;
    }
    // The callbacks live on the JS object, so they are not GC roots of their own.
    info.This().As<Napi::Object>().Set("_onMessage", info[1]);
    info.This().As<Napi::Object>().Set("_onError", info[2]);

    int protocol = info[0].As<Napi::Number>().Int32Value();
    int fd;
    if (info.Length() > 3 && info[3].IsString()) {
      fd = SocketInNetns(env, protocol, info[3].As<Napi::String>().Utf8Value());
      if (fd < 0) return;
    } else {
      fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
      if (fd < 0) {
        ErrnoException(env, errno, "socket").ThrowAsJavaScriptException();
        return;
      }
    }
    int one = 1;
    // Extended acks carry the kernel's error text; capped acks do not echo the request.
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
      int saved = errno;
      ::close(fd);
      ErrnoException(env, saved, "bind").ThrowAsJavaScriptException();
      return;
    }

    poll_ = new uv_poll_t;
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    int rc = uv_poll_init(loop, poll_, fd);
    if (rc < 0) {
      delete poll_;
      poll_ = nullptr;
      ::close(fd);
      ErrnoException(env, -rc, "uv_poll_init").ThrowAsJavaScriptException();
      return;
    }
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, &Socket::OnReadable);
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    fd_ = fd;
    // Stay alive while open: the poll handle points at us.
    Ref();
  }

  ~Socket() override { Shutdown(); }

 private:
  // A socket belongs to the namespace it was created in: switch this thread
  // into the target namespace, create the socket, switch back.
  static int SocketInNetns(Napi::Env env, int protocol, const std::string& path) {
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
      ErrnoException(env, errno, "open /proc/thread-self/ns/net").ThrowAsJavaScriptException();
      return -1;
    }
    int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (target < 0) {
      int saved = errno;
      ::close(self);
      ErrnoException(env, saved, "open netns").ThrowAsJavaScriptException();
      return -1;
    }
    int fd = -1;
    const char* failed = nullptr;
    int saved = 0;
    if (setns(target, CLONE_NEWNET) < 0) {
      failed = "setns";
      saved = errno;
    } else {
      fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
      if (fd < 0) {
        failed = "socket";
        saved = errno;
      }
      if (setns(self, CLONE_NEWNET) < 0) abort();  // cannot leave the process in the wrong namespace
    }
    ::close(target);
    ::close(self);
    if (failed != nullptr) ErrnoException(env, saved, failed).ThrowAsJavaScriptException();
    return fd;
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    static_cast<Socket*>(handle->data)->Drain(status);
  }

  void Drain(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (status < 0) {
      Emit("_onError", ErrnoException(env, -status, "uv_poll").Value());
      return;
    }
    for (int i = 0; i < kReadBudget && fd_ >= 0; i++) {
      ssize_t size;
      do {
        size = recv(fd_, nullptr, 0, MSG_PEEK | MSG_TRUNC);
      } while (size < 0 && errno == EINTR);
      if (size < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) Emit("_onError", ErrnoException(env, errno, "recv").Value());
        return;
      }
      size_t want = static_cast<size_t>(size) < kMaxDatagram ? static_cast<size_t>(size) : kMaxDatagram;
      char* data = new char[want > 0 ? want : 1];
      ssize_t got;
      do {
        got = recv(fd_, data, want, 0);
      } while (got < 0 && errno == EINTR);
      if (got < 0) {
        int saved = errno;
        delete[] data;
        if (saved != EAGAIN && saved != EWOULDBLOCK) Emit("_onError", ErrnoException(env, saved, "recv").Value());
        return;
      }
      Napi::Buffer<char> buf = Napi::Buffer<char>::New(env, data, static_cast<size_t>(got),
                                                       [](Napi::Env, char* p) { delete[] p; });
      Emit("_onMessage", buf);
    }
  }

  void Emit(const char* name, Napi::Value arg) {
    Napi::Value cb = Value().Get(name);
    if (!cb.IsFunction()) return;
    Napi::AsyncContext context(Env(), "pval:netlink");
    cb.As<Napi::Function>().MakeCallback(Value(), {arg}, context);
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "send(buffer: Buffer)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) {
      ErrnoException(env, EBADF, "sendto").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Buffer<char> buf = info[0].As<Napi::Buffer<char>>();
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t rc;
    do {
      rc = sendto(fd_, buf.Data(), buf.Length(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
      ErrnoException(env, errno, "sendto").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(rc));
  }

  Napi::Value Port(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    sockaddr_nl addr{};
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
      ErrnoException(env, fd_ < 0 ? EBADF : errno, "getsockname").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, addr.nl_pid);
  }

  Napi::Value RefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value UnrefLoop(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) {
      Shutdown();
      Unref();
    }
    return info.Env().Undefined();
  }

  // Stop the watcher before closing the fd; the handle is freed in its close callback.
  void Shutdown() {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_),
               [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) { return Socket::Init(env, exports); }

}  // namespace

NODE_API_MODULE(pval_netlink, Init)
