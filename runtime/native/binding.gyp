{
  # flexbench's native part: opens, maps, binds and kicks AF_XDP and AF_PACKET sockets.
  # Packet logic stays in TypeScript (runtime/packet/iface/). Built by runtime/native/build.sh.
  "targets": [
    {
      "target_name": "flexbench_iface",
      "sources": ["src/addon.c", "src/xsk.c", "src/packet.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["-lxdp", "-lbpf"]
    }
  ]
}
