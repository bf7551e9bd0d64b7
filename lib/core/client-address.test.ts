import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addressLimitKey,
  formatIp,
  parseCidr,
  parseIp,
  parseTrustedProxies,
  resolveClientAddress,
  type TrustedProxies,
} from "./client-address";

const trust = (raw: string): TrustedProxies => {
  const parsed = parseTrustedProxies(raw);
  if (!parsed.ok) throw new Error(`invalid: ${parsed.invalid.join(", ")}`);
  return parsed.proxies;
};
const canonical = (raw: string) => {
  const ip = parseIp(raw);
  return ip ? formatIp(ip) : null;
};

describe("parseIp / formatIp", () => {
  it.each([
    ["1.2.3.4", "1.2.3.4"],
    [" 10.0.0.1 ", "10.0.0.1"],
    ["10.0.0.1:51234", "10.0.0.1"],
    ["::1", "::1"],
    ["[::1]", "::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["fe80::1%eth0", "fe80::1"],
    ["::ffff:127.0.0.1", "127.0.0.1"], // what a dual-stack socket reports for an IPv4 client
    ["::ffff:7f00:1", "127.0.0.1"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["::", "::"],
  ])("%s → %s", (raw, expected) => {
    expect(canonical(raw)).toBe(expected);
  });

  it.each([
    "",
    "unknown",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3.4/8",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "12345::",
    "g::1",
    "<script>",
    "1.2.3.4, 5.6.7.8",
  ])("refuses %j", (raw) => {
    expect(parseIp(raw)).toBeNull();
  });

  it("property: formatting then parsing any address gives it back", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (raw) => {
        const once = canonical(raw);
        expect(once).not.toBeNull();
        expect(canonical(once!)).toBe(once);
      }),
    );
  });
});

describe("TRUSTED_PROXIES", () => {
  it("is empty (trust none) when unset or blank", () => {
    expect(parseTrustedProxies(undefined)).toEqual({ ok: true, proxies: [] });
    expect(parseTrustedProxies("  ")).toEqual({ ok: true, proxies: [] });
  });

  it("takes addresses and CIDR ranges, comma- or space-separated", () => {
    const parsed = parseTrustedProxies("10.0.0.0/8, 192.168.1.7 2001:db8::/32,::1");
    expect(parsed.ok && parsed.proxies.map((c) => `${formatIp(c.ip)}/${c.prefix}`)).toEqual([
      "10.0.0.0/8",
      "192.168.1.7/32",
      "2001:db8::/32",
      "::1/128",
    ]);
  });

  it("names every invalid entry", () => {
    expect(parseTrustedProxies("10.0.0.0/33, nginx, 1.2.3.4:80, 10.0.0.1")).toEqual({
      ok: false,
      invalid: ["10.0.0.0/33", "nginx", "1.2.3.4:80"],
    });
  });

  it("reads a mapped IPv6 range as the IPv4 range it maps", () => {
    expect(parseCidr("::ffff:10.0.0.0/104")).toMatchObject({ ip: { version: 4 }, prefix: 8 });
    expect(parseCidr("::ffff:10.0.0.0/64")).toBeNull();
  });
});

describe("resolveClientAddress", () => {
  const none = trust("");

  it("is the TCP peer when no proxy is trusted, whatever X-Forwarded-For says (the default)", () => {
    expect(resolveClientAddress({ peer: "203.0.113.9", forwardedFor: "1.1.1.1", trusted: none })).toBe("203.0.113.9");
    expect(resolveClientAddress({ peer: "::ffff:203.0.113.9", forwardedFor: null, trusted: none })).toBe("203.0.113.9");
  });

  it("believes the entry a trusted proxy appended, and nothing a client wrote before it", () => {
    const trusted = trust("10.0.0.0/8");
    // The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
    expect(resolveClientAddress({ peer: "10.1.2.3", forwardedFor: "6.6.6.6, 198.51.100.4", trusted })).toBe(
      "198.51.100.4",
    );
  });

  it("walks a chain of trusted proxies (CDN → load balancer → app) to the first untrusted hop", () => {
    const trusted = trust("10.0.0.0/8, 192.0.2.0/24");
    expect(resolveClientAddress({ peer: "10.0.0.5", forwardedFor: "6.6.6.6, 198.51.100.4, 192.0.2.10", trusted })).toBe(
      "198.51.100.4",
    );
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    const trusted = trust("10.0.0.0/8");
    expect(resolveClientAddress({ peer: "198.51.100.4", forwardedFor: "10.0.0.1", trusted })).toBe("198.51.100.4");
  });

  it("stops at a trusted proxy whose entry is not an address", () => {
    const trusted = trust("10.0.0.0/8");
    expect(resolveClientAddress({ peer: "10.0.0.5", forwardedFor: "unknown", trusted })).toBe("10.0.0.5");
    expect(resolveClientAddress({ peer: "10.0.0.5", forwardedFor: "", trusted })).toBe("10.0.0.5");
  });

  it("is null when the peer is unknown", () => {
    expect(resolveClientAddress({ peer: undefined, forwardedFor: "1.2.3.4", trusted: trust("0.0.0.0/0") })).toBeNull();
    expect(resolveClientAddress({ peer: "", forwardedFor: null, trusted: none })).toBeNull();
  });

  it("property: with no trusted proxy, the client's header never changes the answer", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.string(), (peer, header) => {
        expect(resolveClientAddress({ peer, forwardedFor: header, trusted: none })).toBe(canonical(peer));
      }),
    );
  });
});

describe("addressLimitKey", () => {
  it("counts IPv4 per address and IPv6 per /64", () => {
    expect(addressLimitKey("203.0.113.9")).toBe("203.0.113.9");
    expect(addressLimitKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressLimitKey("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(addressLimitKey("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
  });
});
