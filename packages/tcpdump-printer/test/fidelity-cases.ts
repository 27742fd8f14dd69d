// One frame for each kind of difference the differential fuzzer
// (fuzz/differential.mjs) found between the printer and tcpdump 4.99.3, with
// the text tcpdump prints for it (test/fidelity.test.ts).

import type { PrintOptions } from "@pval/tcpdump-printer";
import { cat, ether, icmp, icmp6, ip4, ip6, ipv4, ipv6, tcp, u16, u32, udp } from "./frames.js";

export interface FidelityCase {
  name: string;
  frame: Uint8Array;
  /** Length on the wire, when more than the frame. */
  origlen?: number;
  /** tcpdump's flags (with -n) and the printer's options for them. */
  flags: string[];
  options: PrintOptions;
  /** What tcpdump 4.99.3 prints, timestamps at 00:00:00.000000 UTC. */
  want: string;
}

const A = "10.0.0.2";
const B = "10.0.0.3";
const A6 = "2001:db8::1";
const B6 = "2001:db8::2";
const V = { verbose: 1 };
const v4 = (proto: number, payload: Uint8Array | number[], o: Parameters<typeof ipv4>[4] = {}) =>
  ether(0x0800, ipv4(proto, A, B, payload, o));
const v6 = (next: number, payload: Uint8Array | number[], o: Parameters<typeof ipv6>[4] = {}) =>
  ether(0x86dd, ipv6(next, A6, B6, payload, o));
const echo = icmp(8, 0, [0, 1, 0, 2, 1, 2, 3, 4]);
const echo6 = icmp6(128, 0, [0, 1, 0, 2], { src: A6, dst: B6 });
const cut = (frame: Uint8Array, n: number) => frame.subarray(0, n);

export const cases: FidelityCase[] = [
  {
    name: "a record of no bytes",
    frame: new Uint8Array(0),
    origlen: 0,
    flags: [],
    options: {},
    want: "[Invalid header: caplen==0, len==0]\n",
  },
  {
    name: "timestamp option with addresses (flag 1): address, then timestamp",
    frame: v4(1, echo, { options: [68, 20, 21, 1, ...ip4(B), ...u32(1000), ...ip4(A), ...u32(2000)] }),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto ICMP (1), length 52, options (timestamp TS{TS+ADDR 1000@10.0.0.3 2000@10.0.0.2 ^ }))\n    10.0.0.2 > 10.0.0.3: ICMP echo request, id 1, seq 2, length 12\n",
  },
  {
    name: "timestamp option with prespecified addresses (flag 3)",
    frame: v4(1, echo, { options: [68, 12, 5, 3, ...ip4(A), ...u32(86_399_999)] }),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto ICMP (1), length 44, options (timestamp TS{PRESPEC ^ 86399999@10.0.0.2}))\n    10.0.0.2 > 10.0.0.3: ICMP echo request, id 1, seq 2, length 12\n",
  },
  {
    name: "route option with a zero pointer (unsigned: past every address)",
    frame: v4(1, echo, { options: [131, 11, 0, ...ip4(A), ...ip4(B), 0] }),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto ICMP (1), length 44, options (LSRR [bad ptr 0] 10.0.0.2, 10.0.0.3,,EOL))\n    10.0.0.2 > 10.0.0.3: ICMP echo request, id 1, seq 2, length 12\n",
  },
  {
    name: "route option running past the capture: [truncated-option]",
    frame: cut(v4(1, echo, { options: [137, 20, 4, ...ip4(A), ...ip4(B), ...ip4(A), ...ip4(B), 0, 1, 1, 1, 1] }), 54),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP truncated-ip - 16 bytes missing! (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto ICMP (1), length 56, options (SSRR [bad length 20] 10.0.0.2 10.0.0.3 10.0.0.2 10.0.0.3 [truncated-option]))\n    10.0.0.2 > 10.0.0.3:  [|ip]\n",
  },
  {
    name: "IPv6 in an IPv4 frame",
    frame: ether(0x0800, ipv6(58, A6, B6, echo6)),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6, wrong link-layer encapsulation (invalid)\n",
  },
  {
    name: "IPv4 in an IPv6 frame: version error",
    frame: ether(0x86dd, ipv4(1, A, B, icmp(8, 0, Array(32).fill(7)))),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 version error: 4 != 6\n",
  },
  {
    name: "IPv4 length field short of the header and of the frame",
    frame: v4(1, echo, { totalLength: 48, ihl: 15 }).subarray(0, 40),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP truncated-ip - 22 bytes missing! bad-len 48\n",
  },
  {
    name: "UDP checksum over the final destination of a source route",
    frame: v4(17, udp(40000, 40001, [1, 2, 3, 4], { src: A, dst: "192.168.1.1" }), {
      options: [131, 7, 4, ...ip4("192.168.1.1"), 1],
    }),
    flags: ["-vv"],
    options: { verbose: 2 },
    want: "00:00:00.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto UDP (17), length 40, options (LSRR 192.168.1.1,NOP))\n    10.0.0.2.40000 > 10.0.0.3.40001: [udp sum ok] UDP, length 4\n",
  },
  {
    name: "segment routing header (type 4)",
    frame: v6(43, [59, 2, 4, 0, 0, 0, 0x12, 0x34, ...ip6(A6)]),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP6 (hlim 64, next-header Routing (43) payload length: 24) 2001:db8::1 > 2001:db8::2: RT6 (len=2, type=4, segleft=0, last-entry=0, flags=0x0, tag=1234, [0]2001:db8::1) no next header\n",
  },
  {
    name: "routing header of an unknown type",
    frame: v6(43, [59, 2, 3, 1, 0, 0, 0, 0, ...ip6(A6)]),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 2001:db8::1 > 2001:db8::2: RT6 (len=2, type=3, segleft=1 (unknown type) (invalid)\n",
  },
  {
    name: "routing header with an odd length",
    frame: v6(43, [59, 1, 0, 0, 0, 0, 0, 1, ...ip6(A6)]),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 2001:db8::1 > 2001:db8::2: RT6 (len=1, type=0 [Deprecated], segleft=0, rsv=0x1 (invalid length 1) (invalid)\n",
  },
  {
    name: "hop-by-hop jumbo option with a bad length",
    frame: v6(0, [59, 0, 0xc2, 1, 0, 1, 0, 0]),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP6 (hlim 64, next-header Options (0) payload length: 8) 2001:db8::1 > 2001:db8::2: HBH (jumbo: invalid len 1) [|hbhopt]\n",
  },
  {
    name: "hop-by-hop jumbo payload with a payload length",
    frame: v6(0, [59, 0, 0xc2, 4, 0, 1, 0, 0]),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP6 (hlim 64, next-header Options (0) payload length: 8) 2001:db8::1 > 2001:db8::2: HBH (jumbo: 65536 - payload len != 0)  no next header\n",
  },
  {
    name: "home address destination option",
    frame: v6(60, [59, 2, 0xc9, 16, ...ip6(A6), 1, 0, 0, 0, 0, 0]),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP6 (hlim 64, next-header unknown (60) payload length: 26) 2001:db8::1 > 2001:db8::2: DSTOPT (homeaddr: 2001:db8::1)(padn)(pad1)(pad1) no next header\n",
  },
  {
    name: "hop-by-hop header after another header",
    frame: v6(60, [0, 0, 1, 4, 0, 0, 0, 0, 59, 0, 1, 4, 0, 0, 0, 0]),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 2001:db8::1 > 2001:db8::2: DSTOPT [The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)\n",
  },
  {
    name: "fragment header with a payload length too short for it",
    frame: v6(44, [59, 0, 0, 0, 0, 0, 0, 1], { payloadLength: 4 }),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 2001:db8::1 > 2001:db8::2: frag (0|18446744073709551612) \n",
  },
  {
    name: "routing header cut at its first byte",
    frame: cut(v6(43, [59, 2, 0, 0, 0, 0, 0, 0, ...ip6(A6)]), 54),
    flags: ["-x"],
    options: { hex: "x" },
    want: "00:00:00.000000 IP6 truncated-ip6 - 24 bytes missing!2001:db8::1 > 2001:db8::2:  [|ip6]\n\t0x0000:  6000 0000 0018 2b40 2001 0db8 0000 0000\n\t0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000\n\t0x0020:  0000 0000 0000 0002\n",
  },
  {
    name: "ICMP in IPv6",
    frame: v6(1, echo),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 2001:db8::1 > 2001:db8::2: [ICMP requires IPv4] (invalid)\n",
  },
  {
    name: "ICMPv6 in IPv4",
    frame: v4(58, echo6),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP 10.0.0.2 > 10.0.0.3: [ICMPv6 requires IPv6] (invalid)\n",
  },
  {
    name: "ARP for a protocol that is not IPv4",
    frame: ether(0x0806, cat(u16(7), u16(0x86dd), [8, 16], u16(1), Array(48).fill(1))),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 ARP, ArcNet (len 8), IPv6 (len 16), Request who-has <wrong proto type> (01:01:01:01:01:01:01:01) tell <wrong proto type>, length 56\n",
  },
  {
    name: "ARP without hardware addresses (trailer protocol)",
    frame: ether(0x0806, cat(u16(32), u16(0x1000), [0, 4], u16(2), ip4(A), ip4(B))),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 ARP, InfiniBand (len 0), Trail (len 4), Reply 10.0.0.2 is-at <empty>, length 16\n",
  },
  {
    name: "ARP with an unknown operation under -x",
    frame: ether(0x0806, cat(u16(1), u16(0x0800), [6, 4], u16(13), Array(20).fill(0xab))),
    flags: ["-x"],
    options: { hex: "x" },
    want: "00:00:00.000000 ARP, Unknown (13) \n\t0x0000:  0001 0800 0604 000d abab abab abab abab  ................\n\t0x0010:  abab abab abab abab abab abab            ............\n\t0x0000:  0001 0800 0604 000d abab abab abab abab\n\t0x0010:  abab abab abab abab abab abab\n",
  },
  {
    name: "ICMP timestamp reply",
    frame: v4(1, icmp(14, 0, [0, 7, 0, 9, ...u32(3_723_004), ...u32(0), ...u32(90_000_000)])),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP 10.0.0.2 > 10.0.0.3: ICMP time stamp reply id 7 seq 9: org 01:02:03.004, recv 00:00:00.000, xmit 25:00:00.000, length 20\n",
  },
  {
    name: "ICMP router advertisement",
    frame: v4(1, icmp(9, 0, [2, 2, ...u16(1800), ...ip4(A), ...u32(5), ...ip4(B), ...u32(0)])),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP 10.0.0.2 > 10.0.0.3: ICMP router advertisement lifetime 30:00 2: {10.0.0.2 5} {10.0.0.3 0}, length 24\n",
  },
  {
    name: "ICMP time exceeded cut before the quoted destination",
    frame: cut(v4(1, icmp(11, 1, [0, 0, 0, 0, ...ipv4(17, A, B, [1, 2, 3, 4, 0, 12, 0, 0])])), 50),
    flags: ["-x"],
    options: { hex: "x" },
    want: "00:00:00.000000 IP truncated-ip - 20 bytes missing! 10.0.0.2 > 10.0.0.3:  [|icmp]\n\t0x0000:  4500 0038 0001 0000 4001 66c0 0a00 0002\n\t0x0010:  0a00 0003 0b01 f0ec 0000 0000 4500 001c\n\t0x0020:  0001 0000\n",
  },
  {
    name: "ICMP error quoting a datagram whose length field is below 4",
    frame: v4(1, icmp(3, 1, [0, 0, 0, 0, ...ipv4(17, A, B, [1, 2, 3, 4, 0, 12, 0, 0], { totalLength: 1 })])),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto ICMP (1), length 56)\n    10.0.0.2 > 10.0.0.3: ICMP host 10.0.0.3 unreachable, length 36\n\t [|icmp]\n",
  },
  {
    name: "ICMP error longer than 136 bytes cut before its extension header",
    frame: cut(v4(1, icmp(11, 0, [0, 0, 0, 0, ...ipv4(17, A, B, Array(180).fill(0))])), 100),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP truncated-ip - 142 bytes missing! (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto ICMP (1), length 228)\n    10.0.0.2 > 10.0.0.3: ICMP time exceeded in-transit, length 208\n\tIP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto UDP (17), length 200)\n    10.0.0.2.0 > 10.0.0.3.0: truncated-udplength 0 [|icmp]\n",
  },
  {
    name: "ICMPv6 time exceeded in transit: reassembly",
    frame: v6(58, icmp6(3, 1, [0, 0, 0, 0, ...ipv6(17, B6, A6, [])], { src: A6, dst: B6 })),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 2001:db8::1 > 2001:db8::2: ICMP6, time exceeded in-transit (reassembly), length 48\n",
  },
  {
    name: "ICMPv6 parameter problem: incomplete header chain",
    frame: v6(58, icmp6(4, 3, [0, 0, 0, 40, ...ipv6(17, B6, A6, [])], { src: A6, dst: B6 })),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 2001:db8::1 > 2001:db8::2: ICMP6, parameter problem, incomplete header chain - octet 40, length 48\n",
  },
  {
    name: "MLDv2 report with its group records",
    frame: v6(
      58,
      icmp6(143, 0, [0, 0, 0, 1, 4, 0, 0, 1, ...ip6("ff02::fb"), ...ip6(A6)], { src: A6, dst: "ff02::16" }),
    ),
    flags: ["-vv"],
    options: { verbose: 2 },
    want: "00:00:00.000000 IP6 (hlim 64, next-header ICMPv6 (58) payload length: 44) 2001:db8::1 > 2001:db8::2: [bad icmp6 cksum 0x120c -> 0xe369!] ICMP6, multicast listener report v2, 1 group record(s) [gaddr ff02::fb to_ex { 2001:db8::1 }]\n",
  },
  {
    name: "MLD query",
    frame: v6(58, icmp6(130, 0, [0, 100, 0, 0, ...ip6("ff02::1")], { src: A6, dst: B6 })),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 2001:db8::1 > 2001:db8::2: ICMP6, multicast listener querymax resp delay: 100 addr: ff02::1, length 24\n",
  },
  {
    name: "neighbour advertisement with the router flag",
    frame: v6(58, icmp6(136, 0, [0xe0, 0, 0, 0, ...ip6(A6)], { src: A6, dst: B6 }), { hlim: 255 }),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP6 (hlim 255, next-header ICMPv6 (58) payload length: 24) 2001:db8::1 > 2001:db8::2: [icmp6 sum ok] ICMP6, neighbor advertisement, length 24, tgt is 2001:db8::1, Flags [router, solicited, override]\n",
  },
  {
    name: "router advertisement: ipv6 only flag and RDNSS, DNSSL, route information options",
    frame: v6(
      58,
      icmp6(
        134,
        0,
        [
          64,
          0x82,
          ...u16(1800),
          ...u32(0),
          ...u32(0),
          ...[25, 3, 0, 0, ...u32(600), ...ip6(A6)],
          ...[31, 2, 0, 0, ...u32(600), 2, 0x65, 0x78, 0, 0, 0, 0, 0],
          ...[24, 2, 48, 0x08, ...u32(0xffffffff), ...ip6("2001:db8:1::").slice(0, 8)],
          ...[7, 1, 0, 0, ...u32(5000)],
          ...[8, 1, 0, 0, 0, 10, 0, 20],
        ],
        { src: A6, dst: B6 },
      ),
      { hlim: 255 },
    ),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP6 (hlim 255, next-header ICMPv6 (58) payload length: 88) 2001:db8::1 > 2001:db8::2: [icmp6 sum ok] ICMP6, router advertisement, length 88\n\thop limit 64, Flags [managed, ipv6 only], pref medium, router lifetime 1800s, reachable time 0ms, retrans timer 0ms\n\t  rdnss option (25), length 24 (3):  lifetime 600s, addr: 2001:db8::1\n\t  dnssl option (31), length 16 (2):  lifetime 600s, domain(s): ex.\n\t  route info option (24), length 16 (2):  2001:db8:1::/48, pref=high, lifetime=infinity\n\t  advertisement interval option (7), length 8 (1):  5000ms\n\t  homeagent information option (8), length 8 (1):  preference 10, lifetime 20\n",
  },
  {
    name: "home agent discovery request",
    frame: v6(58, icmp6(144, 0, [0x12, 0x34, 0, 0], { src: A6, dst: B6 })),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 2001:db8::1 > 2001:db8::2: ICMP6, ha discovery request, id 0x1234, length 8\n",
  },
  {
    name: "ICMPv6 port unreachable quoting a cut datagram",
    frame: cut(v6(58, icmp6(1, 4, [0, 0, 0, 0, ...ipv6(17, B6, A6, udp(1, 2, []))], { src: A6, dst: B6 })), 100),
    flags: ["-x"],
    options: { hex: "x" },
    want: "00:00:00.000000 IP6 truncated-ip6 - 10 bytes missing!2001:db8::1 > 2001:db8::2: ICMP6, destination unreachable, unreachable port [|icmp6]\n\t0x0000:  6000 0000 0038 3a40 2001 0db8 0000 0000\n\t0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000\n\t0x0020:  0000 0000 0000 0002 0104 d64b 0000 0000\n\t0x0030:  6000 0000 0008 1140 2001 0db8 0000 0000\n\t0x0040:  0000 0000 0000 0002 2001 0db8 0000 0000\n\t0x0050:  0000 0000 0000\n",
  },
  {
    name: "TCP flags byte only (the reserved bit is not a flag)",
    frame: v4(
      6,
      tcp(40000, 40001, [], { src: A, dst: B, flags: "." }).map((b, i) => (i === 12 ? b | 1 : b)),
    ),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP 10.0.0.2.40000 > 10.0.0.3.40001: Flags [.], ack 0, win 64240, length 0\n",
  },
  {
    name: "TCP header cut short: [|tcp] without abandoning the packet",
    frame: cut(v4(6, tcp(40000, 40001, [], { src: A, dst: B, flags: "S" })), 44),
    flags: ["-x"],
    options: { hex: "x" },
    want: "00:00:00.000000 IP truncated-ip - 10 bytes missing! 10.0.0.2.40000 > 10.0.0.3.40001:  [|tcp]\n\t0x0000:  4500 0028 0001 0000 4006 66cb 0a00 0002\n\t0x0010:  0a00 0003 9c40 9c41 0000 03e8 0000\n",
  },
  {
    name: "TCP data after a header cut short",
    frame: cut(v4(6, tcp(40000, 40001, [1, 2, 3], { src: A, dst: B, flags: "P.", options: [0, 1, 1, 1] })), 55),
    origlen: 61,
    flags: [],
    options: {},
    want: "00:00:00.000000 IP 10.0.0.2.40000 > 10.0.0.3.40001: Flags [P.], seq 1000:1003, ack 0, win 64240, options [eol], length 3 [remaining caplen(21) < header length(24)] [|tcp]\n",
  },
  {
    name: "TCP RST data, 30 characters and control characters shown",
    frame: v4(
      6,
      tcp(
        40000,
        40001,
        Array.from({ length: 40 }, (_, i) => [0x01, 0x41, 0xc1, 0x7f][i % 4]!),
        { src: A, dst: B, flags: "R" },
      ),
    ),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto TCP (6), length 80)\n    10.0.0.2.40000 > 10.0.0.3.40001: Flags [R], cksum 0xc8d1 (correct), seq 1000:1040, win 64240, length 40 [RST+ ^AAM-A^?^AAM-A^?^AAM-A^?^AAM-A^?^AAM-A^?^AAM-A^?^AAM-A^?^AA]\n",
  },
  {
    name: "TCP md5, tcp-ao, fast open and experimental options",
    frame: v4(
      6,
      tcp(40000, 40001, [], {
        src: A,
        dst: B,
        flags: "S",
        options: [
          ...[19, 18, ...Array(16).fill(0xab)],
          ...[29, 6, 1, 2, 0xaa, 0xbb],
          ...[34, 6, 1, 2, 3, 4],
          ...[254, 4, 0x12, 0x34],
          ...[1, 1],
        ],
      }),
    ),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP 10.0.0.2.40000 > 10.0.0.3.40001: Flags [S], seq 1000, win 64240, options [md5 shared secret not supplied with -M, can't check - abababababababababababababababab,tcp-ao keyid 1 rnextkeyid 2 mac 0xaabb,tfo  cookie 01020304,exp-1234,nop,nop], length 0\n",
  },
  {
    name: "DNS header cut short: [|domain] without abandoning the packet",
    frame: cut(v4(17, udp(40000, 53, [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], { src: A, dst: B })), 46),
    flags: ["-x"],
    options: { hex: "x" },
    want: "00:00:00.000000 IP truncated-ip - 8 bytes missing! 10.0.0.2.40000 > 10.0.0.3.53:  [|domain]\n\t0x0000:  4500 0028 0001 0000 4011 66c0 0a00 0002\n\t0x0010:  0a00 0003 9c40 0035 0014 4f4a 0001 0000\n",
  },
  {
    name: "DNS name (DNSSL option) with a label of a reserved type",
    frame: v6(
      58,
      icmp6(133, 0, [0, 0, 0, 0, 31, 2, 0, 0, 0, 0, 2, 88, 0x80, 1, 0, 0, 0, 0, 0, 0], { src: A6, dst: B6 }),
      {
        hlim: 255,
      },
    ),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP6 (hlim 255, next-header ICMPv6 (58) payload length: 24) 2001:db8::1 > 2001:db8::2: [icmp6 sum ok] ICMP6, router solicitation, length 24\n\t  dnssl option (31), length 16 (2):  lifetime 600s, domain(s): <BAD LABEL TYPE> [|icmp6]\n",
  },
  {
    name: "ICMPv6 redirect: destination, then target",
    frame: v6(58, icmp6(137, 0, [0, 0, 0, 0, ...ip6(A6), ...ip6("2001:db8::99")], { src: A6, dst: B6 }), { hlim: 255 }),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP6 2001:db8::1 > 2001:db8::2: ICMP6, redirect, 2001:db8::99 to 2001:db8::1, length 40\n",
  },
  {
    name: "home agent discovery reply and mobile prefix advertisement carry their length at -v",
    frame: v6(58, icmp6(145, 0, [0xab, 0xcd, 0, 0, ...ip6(B6)], { src: A6, dst: B6 })),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP6 (hlim 64, next-header ICMPv6 (58) payload length: 24) 2001:db8::1 > 2001:db8::2: [icmp6 sum ok] ICMP6, ha discovery reply, length 24, id 0xabcd, 2001:db8::2\n",
  },
  {
    name: "DNS answers of types URI, A6 and UNSPEC",
    frame: v4(
      17,
      udp(
        53,
        40000,
        [
          ...[0, 1, 0x81, 0x80, 0, 0, 0, 3, 0, 0, 0, 0],
          ...[0, 1, 0, 0, 1, 0, 0, 0, 60, 0, 8, 0, 1, 0, 2, 0x61, 0x62, 1, 0x63],
          ...[0, 0, 38, 0, 1, 0, 0, 0, 60, 0, 10, 120, 0, 0, 0, 0, 0, 0, 0, 1, 0],
          ...[0, 0, 103, 0, 1, 0, 0, 0, 60, 0, 3, 0x78, 0x79, 0x7a],
        ],
        { src: A, dst: B },
      ),
    ),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP 10.0.0.2.53 > 10.0.0.3.40000: 1 [0q] 3/0/0 URI 1 2 ab^Ac, A6 120 :: ., UNSPEC (66)\n",
  },
  {
    name: "DNS names: a bit-string label, and a name past 255 characters",
    frame: v4(
      17,
      udp(
        40000,
        53,
        [
          ...[0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0],
          ...[0x41, 12, 0xab, 0xcd, 0, 0, 1, 0, 1],
          ...Array.from({ length: 5 }, () => [63, ...Array(63).fill(0x61)]).flat(),
          ...[0, 0, 1, 0, 1],
        ],
        { src: A, dst: B },
      ),
    ),
    flags: [],
    options: {},
    want: "00:00:00.000000 IP 10.0.0.2.40000 > 10.0.0.3.53: 1+ [2q] A? \\[xabc/12]. A? aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.<DOMAIN NAME TOO LONG> (346)\n",
  },
  {
    name: "EDNS options: client subnet, cookie, keepalive, padding, unknown",
    frame: v4(
      17,
      udp(
        40000,
        53,
        [
          ...[0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1],
          ...[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 41],
          ...[0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2],
          ...[0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8],
          ...[0, 11, 0, 2, 0, 25],
          ...[0, 12, 0, 3, 0, 0, 0],
          ...[0, 15, 0, 1, 0xee],
        ],
        { src: A, dst: B },
      ),
    ),
    flags: ["-vv"],
    options: { verbose: 2 },
    want: "00:00:00.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto UDP (17), length 97)\n    10.0.0.2.40000 > 10.0.0.3.53: [udp sum ok] 1+ [1au] A? . ar: . OPT UDPsize=1232 DO [ECS 192.0.2.0/24/0,COOKIE 0102030405060708,KEEPALIVE 2.5 sec,PADDING (3),Opt15 ee] (69)\n",
  },
  {
    name: "DNS question whose name has a label of a reserved type",
    frame: v4(
      17,
      udp(53, 40000, [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0x80, ...Array(140).fill(1), 0, 0, 1, 0, 1], {
        src: B,
        dst: A,
      }),
    ),
    flags: ["-vv"],
    options: { verbose: 2 },
    want: "00:00:00.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto UDP (17), length 186)\n    10.0.0.2.53 > 10.0.0.3.40000: [udp sum ok] 1 q: [|domain]\n",
  },
  {
    name: "Jumbo Payload length past 2^31: neighbour discovery options are not read",
    frame: v6(
      0,
      [
        58,
        0,
        0xc2,
        4,
        0x90,
        0,
        0,
        0,
        ...icmp6(135, 0, [0, 0, 0, 0, ...ip6(B6), 1, 1, 1, 2, 3, 4, 5, 6], { src: A6, dst: B6 }),
      ],
      {
        payloadLength: 0,
      },
    ),
    flags: ["-v"],
    options: V,
    want: "00:00:00.000000 IP6 (hlim 64, next-header Options (0) payload length: 0) 2001:db8::1 > 2001:db8::2: HBH (jumbo: 2415919104)  truncated-ip6 - 2415919064 bytes missing!ICMP6, neighbor solicitation, length 2415919096, who has 2001:db8::2\n",
  },
];
