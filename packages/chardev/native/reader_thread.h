// A native reader thread for one pval device: it drains the kernel's ring as
// soon as slots arrive and keeps them in a bounded buffer in process memory
// until the event loop takes them, as libpcap's buffer does for tcpdump. A
// consumer that pauses (a garbage collection, a JIT compile, a slow write)
// then costs buffer space instead of ring drops.
//
// Bounded: once the buffer holds `capacity` bytes the thread stops reading;
// the ring fills and the kernel counts its drops as it would without the
// thread. Memory is taken in chunks of kChunkSlots slots as the backlog grows
// and kept, as spares, until the thread stops: a consumer that keeps up holds
// a few chunks, and one that fell behind keeps its largest backlog's worth
// (as libpcap keeps its whole buffer); nothing is freed while reading.
//
// Threads: the reader thread only reads the fd and fills chunks; Take() runs
// on the event loop. The mutex guards the chunk list and the counters and is
// held only for that bookkeeping: the thread writes a chunk's free part and
// Take() copies its filled part without it, and those never overlap. It is a
// priority-inheriting mutex: when the real-time reader waits for it while
// the event loop's thread holds it, that thread runs at the reader's
// priority until it lets go, instead of queueing behind V8's threads and
// the keeper on a CPU they share (a wait that lasted tens of milliseconds).
//
// Keeping up: the thread asks for SCHED_FIFO (priority 1) so that it runs as
// soon as the ring wakes it, ahead of the JavaScript thread and V8's compiler
// threads on its CPU; where that is not permitted it asks for nice -10, and
// else runs at the process's priority (Scheduling() says which). Its hot path
// neither allocates nor faults in memory: it fills chunks that were allocated
// and touched beforehand, kPreparedChunks of them at start, and a second
// thread (the keeper) allocates the next ones while a growing backlog uses
// up these spares. Allocating a chunk means 68 page faults, which under an
// emulator take long enough for the kernel's ring to overflow meanwhile; the
// reader only allocates itself when the keeper fell behind by
// kPreparedChunks chunks.
// The keeper asks for nice -10 where permitted, so that a busy event loop
// on its CPU does not hold up the spares.
// Start() returns once the thread is waiting on the device, so no copy is
// made before it can read.
#ifndef PVAL_CHARDEV_READER_THREAD_H
#define PVAL_CHARDEV_READER_THREAD_H

#include <pthread.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pval {

// A mutex with priority inheritance (PTHREAD_PRIO_INHERIT), usable with
// std::unique_lock and std::condition_variable_any.
class PiMutex {
 public:
  PiMutex();
  ~PiMutex();
  PiMutex(const PiMutex&) = delete;
  PiMutex& operator=(const PiMutex&) = delete;
  void lock() { pthread_mutex_lock(&m_); }
  void unlock() { pthread_mutex_unlock(&m_); }
  bool try_lock() { return pthread_mutex_trylock(&m_) == 0; }

 private:
  pthread_mutex_t m_;
};

class ReaderThread {
 public:
  // Slots per chunk: one readv's worth (IOV_MAX).
  static constexpr size_t kChunkSlots = 1024;
  // Spare chunks, allocated and touched, that the reader can fill without
  // allocating: made before the thread starts, and made again by the keeper
  // as the reader uses them up, up to the capacity.
  static constexpr size_t kPreparedChunks = 4;

  // `fd` stays owned by the caller and open until Stop() returned.
  // `byte_stream`: read() returns bytes (a FIFO in the tests), not slots.
  // `notify` runs on the reader thread after slots arrive or it ends.
  ReaderThread(int fd, size_t slot_size, size_t capacity_bytes, bool byte_stream, std::function<void()> notify);
  ~ReaderThread();

  ReaderThread(const ReaderThread&) = delete;
  ReaderThread& operator=(const ReaderThread&) = delete;

  // Starts the thread and waits until it reads the device; returns 0 or an
  // errno.
  int Start();
  // Ends the thread and waits for it; what it read stays for Take().
  // Idempotent.
  void Stop();

  // Copies up to max_slots whole slots into dst (room for max_slots * slot
  // size bytes) and frees their buffer space. Returns the count.
  size_t Take(uint8_t* dst, size_t max_slots);

  // Whole slots waiting in the buffer.
  size_t Buffered();
  // How the thread kept up, for diagnosing ring drops: reads that returned
  // slots, the most slots one read returned (a ring that was nearly full),
  // the longest time from the end of a read that returned slots to the next
  // read while the ring was not known to be empty (and what the thread went
  // through in it), and the longest wait for the ring's wakeup after a read
  // that emptied it.
  struct Timing {
    uint64_t reads = 0;
    uint64_t max_read_slots = 0;
    uint64_t max_gap_ns = 0;
    uint64_t max_wait_ns = 0;
    // In the longest gap: page faults the thread took, times it gave up the
    // CPU (waiting for a lock or memory) and times it was preempted.
    uint64_t gap_faults = 0;
    uint64_t gap_waits = 0;
    uint64_t gap_preemptions = 0;
    // The longest read(), and the longest time from a wakeup to the read.
    uint64_t max_read_ns = 0;
    uint64_t max_woke_to_read_ns = 0;
  };
  Timing Timings();
  // Chunks the reader thread had to allocate itself because no spare was
  // ready (each one a pause in reading the device).
  size_t ReaderAllocations();
  // The errno the thread ended on (ENODEV when the link was deleted), or 0
  // while it runs or when Stop() ended it.
  int Error();
  // How the thread is scheduled, e.g. "SCHED_FIFO 1", "nice -10", or
  // "default (SCHED_FIFO: Operation not permitted, nice: Permission denied)".
  const std::string& Scheduling() const { return scheduling_; }

 private:
  // A chunk's memory is a mapping of its own (see AllocChunk), unmapped
  // when the chunk goes.
  struct Chunk {
    Chunk(uint8_t* d, size_t n) : data(d), bytes(n) {}
    ~Chunk();
    Chunk(const Chunk&) = delete;
    Chunk& operator=(const Chunk&) = delete;
    uint8_t* const data;
    const size_t bytes;
    size_t filled = 0;  // bytes written by the thread
    size_t taken = 0;   // bytes taken by the consumer (whole slots)
  };

  enum class Wait { kReadable, kHangup, kStopped };

  void Run();
  // The keeper's loop: tops the spares up to kPreparedChunks while the
  // buffer may still grow.
  void Keep();
  // Waits until the fd is readable (kHangup: POLLERR/POLLHUP) or Stop() is
  // called (kStopped).
  Wait WaitReadable();
  // The next chunk to fill, a spare if there is one. Called with mu_ held.
  std::unique_ptr<Chunk> NewChunk();
  std::unique_ptr<Chunk> AllocChunk();
  // Raises the calling thread's scheduling priority where permitted.
  void RaisePriority();

  const int fd_;
  const size_t slot_size_;
  const size_t chunk_bytes_;
  const size_t capacity_;
  const bool byte_stream_;
  const std::function<void()> notify_;
  int wake_fd_ = -1;   // eventfd that interrupts epoll_wait() on Stop()
  int epoll_fd_ = -1;  // the device (edge-triggered) and wake_fd_

  PiMutex mu_;
  std::condition_variable_any room_;  // signalled when Take() frees space, or on Stop()
  std::deque<std::unique_ptr<Chunk>> chunks_;
  std::vector<std::unique_ptr<Chunk>> spares_;  // ready to fill; room for max_chunks_
  size_t max_chunks_;                            // chunks the capacity can fill
  size_t allocated_ = 0;                         // chunks in chunks_ and spares_
  size_t reader_allocs_ = 0;                     // chunks the reader allocated itself
  Timing timing_;                                // guarded by mu_
  std::condition_variable_any need_spares_;      // wakes the keeper
  size_t buffered_ = 0;  // bytes filled and not yet taken
  bool stop_ = false;
  int error_ = 0;
  bool running_ = false;         // the thread reached its loop (Start waits for it)
  std::condition_variable_any ran_;  // signalled when running_ is set
  std::string scheduling_;       // written by the thread before running_
  std::thread thread_;
  std::thread keeper_;
};

}  // namespace pval

#endif  // PVAL_CHARDEV_READER_THREAD_H
