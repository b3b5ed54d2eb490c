// Clang thread-safety annotations and an annotated Mutex.
//
// Locks are annotated (LevelDB's port/thread_annotations.h convention) so
// that clang's -Wthread-safety checks lock discipline. With GCC the macros
// expand to nothing and the code still documents which lock guards what.
//
// Thread-safety: Mutex is, of course, safe to use from any thread.
#pragma once

#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define PROMETHIUM_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define PROMETHIUM_THREAD_ANNOTATION(x)
#endif

#define GUARDED_BY(x) PROMETHIUM_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) PROMETHIUM_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_AFTER(...) PROMETHIUM_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define REQUIRES(...) PROMETHIUM_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) PROMETHIUM_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define EXCLUDES(...) PROMETHIUM_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define CAPABILITY(x) PROMETHIUM_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY PROMETHIUM_THREAD_ANNOTATION(scoped_lockable)
#define ACQUIRE(...) PROMETHIUM_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) PROMETHIUM_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) PROMETHIUM_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) PROMETHIUM_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS PROMETHIUM_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace promethium {

// An annotated reader-writer mutex.
class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  void ReaderLock() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void ReaderUnlock() RELEASE_SHARED() { mu_.unlock_shared(); }
  std::shared_mutex& native() { return mu_; }

 private:
  std::shared_mutex mu_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* mu_;
};

class SCOPED_CAPABILITY ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_->ReaderLock(); }
  ~ReaderMutexLock() RELEASE() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  Mutex* mu_;
};

}  // namespace promethium
