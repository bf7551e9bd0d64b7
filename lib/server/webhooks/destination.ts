import "server-only";
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupAddress, LookupOptions } from "node:dns";
import { classifyAddress, describeRefusal } from "@/lib/core/network-address";
import { checkWebhookUrl, type DestinationPolicy } from "@/lib/core/webhooks";

/** Name → addresses. Production: the system resolver; tests inject their own (e.g. a rebinding one). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** A destination the policy refuses: the URL is never requested. */
export class RefusedDestination extends Error {
  readonly code = "EREFUSEDDESTINATION";
}

/**
 * The addresses `hostname` resolves to, every one checked: if any is one the
 * policy refuses, none is returned (a name that answers with a private address
 * among public ones is not trusted with any of them).
 */
export async function resolveChecked(hostname: string, resolve: Resolver): Promise<LookupAddress[]> {
  const addresses = await resolve(hostname);
  if (addresses.length === 0) throw new RefusedDestination(`${hostname} resolves to no address`);
  for (const { address } of addresses) {
    const verdict = classifyAddress(address);
    if (!verdict.allowed) throw new RefusedDestination(`${hostname} resolves to ${describeRefusal(verdict)}`);
  }
  return addresses;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node's http/https `request` (net.connect calls it to find
 * where to connect): it resolves, checks every address, and hands the socket
 * only the addresses it checked — so the address connected to is the address
 * judged, and a DNS answer that changes between a check and the connection
 * (DNS rebinding) cannot slip a private address in.
 */
export function guardedLookup(resolve: Resolver, options: { check: boolean } = { check: true }) {
  return (hostname: string, lookupOptions: LookupOptions, callback: LookupCallback): void => {
    // check: false only for a host the operator allowed on private networks (WEBHOOK_ALLOWED_HOSTS).
    (options.check ? resolveChecked(hostname, resolve) : resolve(hostname)).then(
      (addresses) => {
        const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const usable = family ? addresses.filter((a) => a.family === family) : addresses;
        if (usable.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`${hostname} has no IPv${family} address`);
          error.code = "ENOTFOUND";
          return callback(error, "");
        }
        if (lookupOptions.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}

export type DestinationCheck = { ok: true } | { ok: false; reason: string };

/**
 * The check when an admin saves a URL, for a clear form error: the URL's text,
 * then — for a host name — what it resolves to now. A name that does not
 * resolve (yet) is accepted: it is judged again on every delivery, where it
 * counts.
 */
export async function checkWebhookDestination(
  text: string,
  policy: DestinationPolicy,
  resolve: Resolver = systemResolver,
  timeoutMs = 3_000,
): Promise<DestinationCheck> {
  const decision = checkWebhookUrl(text, policy);
  if (!decision.ok) return decision;
  if (decision.trusted || decision.literal) return { ok: true };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((done) => {
    timer = setTimeout(() => done("timeout"), timeoutMs);
  });
  try {
    await Promise.race([resolveChecked(decision.host, resolve), timeout]);
    return { ok: true };
  } catch (error) {
    if (error instanceof RefusedDestination) return { ok: false, reason: error.message };
    return { ok: true }; // unresolvable now (typo, DNS down): delivery will say so, to admins
  } finally {
    clearTimeout(timer);
  }
}
