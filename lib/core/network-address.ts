/**
 * Which network addresses the server may send a webhook to. A webhook URL is
 * chosen by a workspace admin, and the server connects to it from inside the
 * operator's network: without this, `http://127.0.0.1:5432` or
 * `http://169.254.169.254/` (a cloud's metadata service) would be reachable
 * through it (SSRF). So loopback, private, link-local, multicast, unspecified
 * and reserved destinations are refused — IPv4, IPv6, and IPv6 forms that embed
 * an IPv4 address (mapped, compatible, NAT64, 6to4) by the address they embed.
 *
 * Addresses are parsed here rather than with `node:net`, because an address
 * reaches us spelled many ways: `2130706433`, `0x7f000001`, `0177.0.0.1` and
 * `127.1` all mean 127.0.0.1 to URL parsers and to `inet_aton`.
 */

export type AddressRefusal =
  "unspecified" | "loopback" | "private" | "shared" | "link_local" | "multicast" | "broadcast" | "reserved";

export type AddressVerdict =
  | { allowed: true; address: string }
  | { allowed: false; address: string; reason: AddressRefusal | "invalid"; embeddedIPv4?: string };

/** Bytes of an IPv4 address written the way WHATWG URL and `inet_aton` accept it: 1–4 parts, each decimal, `0x` hex or `0` octal, the last filling the remaining bytes. */
export function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop(); // one trailing dot, as URLs allow
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseIPv4Part(part);
    if (n === null) return null;
    numbers.push(n);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) return null;
  const bytes = [...numbers];
  for (let i = 3 - numbers.length; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return bytes;
}

function parseIPv4Part(part: string): number | null {
  let digits = part;
  let radix = 10;
  if (/^0x/i.test(part)) {
    digits = part.slice(2);
    radix = 16;
  } else if (part.length > 1 && part.startsWith("0")) {
    digits = part.slice(1);
    radix = 8;
  }
  if (digits === "") return radix === 16 || radix === 8 ? 0 : null; // "0x" and "0" are zero
  const pattern = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return null;
  const n = parseInt(digits, radix);
  return Number.isSafeInteger(n) ? n : null;
}

/** Bytes of an IPv6 address (RFC 4291 text: hex groups, one `::`, an optional dotted IPv4 tail). No zone id. */
export function parseIPv6(text: string): number[] | null {
  if (!/^[0-9a-f:.]+$/i.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (piece.includes(".")) {
        // A dotted IPv4 tail is strict dotted decimal (four parts), and only last.
        if (i !== pieces.length - 1 || !/^\d{1,3}(\.\d{1,3}){3}$/.test(piece)) return null;
        const v4 = piece.split(".").map(Number);
        if (v4.some((b) => b > 255)) return null;
        out.push(v4[0]! * 256 + v4[1]!, v4[2]! * 256 + v4[3]!);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(piece)) return null;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 2 && halves[0]!.includes(".")) return null; // the IPv4 tail comes last
  let all: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    all = [...head, ...Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    all = head;
  }
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

type Range = { bytes: number[]; bits: number };

function range(prefix: string, bits: number): Range {
  const bytes = prefix.includes(":") ? parseIPv6(prefix) : parseIPv4(prefix);
  if (!bytes) throw new Error(`bad range ${prefix}`);
  return { bytes, bits };
}

function inRange(bytes: number[], r: Range): boolean {
  if (bytes.length !== r.bytes.length) return false;
  for (let bit = 0; bit < r.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((bytes[bit >> 3]! & mask) !== (r.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** IPv4 destinations that are not the public internet; first match wins. */
const IPV4_REFUSED: [Range, AddressRefusal][] = [
  [range("0.0.0.0", 8), "unspecified"], // "this network"; 0.0.0.0 reaches the local host on Linux
  [range("10.0.0.0", 8), "private"],
  [range("100.64.0.0", 10), "shared"], // carrier-grade NAT
  [range("127.0.0.0", 8), "loopback"],
  [range("169.254.0.0", 16), "link_local"], // includes cloud metadata services (169.254.169.254)
  [range("172.16.0.0", 12), "private"],
  [range("192.0.0.0", 24), "reserved"], // IETF protocol assignments
  [range("192.168.0.0", 16), "private"],
  [range("198.18.0.0", 15), "reserved"], // benchmarking, often used inside networks
  [range("224.0.0.0", 4), "multicast"],
  [range("255.255.255.255", 32), "broadcast"],
  [range("240.0.0.0", 4), "reserved"],
];

/**
 * IPv6 destinations: refused outright, or (`embedded`: the byte offset of an
 * IPv4 address inside) judged by the IPv4 address they carry — a mapped
 * `::ffff:127.0.0.1` is loopback, a NAT64 `64:ff9b::8.8.8.8` is public. First match wins.
 */
const IPV6_RULES: [Range, AddressRefusal | { embedded: number }][] = [
  [range("::", 128), "unspecified"],
  [range("::1", 128), "loopback"],
  [range("::ffff:0:0", 96), { embedded: 12 }], // IPv4-mapped
  [range("::ffff:0:0:0", 96), { embedded: 12 }], // IPv4-translated (RFC 2765)
  [range("::", 96), { embedded: 12 }], // IPv4-compatible (deprecated)
  [range("64:ff9b::", 96), { embedded: 12 }], // NAT64 well-known prefix
  [range("64:ff9b:1::", 48), "private"], // NAT64 local use (RFC 8215)
  [range("100::", 64), "reserved"], // discard-only
  [range("2001::", 32), "reserved"], // Teredo: carries an obfuscated IPv4 address
  [range("2001:db8::", 32), "reserved"], // documentation
  [range("2002::", 16), { embedded: 2 }], // 6to4
  [range("fc00::", 7), "private"], // unique local
  [range("fe80::", 10), "link_local"],
  [range("fec0::", 10), "private"], // site-local (deprecated)
  [range("ff00::", 8), "multicast"],
];

const formatIPv4 = (bytes: number[]) => bytes.join(".");

function classifyIPv4(bytes: number[]): AddressVerdict {
  const address = formatIPv4(bytes);
  const match = IPV4_REFUSED.find(([r]) => inRange(bytes, r));
  return match ? { allowed: false, address, reason: match[1] } : { allowed: true, address };
}

/**
 * Whether the server may connect to `text` (an IP address in any spelling
 * above; IPv6 with or without brackets). Anything that is not an IP address is
 * `invalid` — host names are resolved first and each address judged.
 */
export function classifyAddress(text: string): AddressVerdict {
  const unbracketed = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (unbracketed.includes(":")) {
    const bytes = parseIPv6(unbracketed);
    if (!bytes) return { allowed: false, address: text, reason: "invalid" };
    const rule = IPV6_RULES.find(([r]) => inRange(bytes, r));
    if (!rule) return { allowed: true, address: unbracketed.toLowerCase() };
    const [, verdict] = rule;
    if (typeof verdict === "string") return { allowed: false, address: unbracketed.toLowerCase(), reason: verdict };
    const inner = classifyIPv4(bytes.slice(verdict.embedded, verdict.embedded + 4));
    return inner.allowed
      ? { allowed: true, address: unbracketed.toLowerCase() }
      : { allowed: false, address: unbracketed.toLowerCase(), reason: inner.reason, embeddedIPv4: inner.address };
  }
  const bytes = parseIPv4(unbracketed);
  return bytes ? classifyIPv4(bytes) : { allowed: false, address: text, reason: "invalid" };
}

/** True when `text` is an IP address (any spelling above) rather than a host name. */
export function isIpAddress(text: string): boolean {
  const verdict = classifyAddress(text);
  return verdict.allowed || verdict.reason !== "invalid";
}

const REFUSAL_TEXT: Record<AddressRefusal | "invalid", string> = {
  unspecified: "an unspecified address",
  loopback: "a loopback address",
  private: "a private-network address",
  shared: "a carrier-grade NAT address",
  link_local: "a link-local address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved address",
  invalid: "not an IP address",
};

/** "127.0.0.1 (a loopback address)", "::ffff:a00:1 (embeds 10.0.0.1: a private-network address)". */
export function describeRefusal(verdict: Extract<AddressVerdict, { allowed: false }>): string {
  const what = REFUSAL_TEXT[verdict.reason];
  return verdict.embeddedIPv4
    ? `${verdict.address} (embeds ${verdict.embeddedIPv4}: ${what})`
    : `${verdict.address} (${what})`;
}
