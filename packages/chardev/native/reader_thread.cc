#include "reader_thread.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

namespace pval {

ReaderThread::ReaderThread(int fd, size_t slot_size, size_t capacity_bytes, bool byte_stream,
                           std::function<void()> notify)
    : fd_(fd),
      slot_size_(slot_size),
      chunk_bytes_(kChunkSlots * slot_size),
      // At least one slot, so the thread always has room for something.
      capacity_(std::max(capacity_bytes, slot_size)),
      byte_stream_(byte_stream),
      notify_(std::move(notify)) {}

ReaderThread::~ReaderThread() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

int ReaderThread::Start() {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return errno;
  try {
    thread_ = std::thread(&ReaderThread::Run, this);
  } catch (const std::system_error& e) {
    return e.code().value() ? e.code().value() : EAGAIN;
  }
  return 0;
}

void ReaderThread::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  room_.notify_all();
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t rc = write(wake_fd_, &one, sizeof(one));
    (void)rc;  // an eventfd counter that is already set wakes poll() all the same
  }
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<ReaderThread::Chunk> ReaderThread::NewChunk() {
  std::unique_ptr<Chunk> c = std::move(spare_);
  if (!c) {
    c = std::make_unique<Chunk>();
    c->data.reset(new uint8_t[chunk_bytes_]);
  }
  c->filled = 0;
  c->taken = 0;
  return c;
}

ReaderThread::Wait ReaderThread::WaitReadable() {
  struct pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    int rc = poll(fds, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return Wait::kReadable;  // let read() report what is wrong
    if (fds[1].revents) return Wait::kStopped;
    // POLLERR/POLLHUP: a deleted link, which read() reports once drained.
    if (fds[0].revents & (POLLERR | POLLHUP)) return Wait::kHangup;
    return Wait::kReadable;
  }
}

void ReaderThread::Run() {
  int err = 0;
  bool hangup = false;  // poll() said the device is gone
  for (;;) {
    Chunk* chunk;
    size_t at;
    size_t len;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Back-pressure: a full buffer leaves the slots in the kernel's ring.
      room_.wait(lock, [this] { return stop_ || capacity_ - buffered_ >= slot_size_; });
      if (stop_) break;
      if (chunks_.empty() || chunks_.back()->filled == chunk_bytes_) chunks_.push_back(NewChunk());
      chunk = chunks_.back().get();
      at = chunk->filled;
      len = std::min(chunk_bytes_ - at, capacity_ - buffered_);
      // A pval device fills whole slots only; a shorter buffer truncates one.
      if (!byte_stream_) len -= len % slot_size_;
    }
    // Take() never frees a chunk that is not full, so `chunk` stays valid.
    ssize_t n = read(fd_, chunk->data.get() + at, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      err = errno;
      break;
    }
    // End of a byte stream (a FIFO whose writer closed).
    if (n == 0 && byte_stream_) break;
    if (n <= 0) {
      // An empty ring: a pval device returns 0 (EAGAIN from a FIFO). A
      // device that hung up returns ENODEV once drained, never 0.
      if (hangup) {
        err = ENODEV;
        break;
      }
      Wait w = WaitReadable();
      if (w == Wait::kStopped) break;
      hangup = w == Wait::kHangup;
      continue;
    }
    size_t bytes = static_cast<size_t>(n);
    if (!byte_stream_) {
      // read() of a pval device returns slots, never more than asked for.
      if (bytes > len / slot_size_) {
        err = EIO;
        break;
      }
      bytes *= slot_size_;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      chunk->filled += bytes;
      buffered_ += bytes;
    }
    notify_();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = err;
  }
  notify_();
}

size_t ReaderThread::Take(uint8_t* dst, size_t max_slots) {
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (n < max_slots && !chunks_.empty()) {
      Chunk* c = chunks_.front().get();
      size_t k = std::min((c->filled - c->taken) / slot_size_, max_slots - n);
      memcpy(dst + n * slot_size_, c->data.get() + c->taken, k * slot_size_);
      c->taken += k * slot_size_;
      buffered_ -= k * slot_size_;
      n += k;
      // Only a full chunk is done with; the last one is still being filled.
      if (c->taken < chunk_bytes_) break;
      if (!spare_) spare_ = std::move(chunks_.front());
      chunks_.pop_front();
    }
  }
  if (n > 0) room_.notify_one();
  return n;
}

size_t ReaderThread::Buffered() {
  std::lock_guard<std::mutex> lock(mu_);
  return buffered_ / slot_size_;
}

int ReaderThread::Error() {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

}  // namespace pval
