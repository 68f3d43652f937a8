/* Small N-API helpers shared by the AF_XDP and AF_PACKET halves. */
#ifndef FLEXBENCH_UTIL_H
#define FLEXBENCH_UTIL_H
#include <node_api.h>
#include <stdint.h>
#include <stddef.h>

#define CHECK(env, call)                                                      \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      napi_throw_error((env), "EINTERNAL", "N-API call failed: " #call);      \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

/* Throws an Error whose message names the syscall, errno text and a hint. */
napi_value throw_errno(napi_env env, const char *what, int err, const char *hint);
napi_value throw_msg(napi_env env, const char *code, const char *msg);

int get_u32_prop(napi_env env, napi_value obj, const char *name, uint32_t dflt, uint32_t *out);
int get_str_prop(napi_env env, napi_value obj, const char *name, char *buf, size_t len);
int get_str_arg(napi_env env, napi_value v, char *buf, size_t len);
void set_u32(napi_env env, napi_value obj, const char *name, uint32_t v);
void set_f64(napi_env env, napi_value obj, const char *name, double v);
void set_bool(napi_env env, napi_value obj, const char *name, int v);
void set_str(napi_env env, napi_value obj, const char *name, const char *v);
void set_val(napi_env env, napi_value obj, const char *name, napi_value v);
/* An ArrayBuffer over memory owned by a socket; detached again when the socket closes. */
napi_value external_buffer(napi_env env, void *base, size_t len);
void detach_buffer(napi_env env, napi_ref ref);

napi_value xsk_open(napi_env env, napi_callback_info info);
napi_value xsk_kick(napi_env env, napi_callback_info info);
napi_value xsk_wakeup_rx(napi_env env, napi_callback_info info);
napi_value xsk_poll(napi_env env, napi_callback_info info);
napi_value xsk_stats(napi_env env, napi_callback_info info);
napi_value xsk_close(napi_env env, napi_callback_info info);

napi_value pkt_open(napi_env env, napi_callback_info info);
napi_value pkt_kick(napi_env env, napi_callback_info info);
napi_value pkt_poll(napi_env env, napi_callback_info info);
napi_value pkt_stats(napi_env env, napi_callback_info info);
napi_value pkt_close(napi_env env, napi_callback_info info);
#endif
