import { connect } from "node:net";

/**
 * One HTTP/1.1 request written byte for byte on a fresh TCP connection — so a
 * test can send what no HTTP client will (an absolute-form target, TRACE with
 * a marker to look for in an echo) — and the answer as it came off the wire.
 */
export type RawAnswer = {
  status: number;
  /** Lower-case names; a repeated header's values joined by ", ". */
  headers: Record<string, string>;
  /** Every header line as received (to count repeated headers). */
  headerLines: string[];
  body: string;
  raw: string;
};

export function rawRequest(
  port: number,
  requestLine: string,
  headers: Record<string, string> = {},
  body = "",
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const all: Record<string, string> = {
      Host: `127.0.0.1:${port}`,
      ...headers,
      Connection: "close",
      ...(body ? { "Content-Length": String(Buffer.byteLength(body)) } : {}),
    };
    const head = [requestLine, ...Object.entries(all).map(([k, v]) => `${k}: ${v}`)].join("\r\n");
    socket.on("connect", () => socket.write(`${head}\r\n\r\n${body}`));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.setTimeout(20_000, () => socket.destroy(new Error(`no answer to ${requestLine} within 20 s`)));
    socket.on("error", reject);
    socket.on("close", () => {
      const bytes = Buffer.concat(chunks);
      const split = bytes.indexOf("\r\n\r\n");
      const head = bytes.subarray(0, split === -1 ? bytes.length : split).toString("latin1");
      const [statusLine = "", ...headerLines] = head.split("\r\n");
      const parsed: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        parsed[name] = parsed[name] === undefined ? value : `${parsed[name]}, ${value}`;
      }
      let rest: Buffer = split === -1 ? Buffer.alloc(0) : bytes.subarray(split + 4);
      if (/chunked/i.test(parsed["transfer-encoding"] ?? "")) rest = dechunk(rest);
      resolve({
        status: Number(statusLine.split(" ")[1] ?? 0),
        headers: parsed,
        headerLines,
        body: rest.toString("utf8"),
        raw: bytes.toString("utf8"),
      });
    });
  });
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at);
    if (lineEnd === -1) break;
    const size = parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (!size) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
