// @pval/chardev native side: the Device class (see poller.h) and the ABI
// facts the TypeScript wrapper checks itself against.
#include <linux/pval.h>
#include <napi.h>

#include <climits>

#include "poller.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Device", pval::Device::Init(env));
  // The wrapper compares these with its generated constants, so an addon
  // built against another header is refused instead of misreading slots.
  exports.Set("SLOT_SIZE", Napi::Number::New(env, sizeof(struct pval_slot)));
  exports.Set("MAX_SLOTS_PER_READ", Napi::Number::New(env, IOV_MAX));
  exports.Set("RING_STATS_IOCTL", Napi::Number::New(env, static_cast<double>(PVAL_IOC_RING_STATS)));
  exports.Set("SET_WAKE_SLOTS_IOCTL", Napi::Number::New(env, static_cast<double>(PVAL_IOC_SET_WAKE_SLOTS)));
  exports.Set("GET_WAKE_SLOTS_IOCTL", Napi::Number::New(env, static_cast<double>(PVAL_IOC_GET_WAKE_SLOTS)));
  exports.Set("FLAG_BYTE_STREAM", Napi::Number::New(env, pval::kDeviceByteStream));
  return exports;
}

}  // namespace

NODE_API_MODULE(pval_chardev, Init)
