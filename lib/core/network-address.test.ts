import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyAddress, describeRefusal, isIpAddress, parseIPv4, parseIPv6 } from "./network-address";

const reasonOf = (text: string) => {
  const verdict = classifyAddress(text);
  return verdict.allowed ? "allowed" : verdict.reason;
};

/** Every way URL parsers and inet_aton let one IPv4 address be written. */
function spellings(bytes: number[]): string[] {
  const [a, b, c, d] = bytes as [number, number, number, number];
  const n = ((a * 256 + b) * 256 + c) * 256 + d;
  return [
    `${a}.${b}.${c}.${d}`,
    `${a}.${b}.${c}.${d}.`, // trailing dot
    String(n), // http://2130706433/
    `0x${n.toString(16)}`, // http://0x7f000001/
    `0X${n.toString(16).toUpperCase()}`,
    `0${n.toString(8)}`, // one octal number
    `0${a.toString(8)}.${b}.${c}.${d}`, // http://0177.0.0.1/
    `0x${a.toString(16)}.0x${b.toString(16)}.0x${c.toString(16)}.0x${d.toString(16)}`,
    `00${a.toString(8)}.0${b.toString(8)}.${c}.0x${d.toString(16)}`, // mixed
    `${a}.${(b * 256 + c) * 256 + d}`, // a.b24
    `${a}.${b}.${c * 256 + d}`, // a.b.c16 — http://127.1/ is 127.0.0.1
  ];
}

describe("IPv4 spellings", () => {
  it("parse to the same bytes as the WHATWG URL parser gives (the parser the webhook URL goes through)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (bytes) => {
        for (const spelling of spellings(bytes)) {
          expect(parseIPv4(spelling), spelling).toEqual(bytes);
          expect(new URL(`http://${spelling}/`).hostname, spelling).toBe(bytes.join("."));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("the classic loopback tricks are all 127.0.0.1", () => {
    for (const spelling of ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "127.0.1", "0x7f.1", "017700000001"])
      expect(parseIPv4(spelling), spelling).toEqual([127, 0, 0, 1]);
    expect(parseIPv4("0")).toEqual([0, 0, 0, 0]);
    expect(parseIPv4("0x")).toEqual([0, 0, 0, 0]);
  });

  it("refuses what is no IPv4 address, as URL parsers do", () => {
    for (const text of [
      "",
      ".",
      "1..2",
      "1.2.3.4.5",
      "256.0.0.1",
      "1.2.3.256",
      "1.2.65536",
      "4294967296",
      "0x100000000",
      "08",
      "0x1g",
      "1.2.3.-4",
      "example.com",
      "1e3",
      " 1.2.3.4",
    ])
      expect(parseIPv4(text), text).toBeNull();
  });

  it("agrees with the URL parser on random text made of digits, dots and x", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-fx.]{1,24}$/), (text) => {
        let viaUrl: string | null;
        try {
          viaUrl = new URL(`http://${text}/`).hostname;
        } catch {
          viaUrl = null;
        }
        const ours = parseIPv4(text);
        if (ours) expect(viaUrl, text).toBe(ours.join("."));
        // A host the URL parser kept as a name is no IPv4 address to us either.
        else if (viaUrl !== null) expect(viaUrl, text).not.toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("IPv6 text", () => {
  it("parses compressed, full, mixed-case and dotted-tail forms", () => {
    expect(parseIPv6("::")).toEqual(Array(16).fill(0));
    expect(parseIPv6("::1")).toEqual([...Array(15).fill(0), 1]);
    expect(parseIPv6("0:0:0:0:0:0:0:1")).toEqual(parseIPv6("::1"));
    expect(parseIPv6("::ffff:127.0.0.1")).toEqual(parseIPv6("::ffff:7f00:1"));
    expect(parseIPv6("FE80::ABCD")).toEqual(parseIPv6("fe80::abcd"));
    expect(parseIPv6("1:2:3:4:5:6:7::")).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]);
    expect(parseIPv6("64:ff9b::10.0.0.1")).toEqual([0, 0x64, 0xff, 0x9b, ...Array(8).fill(0), 10, 0, 0, 1]);
  });

  it("refuses malformed text", () => {
    for (const text of [
      "",
      ":",
      ":::",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8::",
      "12345::",
      "::g",
      "::1.2.3",
      "::1.2.3.256",
      "::0x7f.0.0.1",
      "1.2.3.4::",
      "::1.2.3.4:5",
      "fe80::1%eth0",
    ])
      expect(parseIPv6(text), text).toBeNull();
  });

  it("agrees with the URL parser on what is valid, and on the bytes", () => {
    const group = fc.oneof(
      fc.constant(""),
      fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)),
    );
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 1, maxLength: 9 }),
        fc.option(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 })),
        (groups, v4) => {
          const text = `${groups.join(":")}${v4 ? `:${v4.join(".")}` : ""}`;
          let viaUrl: string | null;
          try {
            viaUrl = new URL(`http://[${text}]/`).hostname.slice(1, -1);
          } catch {
            viaUrl = null;
          }
          const ours = parseIPv6(text);
          expect(ours === null, text).toBe(viaUrl === null);
          if (ours && viaUrl) expect(parseIPv6(viaUrl), text).toEqual(ours);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("classifyAddress", () => {
  const IPV4: [string, string][] = [
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["10.0.0.0", "private"],
    ["10.255.255.255", "private"],
    ["100.63.255.255", "allowed"],
    ["100.64.0.0", "shared"],
    ["100.127.255.255", "shared"],
    ["100.128.0.0", "allowed"],
    ["126.255.255.255", "allowed"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["128.0.0.0", "allowed"],
    ["169.253.255.255", "allowed"],
    ["169.254.169.254", "link_local"], // cloud metadata
    ["169.255.0.0", "allowed"],
    ["172.15.255.255", "allowed"],
    ["172.16.0.0", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.0", "allowed"],
    ["192.0.0.8", "reserved"],
    ["192.0.1.1", "allowed"],
    ["192.167.255.255", "allowed"],
    ["192.168.0.1", "private"],
    ["192.169.0.0", "allowed"],
    ["198.17.255.255", "allowed"],
    ["198.18.0.1", "reserved"],
    ["198.19.255.255", "reserved"],
    ["198.20.0.0", "allowed"],
    ["223.255.255.255", "allowed"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.255", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.254", "reserved"],
    ["255.255.255.255", "broadcast"],
    ["8.8.8.8", "allowed"],
    ["93.184.215.14", "allowed"],
    ["1.1.1.1", "allowed"],
  ];

  it.each(IPV4)("%s → %s", (address, reason) => expect(reasonOf(address)).toBe(reason));

  it("judges every spelling of an IPv4 address as the address itself", () => {
    for (const [address, reason] of IPV4) {
      const bytes = address.split(".").map(Number);
      for (const spelling of spellings(bytes)) expect(reasonOf(spelling), spelling).toBe(reason);
    }
  });

  const IPV6: [string, string][] = [
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["::2", "unspecified"], // IPv4-compatible ::0.0.0.2 — "this network"
    ["fc00::1", "private"],
    ["fd12:3456:789a::1", "private"],
    ["fbff::1", "allowed"],
    ["fe00::1", "allowed"],
    ["fe80::1", "link_local"],
    ["febf:ffff::1", "link_local"],
    ["fec0::1", "private"],
    ["ff02::1", "multicast"],
    ["ff0e::1", "multicast"],
    ["100::1", "reserved"],
    ["2001::1", "reserved"], // Teredo
    ["2001:db8::1", "reserved"],
    ["64:ff9b:1::1", "private"],
    ["2606:4700:4700::1111", "allowed"],
    ["2a00:1450:4001:82b::200e", "allowed"],
  ];
  it.each(IPV6)("%s → %s", (address, reason) => expect(reasonOf(address)).toBe(reason));

  it("judges IPv6 addresses that embed an IPv4 address by that address", () => {
    const embeddings = (v4: string) => {
      const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
      const hi = ((a << 8) | b).toString(16);
      const lo = ((c << 8) | d).toString(16);
      return [
        `::ffff:${v4}`, // mapped, dotted
        `::ffff:${hi}:${lo}`, // mapped, hex (how URLs write [::ffff:127.0.0.1])
        `[::ffff:${v4}]`,
        `0:0:0:0:0:ffff:${v4}`,
        `::ffff:0:${v4}`, // IPv4-translated
        `64:ff9b::${v4}`, // NAT64
        `64:ff9b::${hi}:${lo}`,
        `2002:${hi}:${lo}::1`, // 6to4
      ];
    };
    for (const [v4, reason] of IPV4) {
      const [a] = v4.split(".").map(Number);
      if (a === 0) continue; // ::0.x.y.z is also "::/96", judged the same but shown below
      for (const text of embeddings(v4)) expect(reasonOf(text), text).toBe(reason);
      // The IPv4-compatible form ::a.b.c.d (deprecated) as well, except where it collides with :: and ::1.
      expect(reasonOf(`::${v4}`), `::${v4}`).toBe(reason);
    }
    const verdict = classifyAddress("::ffff:7f00:1");
    expect(verdict).toMatchObject({ allowed: false, reason: "loopback", embeddedIPv4: "127.0.0.1" });
  });

  it("what URLs make of [::ffff:127.0.0.1] is still loopback", () => {
    const host = new URL("http://[::ffff:127.0.0.1]:8080/").hostname;
    expect(host).toBe("[::ffff:7f00:1]");
    expect(reasonOf(host)).toBe("loopback");
  });

  it("a host name is no address: it is resolved, then each address judged", () => {
    expect(reasonOf("hooks.slack.com")).toBe("invalid");
    expect(isIpAddress("hooks.slack.com")).toBe(false);
    expect(isIpAddress("0x7f000001")).toBe(true);
    expect(isIpAddress("[::1]")).toBe(true);
    expect(isIpAddress("8.8.8.8")).toBe(true);
  });

  it("says why", () => {
    const refused = (text: string) => {
      const verdict = classifyAddress(text);
      if (verdict.allowed) throw new Error(`${text} allowed`);
      return describeRefusal(verdict);
    };
    expect(refused("0x7f000001")).toBe("127.0.0.1 (a loopback address)");
    expect(refused("169.254.169.254")).toBe("169.254.169.254 (a link-local address)");
    expect(refused("::ffff:a00:1")).toBe("::ffff:a00:1 (embeds 10.0.0.1: a private-network address)");
  });
});
