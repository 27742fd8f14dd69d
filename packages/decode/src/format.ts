// Text forms of addresses, as tcpdump and the reference tools print them.
// Byte order: IPv4 addresses are the u32 values decode produces (network
// order read big-endian); MAC and IPv6 addresses are byte views.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `08:00:27:19:12:a4`. */
export function macToString(mac: Uint8Array): string {
  let s = "";
  for (let i = 0; i < mac.length; i++) s += (i ? ":" : "") + HEX[mac[i]!];
  return s;
}

/** `10.0.0.2` from the u32 value of an IPv4 address. */
export function ipv4ToString(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

/** The u32 value of a dotted-quad IPv4 address; throws a TypeError on anything else. */
export function ipv4FromString(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new TypeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/**
 * An IPv6 address the way inet_ntop(3) writes it (and so tcpdump): lowercase,
 * the longest run of two or more zero groups as `::`, and the IPv4-mapped and
 * IPv4-compatible forms with a dotted quad.
 */
export function ipv6ToString(address: Uint8Array): string {
  if (address.length !== 16) throw new TypeError(`an IPv6 address has 16 bytes, got ${address.length}`);
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((address[i]! << 8) | address[i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let s = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestBase) {
      s += ":";
      i += bestLen - 1;
      if (i === 7) s += ":";
      continue;
    }
    if (i) s += ":";
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      s += `${address[12]}.${address[13]}.${address[14]}.${address[15]}`;
      break;
    }
    s += words[i]!.toString(16);
  }
  return s;
}
