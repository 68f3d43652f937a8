/* AF_XDP: one socket bound to one queue, its own UMEM carved out of a JS SharedArrayBuffer.
 * Only opens, maps, binds and kicks; JS advances the four rings through the buffers returned. */
#define _GNU_SOURCE
#include "util.h"
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>
#include <xdp/libxdp.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

typedef struct {
  struct xsk_umem *umem;
  struct xsk_socket *xsk;
  struct xsk_ring_prod fill, tx;
  struct xsk_ring_cons comp, rx;
  napi_ref umem_view; /* keeps the SharedArrayBuffer (pinned by the kernel) alive */
  napi_ref bufs[4];
  int fd;
  int closed;
} xsk_handle;

/* Last message libxdp/libbpf printed on this thread, folded into our error text. */
static __thread char last_log[384];
static int log_any(int debug, const char *fmt, va_list ap) {
  if (debug) return 0;
  vsnprintf(last_log, sizeof last_log, fmt, ap);
  size_t n = strlen(last_log);
  while (n && (last_log[n - 1] == '\n')) last_log[--n] = 0;
  return 0;
}
static int log_bpf(enum libbpf_print_level l, const char *f, va_list ap) { return log_any(l == LIBBPF_DEBUG, f, ap); }
static int log_xdp(enum libxdp_print_level l, const char *f, va_list ap) { return log_any(l == LIBXDP_DEBUG, f, ap); }

static void close_handle(napi_env env, xsk_handle *h) {
  if (h->closed) return;
  h->closed = 1;
  for (int i = 0; i < 4; i++) {
    if (env) detach_buffer(env, h->bufs[i]);
    h->bufs[i] = NULL;
  }
  if (h->xsk) xsk_socket__delete(h->xsk);
  if (h->umem) xsk_umem__delete(h->umem);
  h->xsk = NULL;
  h->umem = NULL;
  if (env && h->umem_view) napi_delete_reference(env, h->umem_view);
  h->umem_view = NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  xsk_handle *h = data;
  close_handle(NULL, h); /* GC'd without close(): release the socket, the buffers go with the env */
  free(h);
}

static xsk_handle *get_handle(napi_env env, napi_value v) {
  xsk_handle *h = NULL;
  if (napi_get_value_external(env, v, (void **)&h) != napi_ok || !h) {
    throw_msg(env, "EINVAL", "expected an AF_XDP socket handle");
    return NULL;
  }
  if (h->closed) {
    throw_msg(env, "EBADF", "AF_XDP socket already closed");
    return NULL;
  }
  return h;
}

/* One ring as {buffer, producer, consumer, flags, desc, size}: byte offsets into buffer. */
static napi_value ring_obj(napi_env env, xsk_handle *h, int slot, uint32_t *prod, uint32_t *cons,
                           uint32_t *flags, void *ring, uint32_t size, size_t entsize) {
  uintptr_t lo = (uintptr_t)prod, hi;
  if ((uintptr_t)cons < lo) lo = (uintptr_t)cons;
  if ((uintptr_t)flags < lo) lo = (uintptr_t)flags;
  if ((uintptr_t)ring < lo) lo = (uintptr_t)ring;
  hi = (uintptr_t)ring + (uintptr_t)size * entsize;
  if ((uintptr_t)prod + 4 > hi) hi = (uintptr_t)prod + 4;
  if ((uintptr_t)cons + 4 > hi) hi = (uintptr_t)cons + 4;
  if ((uintptr_t)flags + 4 > hi) hi = (uintptr_t)flags + 4;
  napi_value ab = external_buffer(env, (void *)lo, hi - lo);
  if (!ab) return NULL;
  napi_create_reference(env, ab, 1, &h->bufs[slot]);
  napi_value o;
  napi_create_object(env, &o);
  set_val(env, o, "buffer", ab);
  set_u32(env, o, "producer", (uint32_t)((uintptr_t)prod - lo));
  set_u32(env, o, "consumer", (uint32_t)((uintptr_t)cons - lo));
  set_u32(env, o, "flags", (uint32_t)((uintptr_t)flags - lo));
  set_u32(env, o, "desc", (uint32_t)((uintptr_t)ring - lo));
  set_u32(env, o, "size", size);
  return o;
}

/* xskOpen(ifname, queue, umemView: Uint8Array over a SharedArrayBuffer, opts) */
napi_value xsk_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return throw_msg(env, "EINVAL", "xskOpen(ifname, queue, umemView, opts) needs 4 arguments");
  char ifname[IF_NAMESIZE + 1], zc[16], mode[16];
  uint32_t queue, frame_size, frame_count, ring_size, headroom;
  if (get_str_arg(env, argv[0], ifname, sizeof ifname)) return throw_msg(env, "EINVAL", "interface name must be a string of at most 15 characters");
  if (napi_get_value_uint32(env, argv[1], &queue) != napi_ok) return throw_msg(env, "EINVAL", "queue must be a number");
  napi_typedarray_type tt;
  size_t tlen;
  void *tdata;
  napi_value tab;
  size_t toff;
  bool is_ta = false;
  napi_is_typedarray(env, argv[2], &is_ta);
  if (!is_ta) return throw_msg(env, "EINVAL", "umemView must be a Uint8Array");
  CHECK(env, napi_get_typedarray_info(env, argv[2], &tt, &tlen, &tdata, &tab, &toff));
  if (tt != napi_uint8_array) return throw_msg(env, "EINVAL", "umemView must be a Uint8Array");
  if (get_u32_prop(env, argv[3], "frameSize", 4096, &frame_size) || get_u32_prop(env, argv[3], "frameCount", 4096, &frame_count) ||
      get_u32_prop(env, argv[3], "ringSize", 2048, &ring_size) || get_u32_prop(env, argv[3], "headroom", 0, &headroom) ||
      get_str_prop(env, argv[3], "zeroCopy", zc, sizeof zc) || get_str_prop(env, argv[3], "xdpMode", mode, sizeof mode))
    return throw_msg(env, "EINVAL", "bad xskOpen options (numbers: frameSize frameCount ringSize headroom; strings: zeroCopy xdpMode)");
  if (!zc[0]) strcpy(zc, "auto");
  if (!mode[0]) strcpy(mode, "auto");
  if ((frame_size & (frame_size - 1)) || frame_size < 2048 || frame_size > 4096) return throw_msg(env, "EINVAL", "frameSize must be 2048 or 4096");
  if ((ring_size & (ring_size - 1)) || ring_size < 64) return throw_msg(env, "EINVAL", "ringSize must be a power of two >= 64");
  uintptr_t base = (uintptr_t)tdata;
  size_t align = (size_t)((4096 - (base & 4095)) & 4095);
  uint64_t need = (uint64_t)frame_size * frame_count;
  if (tlen < align + need) {
    char m[200];
    snprintf(m, sizeof m, "umemView holds %zu bytes but %llu frames of %u bytes need %llu from its first page boundary (%zu bytes in)",
             tlen, (unsigned long long)frame_count, frame_size, (unsigned long long)need, align);
    return throw_msg(env, "EINVAL", m);
  }
  libxdp_set_print(log_xdp);
  libbpf_set_print(log_bpf);

  xsk_handle *h = calloc(1, sizeof *h);
  if (!h) return throw_errno(env, "calloc", ENOMEM, NULL);
  /* Attempts in order: zero-copy in native XDP, copy in native XDP, copy in generic (skb) XDP. */
  struct { uint16_t bind; uint32_t xdp; const char *zc, *mode; } tries[3];
  int nt = 0;
  int want_native = strcmp(mode, "generic") != 0, want_generic = strcmp(mode, "native") != 0;
  int want_zc = strcmp(zc, "copy") != 0, want_copy = strcmp(zc, "zerocopy") != 0;
  if (want_native && want_zc) tries[nt++] = (typeof(tries[0])){XDP_ZEROCOPY, XDP_FLAGS_DRV_MODE, "zerocopy", "native"};
  if (want_native && want_copy) tries[nt++] = (typeof(tries[0])){XDP_COPY, XDP_FLAGS_DRV_MODE, "copy", "native"};
  if (want_generic && want_copy) tries[nt++] = (typeof(tries[0])){XDP_COPY, XDP_FLAGS_SKB_MODE, "copy", "generic"};
  if (!nt) { free(h); return throw_msg(env, "EINVAL", "zeroCopy:'zerocopy' needs xdpMode native or auto"); }
  char errs[1024] = "";
  int ok = -1, err = 0;
  for (int i = 0; i < nt && ok < 0; i++) {
    struct xsk_umem_config uc = {ring_size, ring_size, frame_size, headroom, 0};
    last_log[0] = 0;
    err = xsk_umem__create(&h->umem, (void *)(base + align), need, &h->fill, &h->comp, &uc);
    if (err) {
      err = -err;
      size_t l = strlen(errs);
      snprintf(errs + l, sizeof errs - l, "%sUMEM registration: %s%s%s", l ? "; " : "", strerror(err), last_log[0] ? " / " : "", last_log);
      h->umem = NULL;
      break;
    }
    struct xsk_socket_config sc;
    memset(&sc, 0, sizeof sc);
    sc.rx_size = ring_size;
    sc.tx_size = ring_size;
    sc.xdp_flags = tries[i].xdp;
    sc.bind_flags = tries[i].bind | XDP_USE_NEED_WAKEUP;
    err = xsk_socket__create(&h->xsk, ifname, queue, h->umem, &h->rx, &h->tx, &sc);
    if (!err) { ok = i; break; }
    err = -err;
    size_t l = strlen(errs);
    snprintf(errs + l, sizeof errs - l, "%s%s/%s: %s%s%s", l ? "; " : "", tries[i].zc, tries[i].mode, strerror(err), last_log[0] ? " / " : "", last_log);
    h->xsk = NULL;
    xsk_umem__delete(h->umem);
    h->umem = NULL;
  }
  if (ok < 0) {
    free(h);
    char m[1400];
    snprintf(m, sizeof m, "AF_XDP socket on %s queue %u could not be created (%s)", ifname, queue, errs);
    char code[32];
    snprintf(code, sizeof code, "E%d", err ? err : EINVAL);
    return throw_msg(env, code, m);
  }
  h->fd = xsk_socket__fd(h->xsk);
  napi_create_reference(env, argv[2], 1, &h->umem_view);

  napi_value out, ext;
  napi_create_object(env, &out);
  if (napi_create_external(env, h, finalize, NULL, &ext) != napi_ok) {
    close_handle(env, h);
    free(h);
    return throw_msg(env, "EINTERNAL", "napi_create_external failed");
  }
  set_val(env, out, "handle", ext);
  set_u32(env, out, "fd", (uint32_t)h->fd);
  set_u32(env, out, "queue", queue);
  set_u32(env, out, "umemOffset", (uint32_t)align);
  set_u32(env, out, "frameSize", frame_size);
  set_u32(env, out, "frameCount", frame_count);
  set_str(env, out, "copyMode", tries[ok].zc);
  set_str(env, out, "xdpMode", tries[ok].mode);
  set_str(env, out, "fallbacks", errs);
  set_val(env, out, "fill", ring_obj(env, h, 0, h->fill.producer, h->fill.consumer, h->fill.flags, h->fill.ring, h->fill.size, 8));
  set_val(env, out, "comp", ring_obj(env, h, 1, h->comp.producer, h->comp.consumer, h->comp.flags, h->comp.ring, h->comp.size, 8));
  set_val(env, out, "rx", ring_obj(env, h, 2, h->rx.producer, h->rx.consumer, h->rx.flags, h->rx.ring, h->rx.size, sizeof(struct xdp_desc)));
  set_val(env, out, "tx", ring_obj(env, h, 3, h->tx.producer, h->tx.consumer, h->tx.flags, h->tx.ring, h->tx.size, sizeof(struct xdp_desc)));
  return out;
}

static napi_value arg_handle(napi_env env, napi_callback_info info, xsk_handle **h, int32_t *num) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return throw_msg(env, "EINVAL", "missing handle");
  *h = get_handle(env, argv[0]);
  if (!*h) return NULL;
  if (num) {
    *num = 0;
    if (argc > 1) napi_get_value_int32(env, argv[1], num);
  }
  napi_value t;
  napi_get_boolean(env, true, &t);
  return t;
}

static napi_value int_result(napi_env env, int v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

/* xskKick(h): tell the kernel the TX ring has work (only when the tx need_wakeup flag is set).
 * Returns 0 or the errno the kernel answered that is not a failure (EAGAIN, EBUSY, ENOBUFS). */
napi_value xsk_kick(napi_env env, napi_callback_info info) {
  xsk_handle *h = NULL;
  if (!arg_handle(env, info, &h, NULL)) return NULL;
  if (sendto(h->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) return int_result(env, 0);
  int e = errno;
  if (e == EAGAIN || e == EBUSY || e == ENOBUFS || e == ENETDOWN || e == EINTR) return int_result(env, e);
  return throw_errno(env, "sendto (AF_XDP TX kick)", e, NULL);
}

/* xskWakeupRx(h): the fill ring's need_wakeup flag is set; let the driver refill. */
napi_value xsk_wakeup_rx(napi_env env, napi_callback_info info) {
  xsk_handle *h = NULL;
  if (!arg_handle(env, info, &h, NULL)) return NULL;
  if (recvfrom(h->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL) >= 0) return int_result(env, 0);
  return int_result(env, errno);
}

/* xskPoll(h, timeoutMs): block until RX has descriptors (1) or the timeout passes (0). */
napi_value xsk_poll(napi_env env, napi_callback_info info) {
  xsk_handle *h = NULL;
  int32_t ms;
  if (!arg_handle(env, info, &h, &ms)) return NULL;
  struct pollfd p = {h->fd, POLLIN, 0};
  int r = poll(&p, 1, ms);
  if (r < 0 && errno != EINTR) return throw_errno(env, "poll (AF_XDP)", errno, NULL);
  return int_result(env, r > 0 ? 1 : 0);
}

napi_value xsk_stats(napi_env env, napi_callback_info info) {
  xsk_handle *h = NULL;
  if (!arg_handle(env, info, &h, NULL)) return NULL;
  struct xdp_statistics s;
  memset(&s, 0, sizeof s);
  socklen_t len = sizeof s;
  if (getsockopt(h->fd, SOL_XDP, XDP_STATISTICS, &s, &len) != 0) return throw_errno(env, "getsockopt XDP_STATISTICS", errno, NULL);
  napi_value o;
  napi_create_object(env, &o);
  set_f64(env, o, "rxDropped", (double)s.rx_dropped);
  set_f64(env, o, "rxInvalidDescs", (double)s.rx_invalid_descs);
  set_f64(env, o, "txInvalidDescs", (double)s.tx_invalid_descs);
  set_f64(env, o, "rxRingFull", (double)s.rx_ring_full);
  set_f64(env, o, "rxFillRingEmpty", (double)s.rx_fill_ring_empty_descs);
  set_f64(env, o, "txRingEmpty", (double)s.tx_ring_empty_descs);
  return o;
}

napi_value xsk_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  xsk_handle *h = NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h) return throw_msg(env, "EINVAL", "missing handle");
  close_handle(env, h);
  return NULL;
}
