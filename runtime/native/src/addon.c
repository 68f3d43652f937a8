/* Module entry: registers the AF_XDP (xsk*) and AF_PACKET (packet*) calls plus helpers. */
#define _GNU_SOURCE
#include "util.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>

napi_value throw_errno(napi_env env, const char *what, int err, const char *hint) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s failed: %s (errno %d)%s%s", what, strerror(err), err,
           hint && *hint ? "; " : "", hint ? hint : "");
  char code[32];
  snprintf(code, sizeof code, "E%d", err);
  napi_throw_error(env, code, msg);
  return NULL;
}

napi_value throw_msg(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

int get_u32_prop(napi_env env, napi_value obj, const char *name, uint32_t dflt, uint32_t *out) {
  bool has = false;
  *out = dflt;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  napi_value v;
  napi_valuetype t;
  napi_get_named_property(env, obj, name, &v);
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return 0;
  if (t != napi_number) return -1;
  return napi_get_value_uint32(env, v, out) == napi_ok ? 0 : -1;
}

int get_str_arg(napi_env env, napi_value v, char *buf, size_t len) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, buf, len, &n) != napi_ok) return -1;
  return n + 1 < len ? 0 : -1;
}

int get_str_prop(napi_env env, napi_value obj, const char *name, char *buf, size_t len) {
  bool has = false;
  buf[0] = 0;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  napi_value v;
  napi_valuetype t;
  napi_get_named_property(env, obj, name, &v);
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return 0;
  if (t != napi_string) return -1;
  return get_str_arg(env, v, buf, len);
}

void set_val(napi_env env, napi_value obj, const char *name, napi_value v) {
  napi_set_named_property(env, obj, name, v);
}
void set_u32(napi_env env, napi_value obj, const char *name, uint32_t v) {
  napi_value x;
  napi_create_uint32(env, v, &x);
  set_val(env, obj, name, x);
}
void set_f64(napi_env env, napi_value obj, const char *name, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  set_val(env, obj, name, x);
}
void set_bool(napi_env env, napi_value obj, const char *name, int v) {
  napi_value x;
  napi_get_boolean(env, v != 0, &x);
  set_val(env, obj, name, x);
}
void set_str(napi_env env, napi_value obj, const char *name, const char *v) {
  napi_value x;
  napi_create_string_utf8(env, v, NAPI_AUTO_LENGTH, &x);
  set_val(env, obj, name, x);
}

napi_value external_buffer(napi_env env, void *base, size_t len) {
  napi_value ab;
  if (napi_create_external_arraybuffer(env, base, len, NULL, NULL, &ab) != napi_ok) return NULL;
  return ab;
}

void detach_buffer(napi_env env, napi_ref ref) {
  if (!ref) return;
  napi_value ab;
  if (napi_get_reference_value(env, ref, &ab) == napi_ok && ab) napi_detach_arraybuffer(env, ab);
  napi_delete_reference(env, ref);
}

/* raiseMemlock(): lift RLIMIT_MEMLOCK as far as allowed (UMEM pages are charged to it). */
static napi_value raise_memlock(napi_env env, napi_callback_info info) {
  struct rlimit r;
  getrlimit(RLIMIT_MEMLOCK, &r);
  struct rlimit want = {RLIM_INFINITY, RLIM_INFINITY};
  if (setrlimit(RLIMIT_MEMLOCK, &want) != 0) {
    want.rlim_cur = r.rlim_max;
    want.rlim_max = r.rlim_max;
    setrlimit(RLIMIT_MEMLOCK, &want);
  }
  getrlimit(RLIMIT_MEMLOCK, &r);
  napi_value out;
  napi_create_object(env, &out);
  set_f64(env, out, "cur", r.rlim_cur == RLIM_INFINITY ? -1 : (double)r.rlim_cur);
  set_f64(env, out, "max", r.rlim_max == RLIM_INFINITY ? -1 : (double)r.rlim_max);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
      {"xskOpen", 0, xsk_open, 0, 0, 0, napi_enumerable, 0},
      {"xskKick", 0, xsk_kick, 0, 0, 0, napi_enumerable, 0},
      {"xskWakeupRx", 0, xsk_wakeup_rx, 0, 0, 0, napi_enumerable, 0},
      {"xskPoll", 0, xsk_poll, 0, 0, 0, napi_enumerable, 0},
      {"xskStats", 0, xsk_stats, 0, 0, 0, napi_enumerable, 0},
      {"xskClose", 0, xsk_close, 0, 0, 0, napi_enumerable, 0},
      {"packetOpen", 0, pkt_open, 0, 0, 0, napi_enumerable, 0},
      {"packetKick", 0, pkt_kick, 0, 0, 0, napi_enumerable, 0},
      {"packetPoll", 0, pkt_poll, 0, 0, 0, napi_enumerable, 0},
      {"packetStats", 0, pkt_stats, 0, 0, 0, napi_enumerable, 0},
      {"packetClose", 0, pkt_close, 0, 0, 0, napi_enumerable, 0},
      {"raiseMemlock", 0, raise_memlock, 0, 0, 0, napi_enumerable, 0},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
