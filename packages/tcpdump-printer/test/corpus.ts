// The oracle corpus: frames the printer must print exactly as tcpdump does.
// Each entry is one packet; the oracle test writes them into pcap files, whole
// and cut at several snap lengths, and compares the output with tcpdump's.

import {
  arp,
  cat,
  dns,
  dnsName,
  ether,
  icmp,
  icmp6,
  ip4,
  ip6,
  ipv4,
  ipv6,
  MAC,
  pvalOption,
  tcp,
  u16,
  u32,
  udp,
} from "./frames.js";

export interface CorpusEntry {
  name: string;
  frame: Uint8Array;
  /** Length on the wire when more than the frame (a capture cut by its snaplen). */
  origlen?: number;
}

const A = "10.0.0.2";
const B = "10.0.0.3";
const A6 = "fe80::a00:27ff:fe19:12a4";
const B6 = "2001:db8::1";

const echoData = Array.from({ length: 56 }, (_, i) => (i + 0x10) & 0xff);
const echo = (type: number, id: number, seq: number) => icmp(type, 0, [...u16(id), ...u16(seq), ...echoData]);

function v4(proto: number, payload: Uint8Array | number[], o: Parameters<typeof ipv4>[4] = {}, src = A, dst = B) {
  return ether(0x0800, ipv4(proto, src, dst, payload, o));
}

function tcp4(o: Parameters<typeof tcp>[3], payload: number[] = [], ip: Parameters<typeof ipv4>[4] = {}) {
  return v4(6, tcp(43210, 8765, payload, { src: A, dst: B, ...o }), { df: true, ...ip });
}

function udp4(sport: number, dport: number, payload: Uint8Array | number[], o: Parameters<typeof udp>[3] = {}) {
  return v4(17, udp(sport, dport, payload, { src: A, dst: B, ...o }));
}

const TCP_OPTS = [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0x12, 0x34, 0x56, 0, 0, 0, 0, 1, 3, 3, 7]; // mss 1460, sackOK, TS val 1193046 ecr 0, nop, wscale 7

const question = { name: "example.com", type: 1 };
const aaaa = (name: string) => ({ name, type: 28, data: ip6("2606:2800:220:1:248:1893:25c8:1946") });

export const corpus: CorpusEntry[] = [
  // The walkthrough: echo request and reply with option 222.
  { name: "icmp echo request", frame: v4(1, echo(8, 21554, 1636), { id: 48565, df: true }) },
  {
    name: "icmp echo reply with pval option",
    frame: v4(1, echo(0, 21554, 1636), { id: 2758, options: pvalOption(0, 46n) }, B, A),
  },
  {
    name: "pval option with a large seq",
    frame: v4(1, echo(0, 1, 2), { options: pvalOption(15, 0x0123456789abcdefn) }),
  },
  { name: "pval option with a wrong length", frame: v4(1, echo(8, 1, 2), { options: [222, 8, 0, 1, 2, 3, 4, 5] }) },
  {
    name: "ipv4 options nop rr eol",
    frame: v4(17, udp(1, 2, [1, 2, 3, 4], { src: A, dst: B }), {
      options: [1, 7, 11, 4, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0],
    }),
  },
  {
    name: "ipv4 option timestamp and router alert",
    frame: v4(253, [0x11, 0x64, 0xee, 0x9b, 0, 0, 0, 0], {
      options: [148, 4, 0, 0, 68, 12, 13, 0, 0, 0, 0, 1, 0, 0, 0, 2],
    }),
  },
  {
    name: "ipv4 lsrr and ssrr",
    frame: v4(1, echo(8, 3, 4), { options: [131, 7, 4, 10, 1, 1, 1, 137, 7, 8, 10, 2, 2, 2, 1, 0] }),
  },
  { name: "ipv4 option security", frame: v4(1, echo(8, 3, 4), { options: [130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] }) },
  { name: "ipv4 option bad length", frame: v4(1, echo(8, 3, 4), { options: [68, 1, 0, 0] }) },
  { name: "ipv4 option unknown", frame: v4(1, echo(8, 3, 4), { options: [25, 4, 0, 0] }) },
  { name: "ipv4 tos and ecn", frame: v4(1, echo(8, 5, 6), { tos: 0xb9, ttl: 1 }) },
  { name: "ipv4 bad header checksum", frame: v4(1, echo(8, 5, 6), { checksum: 0x1234 }) },
  {
    name: "ipv4 first fragment",
    frame: v4(17, udp(53, 53, new Array(40).fill(0)), { mf: true, id: 77, totalLength: 68 }),
  },
  { name: "ipv4 later fragment", frame: v4(17, new Array(40).fill(0), { offset: 1480, id: 77 }) },
  { name: "ipv4 last fragment with df and rf", frame: v4(1, new Array(16).fill(0), { offset: 8, rf: true, df: true }) },
  { name: "ipv4 unknown protocol", frame: v4(253, [1, 2, 3, 4, 5, 6, 7, 8]) },
  { name: "ipv4 header length too small", frame: v4(1, echo(8, 1, 1), { ihl: 4 }) },
  { name: "ipv4 total length too big", frame: v4(1, echo(8, 1, 1), { totalLength: 200 }) },
  { name: "ipv4 total length too small", frame: v4(1, echo(8, 1, 1), { totalLength: 24 }) },
  { name: "ipv4 wrong version", frame: v4(1, echo(8, 1, 1), { version: 5 }) },
  { name: "ethernet padding after ipv4", frame: cat(v4(1, icmp(8, 0, [0, 1, 0, 2])), new Array(18).fill(0)) },
  // ICMP
  {
    name: "icmp port unreachable",
    frame: v4(1, icmp(3, 3, [0, 0, 0, 0, ...ipv4(17, B, A, udp(40000, 33434, [1, 2, 3, 4]), { id: 9 })])),
  },
  {
    name: "icmp host unreachable",
    frame: v4(1, icmp(3, 1, [0, 0, 0, 0, ...ipv4(6, B, A, tcp(80, 1234, [], { flags: "S" }))])),
  },
  { name: "icmp need frag", frame: v4(1, icmp(3, 4, [0, 0, 0x05, 0xdc, ...ipv4(1, B, A, echo(8, 1, 1))])) },
  {
    name: "icmp time exceeded",
    frame: v4(1, icmp(11, 0, [0, 0, 0, 0, ...ipv4(17, B, "8.8.8.8", udp(40000, 33435, []), { ttl: 1 })])),
  },
  {
    name: "icmp redirect",
    frame: v4(1, icmp(5, 1, [...ip4("10.0.0.1"), ...ipv4(1, B, A, echo(8, 1, 1)).subarray(0, 28)])),
  },
  { name: "icmp timestamp request", frame: v4(1, icmp(13, 0, [0, 1, 0, 2, ...u32(1000), ...u32(0), ...u32(0)])) },
  { name: "icmp bad checksum", frame: v4(1, icmp(8, 0, [0, 1, 0, 2], { checksum: 0xdead })) },
  { name: "icmp unknown type", frame: v4(1, icmp(42, 0, [0, 0, 0, 0])) },
  {
    name: "icmp source quench",
    frame: v4(1, icmp(4, 0, [0, 0, 0, 0, ...ipv4(1, B, A, echo(8, 1, 1)).subarray(0, 28)])),
  },
  // TCP
  { name: "tcp syn with options", frame: tcp4({ flags: "S", seq: 123456789, options: TCP_OPTS }) },
  {
    name: "tcp syn-ack",
    frame: tcp4({ flags: "S.", seq: 2000, ack: 123456790, options: [2, 4, 5, 0xb4, 1, 1, 4, 2] }),
  },
  { name: "tcp ack", frame: tcp4({ flags: ".", seq: 123456790, ack: 2001, win: 502 }) },
  {
    name: "tcp push with data",
    frame: tcp4({ flags: "P.", seq: 1, ack: 1, win: 502 }, [0x47, 0x45, 0x54, 0x20, 0x2f, 0x0d, 0x0a]),
  },
  { name: "tcp fin", frame: tcp4({ flags: "F.", seq: 8, ack: 1 }) },
  { name: "tcp rst", frame: tcp4({ flags: "R", seq: 99, ack: 0, win: 0 }) },
  { name: "tcp rst-ack", frame: tcp4({ flags: "R.", seq: 0, ack: 100, win: 0 }) },
  { name: "tcp urg ece cwr", frame: tcp4({ flags: "UEWP.", seq: 5, ack: 6, urg: 3 }, [1, 2, 3, 4]) },
  { name: "tcp no flags", frame: tcp4({ flags: "", seq: 5 }) },
  { name: "tcp bad checksum", frame: tcp4({ flags: "S", checksum: 0x1234 }) },
  { name: "tcp sack", frame: tcp4({ flags: ".", seq: 1, ack: 1, options: [1, 1, 5, 10, ...u32(100), ...u32(200)] }) },
  { name: "tcp unknown option", frame: tcp4({ flags: "S", options: [99, 4, 1, 2] }) },
  { name: "tcp bad option length", frame: tcp4({ flags: "S", options: [2, 3, 0, 0] }) },
  { name: "tcp data offset too small", frame: tcp4({ flags: "S", dataOffset: 4 }) },
  {
    name: "tcp with pval option",
    frame: tcp4({ flags: "P.", seq: 1, ack: 1 }, [0x41], { options: pvalOption(1, 7n) }),
  },
  { name: "tcp from a low port with data", frame: v4(6, tcp(5555, 50000, [1, 2, 3], { flags: "P.", src: B, dst: A })) },
  // UDP
  { name: "udp generic", frame: udp4(40000, 9999, [1, 2, 3, 4, 5]) },
  { name: "udp zero checksum", frame: udp4(40000, 9999, [1, 2, 3], { checksum: 0 }) },
  { name: "udp bad checksum", frame: udp4(40000, 9999, [1, 2, 3], { checksum: 0x4242 }) },
  { name: "udp bad length", frame: udp4(40000, 9999, [1, 2, 3], { length: 200 }) },
  { name: "udp length below header", frame: udp4(40000, 9999, [1, 2, 3], { length: 4 }) },
  {
    name: "udp with pval option",
    frame: v4(17, udp(5000, 6000, [9, 9], { src: A, dst: B }), { options: pvalOption(3, 4096n) }),
  },
  // DNS
  { name: "dns query a", frame: udp4(53001, 53, dns(0x1234, 0x0100, [question])) },
  { name: "dns query aaaa", frame: udp4(53001, 53, dns(0x1235, 0x0100, [{ name: "example.com", type: 28 }])) },
  {
    name: "dns query with edns",
    frame: udp4(53001, 53, dns(0x1236, 0x0120, [question], [], [], [{ name: ".", type: 41, cls: 1232, ttl: 0 }])),
  },
  {
    name: "dns answer a",
    frame: udp4(
      53,
      53001,
      dns(0x1234, 0x8180, [question], [{ name: "example.com", type: 1, data: ip4("93.184.216.34") }]),
    ),
  },
  {
    name: "dns answer aaaa",
    frame: udp4(53, 53001, dns(0x1235, 0x8180, [{ name: "example.com", type: 28 }], [aaaa("example.com")])),
  },
  {
    name: "dns answer cname a",
    frame: udp4(
      53,
      53001,
      dns(
        7,
        0x8180,
        [{ name: "www.example.com", type: 1 }],
        [
          { name: "www.example.com", type: 5, data: dnsName("example.com") },
          { name: "example.com", type: 1, data: ip4("93.184.216.34") },
        ],
      ),
    ),
  },
  {
    name: "dns answer compressed names",
    frame: udp4(
      53,
      53001,
      dns(
        8,
        0x8580,
        [{ name: "example.com", type: 15 }],
        [
          { name: [0xc0, 12], type: 15, data: [0, 10, 0xc0, 12] },
          { name: [0xc0, 12], type: 2, data: [1, 0x61, 0xc0, 12] },
          { name: [0xc0, 12], type: 16, data: [5, 0x68, 0x65, 0x6c, 0x6c, 0x6f] },
        ],
      ),
    ),
  },
  {
    name: "dns nxdomain",
    frame: udp4(53, 53001, dns(9, 0x8183, [question], [], [{ name: "com", type: 6, data: soa() }])),
  },
  {
    name: "dns ptr query",
    frame: udp4(53001, 53, dns(10, 0x0100, [{ name: "34.216.184.93.in-addr.arpa", type: 12 }])),
  },
  { name: "dns truncated name", frame: udp4(53001, 53, [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 0x65, 0x78]) },
  { name: "dns over tcp", frame: tcp4({ flags: "P.", seq: 1, ack: 1 }, [0, 29, ...dns(11, 0x0100, [question])]) },
  // ARP
  {
    name: "arp request",
    frame: ether(0x0806, arp(1, MAC.A, A, [0, 0, 0, 0, 0, 0], B), { dst: [255, 255, 255, 255, 255, 255] }),
  },
  { name: "arp reply", frame: ether(0x0806, arp(2, MAC.B, B, MAC.A, A)) },
  { name: "arp unknown op", frame: ether(0x0806, arp(9, MAC.B, B, MAC.A, A)) },
  { name: "rarp request", frame: ether(0x8035, arp(3, MAC.B, B, MAC.B, B)) },
  // VLAN and unknown ethertypes
  { name: "vlan ipv4", frame: ether(0x0800, ipv4(1, A, B, echo(8, 1, 2)), { vlan: [{ id: 100, pcp: 3 }] }) },
  { name: "vlan arp", frame: ether(0x0806, arp(1, MAC.A, A, [0, 0, 0, 0, 0, 0], B), { vlan: [{ id: 5 }] }) },
  { name: "qinq", frame: ether(0x0800, ipv4(1, A, B, echo(8, 1, 2)), { vlan: [{ id: 10 }, { id: 20, dei: true }] }) },
  { name: "unknown ethertype", frame: ether(0x88b5, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) },
  // IPv6
  {
    name: "icmp6 echo request",
    frame: ether(0x86dd, ipv6(58, A6, B6, icmp6(128, 0, [0, 1, 0, 9, 1, 2, 3, 4], { src: A6, dst: B6 }))),
  },
  {
    name: "icmp6 echo reply",
    frame: ether(0x86dd, ipv6(58, B6, A6, icmp6(129, 0, [0, 1, 0, 9, 1, 2, 3, 4], { src: B6, dst: A6 }))),
  },
  {
    name: "icmp6 neighbor solicitation",
    frame: ether(
      0x86dd,
      ipv6(
        58,
        A6,
        "ff02::1:ff00:1",
        icmp6(135, 0, [0, 0, 0, 0, ...ip6(B6), 1, 1, ...MAC.A], { src: A6, dst: "ff02::1:ff00:1" }),
        {
          hlim: 255,
        },
      ),
    ),
  },
  {
    name: "icmp6 neighbor advertisement",
    frame: ether(
      0x86dd,
      ipv6(58, B6, A6, icmp6(136, 0, [0x60, 0, 0, 0, ...ip6(B6), 2, 1, ...MAC.B], { src: B6, dst: A6 }), { hlim: 255 }),
    ),
  },
  {
    name: "icmp6 router solicitation",
    frame: ether(
      0x86dd,
      ipv6(58, A6, "ff02::2", icmp6(133, 0, [0, 0, 0, 0, 1, 1, ...MAC.A], { src: A6, dst: "ff02::2" }), { hlim: 255 }),
    ),
  },
  {
    name: "icmp6 router advertisement",
    frame: ether(
      0x86dd,
      ipv6(
        58,
        A6,
        "ff02::1",
        icmp6(
          134,
          0,
          [
            64,
            0,
            0x07,
            0x08,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            3,
            4,
            64,
            0xc0,
            0,
            0,
            0x0e,
            0x10,
            0,
            0,
            0x07,
            0x08,
            0,
            0,
            0,
            0,
            ...ip6("2001:db8::"),
            5,
            1,
            0,
            0,
            0,
            0,
            5,
            0xdc,
          ],
          { src: A6, dst: "ff02::1" },
        ),
        { hlim: 255 },
      ),
    ),
  },
  {
    name: "icmp6 destination unreachable",
    frame: ether(
      0x86dd,
      ipv6(
        58,
        B6,
        A6,
        icmp6(1, 4, [0, 0, 0, 0, ...ipv6(17, A6, B6, udp(1000, 2000, [], { src: A6, dst: B6 }))], { src: B6, dst: A6 }),
      ),
    ),
  },
  {
    name: "icmp6 packet too big",
    frame: ether(
      0x86dd,
      ipv6(
        58,
        B6,
        A6,
        icmp6(2, 0, [0, 0, 5, 0, ...ipv6(17, A6, B6, udp(1000, 2000, [], { src: A6, dst: B6 }))], { src: B6, dst: A6 }),
      ),
    ),
  },
  {
    name: "icmp6 time exceeded",
    frame: ether(
      0x86dd,
      ipv6(
        58,
        B6,
        A6,
        icmp6(3, 0, [0, 0, 0, 0, ...ipv6(17, A6, B6, udp(1000, 2000, [], { src: A6, dst: B6 }))], { src: B6, dst: A6 }),
      ),
    ),
  },
  {
    name: "icmp6 bad checksum",
    frame: ether(0x86dd, ipv6(58, A6, B6, icmp6(128, 0, [0, 1, 0, 1], { checksum: 0x1111 }))),
  },
  {
    name: "ipv6 tcp",
    frame: ether(
      0x86dd,
      ipv6(
        6,
        A6,
        B6,
        tcp(443, 50000, [], { flags: "S.", seq: 1, ack: 2, src: A6, dst: B6, options: [2, 4, 5, 0xa0] }),
        { tc: 0x12, flow: 0xabcde },
      ),
    ),
  },
  { name: "ipv6 udp", frame: ether(0x86dd, ipv6(17, A6, B6, udp(1000, 2000, [1, 2, 3], { src: A6, dst: B6 }))) },
  {
    name: "ipv6 dns",
    frame: ether(0x86dd, ipv6(17, A6, B6, udp(53001, 53, dns(5, 0x0100, [question]), { src: A6, dst: B6 }))),
  },
  {
    name: "ipv6 hop-by-hop then icmp6",
    frame: ether(
      0x86dd,
      ipv6(0, A6, "ff02::16", [58, 0, 5, 2, 0, 0, 1, 0, ...icmp6(143, 0, [0, 0, 0, 0], { src: A6, dst: "ff02::16" })], {
        hlim: 1,
      }),
    ),
  },
  {
    name: "ipv6 destination options then udp",
    frame: ether(0x86dd, ipv6(60, A6, B6, [17, 0, 1, 4, 0, 0, 0, 0, ...udp(1, 2, [], { src: A6, dst: B6 })])),
  },
  {
    name: "ipv6 routing header",
    frame: ether(
      0x86dd,
      ipv6(43, A6, B6, [17, 2, 0, 1, 0, 0, 0, 0, ...ip6("2001:db8::2"), ...udp(1, 2, [], { src: A6, dst: B6 })]),
    ),
  },
  {
    name: "ipv6 fragment header first",
    frame: ether(
      0x86dd,
      ipv6(44, A6, B6, [
        17,
        0,
        0,
        1,
        0,
        0,
        0,
        42,
        ...udp(1, 2, new Array(16).fill(0), { src: A6, dst: B6, length: 100 }),
      ]),
    ),
  },
  {
    name: "ipv6 fragment header later",
    frame: ether(0x86dd, ipv6(44, A6, B6, [17, 0, 0, 0x18, 0, 0, 0, 42, 1, 2, 3, 4])),
  },
  { name: "ipv6 no next header", frame: ether(0x86dd, ipv6(59, A6, B6, [])) },
  { name: "ipv6 unknown next header", frame: ether(0x86dd, ipv6(253, A6, B6, [1, 2, 3, 4])) },
  {
    name: "ipv6 payload length too big",
    frame: ether(0x86dd, ipv6(17, A6, B6, udp(1, 2, [], { src: A6, dst: B6 }), { payloadLength: 100 })),
  },
  {
    name: "ipv6 v4-mapped and loopback",
    frame: ether(0x86dd, ipv6(17, "::ffff:a00:1", "::1", udp(1, 2, [], { src: "::ffff:a00:1", dst: "::1" }))),
  },
  {
    name: "ipv6 v4-compatible",
    frame: ether(0x86dd, ipv6(17, "::a00:1", "1:0:0:1::1:0", udp(1, 2, [], { src: "::a00:1", dst: "1:0:0:1::1:0" }))),
  },
  // Bits of frames
  { name: "runt ethernet", frame: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) },
];

function soa(): number[] {
  return [
    ...dnsName("a.gtld-servers.net"),
    ...dnsName("nstld.verisign-grs.com"),
    ...u32(1700000000),
    ...u32(1800),
    ...u32(900),
    ...u32(604800),
    ...u32(86400),
  ];
}

/** Snap lengths the oracle cuts every frame at (besides keeping it whole). */
export const SNAPLENS = [6, 13, 14, 15, 17, 20, 24, 30, 34, 36, 38, 40, 42, 44, 46, 50, 54, 58, 62, 66, 70, 74, 80, 90];
