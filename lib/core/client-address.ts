/**
 * Who is on the other end of a request, for limits that key on it (sign-in
 * attempts per address). The TCP peer is the only address nobody can forge;
 * `X-Forwarded-For` is believed only hop by hop, and only while the hop that
 * wrote it is a configured trusted proxy (`TRUSTED_PROXIES`), as Express's
 * `trust proxy` with a list and Go's `realip`-style middlewares do.
 *
 * Why a list of proxy addresses and not a hop count: a hop count believes the
 * n-th entry from the right whoever connected, so a client that reaches the app
 * directly (past the proxy, or in a setup that later loses a hop) picks its own
 * address; a list ties belief to the peer actually being one of our proxies.
 */

export type IpAddress = { version: 4 | 6; bytes: Uint8Array };
export type Cidr = { ip: IpAddress; prefix: number };

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    // Decimal only, no leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  if (!/^[0-9a-f:.]+$/i.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const words: number[] = [];
  const parseGroups = (list: string[], last: boolean): number[] | null => {
    const out: number[] = [];
    for (const [i, group] of list.entries()) {
      if (last && i === list.length - 1 && group.includes(".")) {
        const v4 = parseIpv4(group);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
        out.push(parseInt(group, 16));
      }
    }
    return out;
  };
  const headWords = parseGroups(head, halves.length === 1);
  const tailWords = parseGroups(tail, true);
  if (!headWords || !tailWords) return null;
  if (halves.length === 1) {
    if (headWords.length !== 8) return null;
    words.push(...headWords);
  } else {
    const missing = 8 - headWords.length - tailWords.length;
    if (missing < 1) return null;
    words.push(...headWords, ...new Array<number>(missing).fill(0), ...tailWords);
  }
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/**
 * Parses an address as it appears in a socket or a forwarding header: IPv4,
 * IPv6 (compressed, with an embedded IPv4 tail, a zone, or in brackets), with
 * or without a port. An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a
 * dual-stack socket reports) is the IPv4 address, so both spellings are one client.
 */
export function parseIp(raw: string): IpAddress | null {
  let text = raw.trim();
  if (text === "" || text.length > 64) return null;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^[0-9.]+:\d{1,5}$/.test(text)) text = text.slice(0, text.lastIndexOf(":"));
  text = text.replace(/%[0-9a-z._~-]+$/i, ""); // an IPv6 zone (fe80::1%eth0) names an interface, not a host
  const v4 = parseIpv4(text);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  if (!v6) return null;
  if (V4_MAPPED_PREFIX.every((b, i) => v6[i] === b)) return { version: 4, bytes: v6.slice(12) };
  return { version: 6, bytes: v6 };
}

/** The canonical text of an address: dotted IPv4, or RFC 5952 IPv6 (lowercase, longest zero run as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.version === 4) return Array.from(ip.bytes).join(".");
  const words = Array.from({ length: 8 }, (_, i) => (ip.bytes[2 * i]! << 8) | ip.bytes[2 * i + 1]!);
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best.start === -1) return hex.join(":");
  const head = hex.slice(0, best.start).join(":");
  const tail = hex.slice(best.start + best.length).join(":");
  return `${head}::${tail}`;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (a full-length prefix). */
export function parseCidr(raw: string): Cidr | null {
  const [address, prefixText, ...rest] = raw.trim().split("/");
  if (rest.length || address === undefined) return null;
  if (/^\[|^[0-9]+\.[0-9.]*:/.test(address)) return null; // a range has no port
  const ip = parseIp(address);
  if (!ip) return null;
  const max = ip.version === 4 ? 32 : 128;
  if (prefixText === undefined) return { ip, prefix: max };
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  // A mapped IPv6 range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
  const mappedV6 = ip.version === 4 && address.includes(":");
  const effective = mappedV6 ? prefix - 96 : prefix;
  if (effective < 0 || effective > max || (mappedV6 && prefix > 128)) return null;
  return { ip, prefix: effective };
}

export type TrustedProxies = readonly Cidr[];

/**
 * `TRUSTED_PROXIES`: comma- or space-separated addresses and CIDR ranges of the
 * proxies in front of the app. Empty or unset: trust none (the default), so
 * `X-Forwarded-For` is never believed.
 */
export function parseTrustedProxies(
  raw: string | undefined,
): { ok: true; proxies: TrustedProxies } | { ok: false; invalid: string[] } {
  const entries = (raw ?? "").split(/[\s,]+/).filter(Boolean);
  const proxies: Cidr[] = [];
  const invalid: string[] = [];
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (cidr) proxies.push(cidr);
    else invalid.push(entry);
  }
  return invalid.length ? { ok: false, invalid } : { ok: true, proxies };
}

export function inCidr(ip: IpAddress, cidr: Cidr): boolean {
  if (ip.version !== cidr.ip.version) return false;
  const whole = Math.floor(cidr.prefix / 8);
  for (let i = 0; i < whole; i++) if (ip.bytes[i] !== cidr.ip.bytes[i]) return false;
  const bits = cidr.prefix % 8;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (ip.bytes[whole]! & mask) === (cidr.ip.bytes[whole]! & mask);
}

/**
 * The client's address: the TCP peer, or — while the current hop is a trusted
 * proxy — the address that proxy appended to `X-Forwarded-For` (the rightmost
 * entry not yet used), walking right to left. The first hop that is not a
 * trusted proxy is the client; everything left of it was written by the client
 * (or by proxies we do not know) and is ignored. A malformed entry written by a
 * trusted proxy stops the walk at that proxy. Null when the peer is unknown.
 */
export function resolveClientAddress(input: {
  peer: string | null | undefined;
  forwardedFor: string | null | undefined;
  trusted: TrustedProxies;
}): string | null {
  let current = input.peer ? parseIp(input.peer) : null;
  if (!current) return null;
  const hops = (input.forwardedFor ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = current;
    if (!input.trusted.some((cidr) => inCidr(hop, cidr))) break;
    const next = parseIp(hops[i]!);
    if (!next) break;
    current = next;
  }
  return formatIp(current);
}

/**
 * The key a per-address limit counts under. An IPv6 client usually holds a
 * whole /64 (one customer's LAN, and SLAAC's privacy addresses rotate inside
 * it), so per-address IPv6 limits count per /64; otherwise one machine could
 * spend 2^64 fresh budgets. IPv4 addresses count one by one.
 */
export function addressLimitKey(address: string): string {
  const ip = parseIp(address);
  if (!ip) return address;
  if (ip.version === 4) return formatIp(ip);
  const network = new Uint8Array(16);
  network.set(ip.bytes.subarray(0, 8));
  return `${formatIp({ version: 6, bytes: network })}/64`;
}
