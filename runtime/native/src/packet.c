/* AF_PACKET fallback: one TPACKET_V3 socket (RX block ring + TX frame ring in one mapping) per
 * core, joined to a PACKET_FANOUT_HASH group. JS walks the blocks and frames itself. */
#define _GNU_SOURCE
#include "util.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

typedef struct {
  int fd;
  void *map;
  size_t map_len;
  napi_ref buf;
  int closed;
} pkt_handle;

static void close_pkt(napi_env env, pkt_handle *h) {
  if (h->closed) return;
  h->closed = 1;
  if (env) detach_buffer(env, h->buf);
  h->buf = NULL;
  if (h->map) munmap(h->map, h->map_len);
  h->map = NULL;
  if (h->fd >= 0) close(h->fd);
  h->fd = -1;
}

static void finalize(napi_env env, void *data, void *hint) {
  pkt_handle *h = data;
  close_pkt(NULL, h);
  free(h);
}

static pkt_handle *handle_arg(napi_env env, napi_callback_info info, int32_t *num) {
  size_t argc = 2;
  napi_value argv[2];
  pkt_handle *h = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h) {
    throw_msg(env, "EINVAL", "expected an AF_PACKET socket handle");
    return NULL;
  }
  if (h->closed) {
    throw_msg(env, "EBADF", "AF_PACKET socket already closed");
    return NULL;
  }
  if (num) {
    *num = 0;
    if (argc > 1) napi_get_value_int32(env, argv[1], num);
  }
  return h;
}

static napi_value fail(napi_env env, pkt_handle *h, const char *what, int err, const char *hint) {
  int e = err;
  close_pkt(NULL, h);
  free(h);
  return throw_errno(env, what, e, hint);
}

/* packetOpen(ifname, {blockSize, blockCount, retireMs, txFrameSize, txFrameCount, fanoutGroup, fanout}) */
napi_value pkt_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_msg(env, "EINVAL", "packetOpen(ifname, opts) needs 2 arguments");
  char ifname[IF_NAMESIZE + 1], fanout[16];
  uint32_t bsz, bnr, tov, tfsz, tfnr, group, bypass;
  if (get_str_arg(env, argv[0], ifname, sizeof ifname)) return throw_msg(env, "EINVAL", "interface name must be a string of at most 15 characters");
  if (get_u32_prop(env, argv[1], "blockSize", 1 << 18, &bsz) || get_u32_prop(env, argv[1], "blockCount", 16, &bnr) ||
      get_u32_prop(env, argv[1], "retireMs", 1, &tov) || get_u32_prop(env, argv[1], "txFrameSize", 2048, &tfsz) ||
      get_u32_prop(env, argv[1], "txFrameCount", 1024, &tfnr) || get_u32_prop(env, argv[1], "fanoutGroup", 0, &group) ||
      get_u32_prop(env, argv[1], "qdiscBypass", 1, &bypass) || get_str_prop(env, argv[1], "fanout", fanout, sizeof fanout))
    return throw_msg(env, "EINVAL", "bad packetOpen options");
  long page = sysconf(_SC_PAGESIZE);
  if (bsz % page || bsz < (uint32_t)page) return throw_msg(env, "EINVAL", "blockSize must be a multiple of the page size");
  if (tfsz % TPACKET_ALIGNMENT || tfsz < 128 || bsz % tfsz) return throw_msg(env, "EINVAL", "txFrameSize must divide blockSize and be a multiple of 16");
  unsigned ifindex = if_nametoindex(ifname);
  if (!ifindex) {
    char m[128];
    snprintf(m, sizeof m, "no interface named %s in this network namespace", ifname);
    return throw_msg(env, "ENODEV", m);
  }
  pkt_handle *h = calloc(1, sizeof *h);
  if (!h) return throw_errno(env, "calloc", ENOMEM, NULL);
  h->fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: nothing arrives before bind */
  if (h->fd < 0) return fail(env, h, "socket(AF_PACKET)", errno, errno == EPERM ? "needs CAP_NET_RAW (run as root)" : NULL);
  int v = TPACKET_V3;
  if (setsockopt(h->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v)) return fail(env, h, "setsockopt PACKET_VERSION V3", errno, NULL);
  struct tpacket_req3 rx = {0};
  rx.tp_block_size = bsz;
  rx.tp_block_nr = bnr;
  rx.tp_frame_size = 2048;
  rx.tp_frame_nr = (bsz / 2048) * bnr;
  rx.tp_retire_blk_tov = tov;
  if (setsockopt(h->fd, SOL_PACKET, PACKET_RX_RING, &rx, sizeof rx)) return fail(env, h, "setsockopt PACKET_RX_RING", errno, NULL);
  /* TX ring: frame ring (V3 has no block TX); blocks sized to hold whole frames. */
  uint32_t tbsz = (uint32_t)page * 16;
  if (tbsz % tfsz) tbsz = tfsz * (tbsz / tfsz + 1);
  while (tbsz % page) tbsz += tfsz;
  uint32_t fpb = tbsz / tfsz;
  uint32_t tbnr = (tfnr + fpb - 1) / fpb;
  struct tpacket_req3 tx = {0};
  tx.tp_block_size = tbsz;
  tx.tp_block_nr = tbnr;
  tx.tp_frame_size = tfsz;
  tx.tp_frame_nr = fpb * tbnr;
  if (setsockopt(h->fd, SOL_PACKET, PACKET_TX_RING, &tx, sizeof tx)) return fail(env, h, "setsockopt PACKET_TX_RING", errno, NULL);
  size_t rx_len = (size_t)bsz * bnr, tx_len = (size_t)tbsz * tbnr;
  h->map_len = rx_len + tx_len;
  h->map = mmap(NULL, h->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, h->fd, 0);
  if (h->map == MAP_FAILED) {
    h->map = NULL;
    return fail(env, h, "mmap of the TPACKET_V3 rings", errno, "raise RLIMIT_MEMLOCK or use fewer/smaller blocks");
  }
  int one = 1;
  setsockopt(h->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one); /* our own TX is not RX */
  if (bypass) setsockopt(h->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)ifindex;
  if (bind(h->fd, (struct sockaddr *)&sll, sizeof sll)) return fail(env, h, "bind(AF_PACKET)", errno, NULL);
  if (group) {
    int mode = PACKET_FANOUT_HASH;
    if (!strcmp(fanout, "cpu")) mode = PACKET_FANOUT_CPU;
    else if (!strcmp(fanout, "lb")) mode = PACKET_FANOUT_LB;
    else if (!strcmp(fanout, "qm")) mode = PACKET_FANOUT_QM;
    else if (fanout[0] && strcmp(fanout, "hash")) return fail(env, h, "fanout mode", EINVAL, "use hash, cpu, lb or qm");
    int fv = (int)(group & 0xffff) | (mode << 16);
    if (setsockopt(h->fd, SOL_PACKET, PACKET_FANOUT, &fv, sizeof fv)) return fail(env, h, "setsockopt PACKET_FANOUT", errno, "another process may use the same fanout group id with other settings");
  }
  napi_value out, ext, ab = external_buffer(env, h->map, h->map_len);
  if (!ab) return fail(env, h, "external ArrayBuffer", ENOMEM, NULL);
  napi_create_reference(env, ab, 1, &h->buf);
  if (napi_create_external(env, h, finalize, NULL, &ext) != napi_ok) return fail(env, h, "napi_create_external", ENOMEM, NULL);
  napi_create_object(env, &out);
  set_val(env, out, "handle", ext);
  set_val(env, out, "buffer", ab);
  set_u32(env, out, "fd", (uint32_t)h->fd);
  set_u32(env, out, "blockSize", bsz);
  set_u32(env, out, "blockCount", bnr);
  set_u32(env, out, "txOffset", (uint32_t)rx_len);
  set_u32(env, out, "txBlockSize", tbsz);
  set_u32(env, out, "txFrameSize", tfsz);
  set_u32(env, out, "txFramesPerBlock", fpb);
  set_u32(env, out, "txFrameCount", fpb * tbnr);
  set_u32(env, out, "txDataOffset", (uint32_t)(TPACKET_ALIGN(sizeof(struct tpacket3_hdr))));
  return out;
}

/* packetKick(h): send every TX frame marked TP_STATUS_SEND_REQUEST. Returns bytes or -errno. */
napi_value pkt_kick(napi_env env, napi_callback_info info) {
  pkt_handle *h = handle_arg(env, info, NULL);
  if (!h) return NULL;
  ssize_t r = send(h->fd, NULL, 0, MSG_DONTWAIT);
  napi_value out;
  if (r < 0) {
    int e = errno;
    if (e != EAGAIN && e != ENOBUFS && e != EINTR) return throw_errno(env, "send (AF_PACKET TX ring)", e, NULL);
    napi_create_int32(env, -e, &out);
  } else {
    napi_create_double(env, (double)r, &out);
  }
  return out;
}

/* packetPoll(h, timeoutMs): wait for a retired RX block (1) or time out (0). */
napi_value pkt_poll(napi_env env, napi_callback_info info) {
  int32_t ms;
  pkt_handle *h = handle_arg(env, info, &ms);
  if (!h) return NULL;
  struct pollfd p = {h->fd, POLLIN | POLLERR, 0};
  int r = poll(&p, 1, ms);
  if (r < 0 && errno != EINTR) return throw_errno(env, "poll (AF_PACKET)", errno, NULL);
  napi_value out;
  napi_create_int32(env, r > 0 ? 1 : 0, &out);
  return out;
}

/* packetStats(h): kernel counters since the previous call (the kernel resets them on read). */
napi_value pkt_stats(napi_env env, napi_callback_info info) {
  pkt_handle *h = handle_arg(env, info, NULL);
  if (!h) return NULL;
  struct tpacket_stats_v3 s;
  memset(&s, 0, sizeof s);
  socklen_t len = sizeof s;
  if (getsockopt(h->fd, SOL_PACKET, PACKET_STATISTICS, &s, &len)) return throw_errno(env, "getsockopt PACKET_STATISTICS", errno, NULL);
  napi_value o;
  napi_create_object(env, &o);
  set_f64(env, o, "packets", s.tp_packets);
  set_f64(env, o, "drops", s.tp_drops);
  set_f64(env, o, "freezeQueue", s.tp_freeze_q_cnt);
  return o;
}

napi_value pkt_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  pkt_handle *h = NULL;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h) return throw_msg(env, "EINVAL", "missing handle");
  close_pkt(env, h);
  return NULL;
}
