#include "reader_thread.h"

#include <errno.h>
#include <sys/epoll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <new>
#include <system_error>

namespace pval {

namespace {

// Touching one byte in each is enough to fault a page in (4 KiB or more).
constexpr size_t kPageBytes = 4096;

uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// PVAL_READER_SCHED=default keeps the process's scheduling for both threads
// (to measure what the priorities are worth).
bool DefaultScheduling() {
  const char* want = getenv("PVAL_READER_SCHED");
  return want != nullptr && strcmp(want, "default") == 0;
}

}  // namespace

PiMutex::PiMutex() {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
  pthread_mutex_init(&m_, &attr);
  pthread_mutexattr_destroy(&attr);
}

PiMutex::~PiMutex() { pthread_mutex_destroy(&m_); }

ReaderThread::ReaderThread(int fd, size_t slot_size, size_t capacity_bytes, bool byte_stream,
                           std::function<void()> notify)
    : fd_(fd),
      slot_size_(slot_size),
      chunk_bytes_(kChunkSlots * slot_size),
      // At least one slot, so the thread always has room for something.
      capacity_(std::max(capacity_bytes, slot_size)),
      byte_stream_(byte_stream),
      notify_(std::move(notify)),
      // One more than the capacity's worth: a chunk partly taken and one
      // partly filled may hold it between them.
      max_chunks_((capacity_ + chunk_bytes_ - 1) / chunk_bytes_ + 1) {
  // Never reallocated under mu_: every chunk there can be fits.
  spares_.reserve(max_chunks_);
}

ReaderThread::~ReaderThread() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

int ReaderThread::Start() {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return errno;
  // Edge-triggered on the device: epoll_wait() returns on the ring's next
  // wakeup, not while a few slots wait. The ring wakes its reader when it
  // holds a batch (the threshold its reader asked for, else wake_batch) or
  // when the oldest copy has waited wake_usecs, so a thread that drained
  // the ring sleeps until a batch is there, and the producer, not a timer
  // of the thread's, says when.
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return errno;
  struct epoll_event dev = {};
  dev.events = EPOLLIN | EPOLLET;
  dev.data.fd = fd_;
  struct epoll_event stop = {};
  stop.events = EPOLLIN;
  stop.data.fd = wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd_, &dev) < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &stop) < 0) {
    return errno;
  }
  // The backlog's first chunks, allocated and faulted in now rather than by
  // the thread while the ring fills.
  size_t prepared = std::min(kPreparedChunks, max_chunks_);
  while (spares_.size() < prepared) spares_.push_back(AllocChunk());
  allocated_ = spares_.size();
  try {
    keeper_ = std::thread(&ReaderThread::Keep, this);
    thread_ = std::thread(&ReaderThread::Run, this);
  } catch (const std::system_error& e) {
    Stop();
    return e.code().value() ? e.code().value() : EAGAIN;
  }
  // Copies are only made while a reader holds the device: once this returns
  // the thread reads them, so a consumer may start counting.
  std::unique_lock<PiMutex> lock(mu_);
  ran_.wait(lock, [this] { return running_ || stop_; });
  return 0;
}

void ReaderThread::RaisePriority() {
  if (DefaultScheduling()) {
    scheduling_ = "default (PVAL_READER_SCHED=default)";
    return;
  }
  struct sched_param sp;
  memset(&sp, 0, sizeof(sp));
  sp.sched_priority = 1;
  int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
  if (rc == 0) {
    scheduling_ = "SCHED_FIFO 1";
    return;
  }
  std::string why = std::string("SCHED_FIFO: ") + strerror(rc);
  // Linux applies a thread id's nice value to that thread alone.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), -10) == 0) {
    scheduling_ = "nice -10";
    return;
  }
  scheduling_ = "default (" + why + ", nice -10: " + strerror(errno) + ")";
}

void ReaderThread::Stop() {
  {
    std::lock_guard<PiMutex> lock(mu_);
    stop_ = true;
  }
  room_.notify_all();
  need_spares_.notify_all();
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t rc = write(wake_fd_, &one, sizeof(one));
    (void)rc;  // an eventfd counter that is already set wakes epoll_wait() all the same
  }
  if (thread_.joinable()) thread_.join();
  if (keeper_.joinable()) keeper_.join();
}

ReaderThread::Chunk::~Chunk() { munmap(data, bytes); }

std::unique_ptr<ReaderThread::Chunk> ReaderThread::AllocChunk() {
  // A mapping of its own, not the allocator's heap, never made part of a
  // transparent huge page: khugepaged's collapse of a range unmaps it while
  // it copies 2 MiB, and a read() into it waits (a read of 54 ms once in a
  // flood under TCG, where that copy is a `rep movsb`).
  void* p = mmap(nullptr, chunk_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  (void)madvise(p, chunk_bytes_, MADV_NOHUGEPAGE);  // a kernel without THP says EINVAL: nothing to avoid
  // Faulted in now, one write per page, so that read() fills memory that is
  // there. (Not memset(): the kernel zeroes new pages anyway, and a memset of
  // this size is a `rep stosb`, which TCG runs a byte at a time.)
  volatile uint8_t* bytes = static_cast<uint8_t*>(p);
  for (size_t at = 0; at < chunk_bytes_; at += kPageBytes) bytes[at] = 0;
  return std::make_unique<Chunk>(static_cast<uint8_t*>(p), chunk_bytes_);
}

std::unique_ptr<ReaderThread::Chunk> ReaderThread::NewChunk() {
  std::unique_ptr<Chunk> c;
  if (!spares_.empty()) {
    c = std::move(spares_.back());
    spares_.pop_back();
  } else {
    // The keeper fell behind: the one allocation of the hot path.
    c = AllocChunk();
    ++allocated_;
    ++reader_allocs_;
  }
  if (spares_.size() < kPreparedChunks) need_spares_.notify_one();
  c->filled = 0;
  c->taken = 0;
  return c;
}

void ReaderThread::Keep() {
  // Best effort: where nice -10 is not permitted the keeper runs at the
  // process's priority, and the reader allocates when it falls behind.
  if (!DefaultScheduling()) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), -10);
  std::unique_lock<PiMutex> lock(mu_);
  for (;;) {
    need_spares_.wait(lock, [this] {
      return stop_ || (spares_.size() < kPreparedChunks && allocated_ < max_chunks_);
    });
    if (stop_) return;
    // Counted before the allocation, so the reader and the keeper together
    // never exceed max_chunks_.
    ++allocated_;
    lock.unlock();
    std::unique_ptr<Chunk> c = AllocChunk();
    lock.lock();
    spares_.push_back(std::move(c));
  }
}

ReaderThread::Wait ReaderThread::WaitReadable() {
  struct epoll_event ev[2];
  for (;;) {
    int rc = epoll_wait(epoll_fd_, ev, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return Wait::kReadable;  // let read() report what is wrong
    Wait w = Wait::kReadable;
    for (int i = 0; i < rc; i++) {
      if (ev[i].data.fd == wake_fd_) return Wait::kStopped;
      // EPOLLERR/EPOLLHUP: a deleted link, which read() reports once drained.
      if (ev[i].events & (EPOLLERR | EPOLLHUP)) w = Wait::kHangup;
    }
    return w;
  }
}

void ReaderThread::Run() {
  RaisePriority();
  {
    std::lock_guard<PiMutex> lock(mu_);
    running_ = true;
  }
  ran_.notify_all();
  int err = 0;
  bool hangup = false;    // epoll said the device is gone
  uint64_t last_end = 0;  // when the last read that returned slots ended
  struct rusage at_end = {};  // the thread's counters then
  uint64_t woke = 0;      // when the last wait for a wakeup returned
  for (;;) {
    Chunk* chunk;
    size_t at;
    size_t len;
    {
      std::unique_lock<PiMutex> lock(mu_);
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
    uint64_t start = MonotonicNs();
    uint64_t woke_to_read = woke != 0 ? start - woke : 0;
    woke = 0;
    uint64_t gap = last_end != 0 ? start - last_end : 0;
    // What the thread went through in its longest gap, counted against its
    // counters at the end of the previous read: page faults, waits (a lock,
    // the CPU given up) and preemptions.
    struct rusage now;
    bool longest = gap > 0 && gap > timing_.max_gap_ns && getrusage(RUSAGE_THREAD, &now) == 0;
    uint64_t gap_faults = 0, gap_waits = 0, gap_preemptions = 0;
    if (longest) {
      gap_faults = static_cast<uint64_t>(now.ru_minflt + now.ru_majflt - at_end.ru_minflt - at_end.ru_majflt);
      gap_waits = static_cast<uint64_t>(now.ru_nvcsw - at_end.ru_nvcsw);
      gap_preemptions = static_cast<uint64_t>(now.ru_nivcsw - at_end.ru_nivcsw);
    }
    ssize_t n = read(fd_, chunk->data + at, len);
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
      last_end = 0;
      Wait w = WaitReadable();
      if (w == Wait::kStopped) break;
      hangup = hangup || w == Wait::kHangup;
      woke = MonotonicNs();
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
    last_end = MonotonicNs();
    getrusage(RUSAGE_THREAD, &at_end);
    {
      std::lock_guard<PiMutex> lock(mu_);
      chunk->filled += bytes;
      buffered_ += bytes;
      timing_.reads++;
      timing_.max_read_slots = std::max<uint64_t>(timing_.max_read_slots, bytes / slot_size_);
      timing_.max_read_ns = std::max(timing_.max_read_ns, last_end - start);
      timing_.max_woke_to_read_ns = std::max(timing_.max_woke_to_read_ns, woke_to_read);
      if (longest) {
        timing_.max_gap_ns = gap;
        timing_.gap_faults = gap_faults;
        timing_.gap_waits = gap_waits;
        timing_.gap_preemptions = gap_preemptions;
      }
    }
    notify_();
    // A short read emptied the ring. Reading again at once would return the
    // few copies that came since, each time, and at a real-time priority
    // keep the consumer sharing this CPU from running: wait for the ring's
    // next wakeup instead, a batch later. A wakeup that came while this
    // thread was reading is queued, and epoll_wait() returns at once.
    if (bytes < len) {
      last_end = 0;
      uint64_t slept = MonotonicNs();
      Wait w = WaitReadable();
      if (w == Wait::kStopped) break;
      hangup = hangup || w == Wait::kHangup;
      woke = MonotonicNs();
      slept = woke - slept;
      std::lock_guard<PiMutex> lock(mu_);
      timing_.max_wait_ns = std::max(timing_.max_wait_ns, slept);
    }
  }
  {
    std::lock_guard<PiMutex> lock(mu_);
    error_ = err;
  }
  notify_();
}

size_t ReaderThread::Take(uint8_t* dst, size_t max_slots) {
  size_t n = 0;
  for (;;) {
    Chunk* c;
    size_t from;
    size_t k;
    {
      std::lock_guard<PiMutex> lock(mu_);
      if (n == max_slots || chunks_.empty()) break;
      c = chunks_.front().get();
      from = c->taken;
      k = std::min((c->filled - c->taken) / slot_size_, max_slots - n);
      if (k == 0) break;
    }
    // The filled part of a chunk: the thread no longer writes it, and only
    // this function retires chunks, so the copy needs no lock. Slot by slot: a
    // memcpy() of a whole chunk is a `rep movsb` on current x86 CPUs, which
    // emulators run a byte at a time; a slot's size is copied with vector
    // moves, at the same speed on real hardware.
    uint8_t* to = dst + n * slot_size_;
    const uint8_t* from_bytes = c->data + from;
    for (size_t i = 0; i < k; i++) memcpy(to + i * slot_size_, from_bytes + i * slot_size_, slot_size_);
    n += k;
    {
      std::lock_guard<PiMutex> lock(mu_);
      c->taken += k * slot_size_;
      buffered_ -= k * slot_size_;
      // Only a full chunk is done with; the last one is still being filled.
      if (c->taken == chunk_bytes_) {
        // Kept as a spare, never freed while the thread runs: freeing takes
        // the allocator's arena lock and unmaps memory, which the keeper (and
        // the reader, when it allocates) then wait for while holding or
        // wanting mu_; and the next backlog finds its chunks ready. The
        // vector has room for them all.
        spares_.push_back(std::move(chunks_.front()));
        chunks_.pop_front();
      }
    }
  }
  if (n > 0) room_.notify_one();
  return n;
}

ReaderThread::Timing ReaderThread::Timings() {
  std::lock_guard<PiMutex> lock(mu_);
  return timing_;
}

size_t ReaderThread::ReaderAllocations() {
  std::lock_guard<PiMutex> lock(mu_);
  return reader_allocs_;
}

size_t ReaderThread::Buffered() {
  std::lock_guard<PiMutex> lock(mu_);
  return buffered_ / slot_size_;
}

int ReaderThread::Error() {
  std::lock_guard<PiMutex> lock(mu_);
  return error_;
}

}  // namespace pval
