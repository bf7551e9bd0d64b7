import "server-only";
import { hash, verify } from "@node-rs/bcrypt";
import { randomToken } from "@/lib/core/ids";

const COST = 11;

/**
 * bcrypt costs ~100–250 ms of CPU per hash. It runs on libuv's thread pool
 * (@node-rs/bcrypt's async functions, native code), never on the event loop:
 * bcryptjs, used before, computed it in JavaScript on the one thread that
 * serves every request, so each unauthenticated sign-in attempt stalled the
 * dashboard and the agent API alike.
 *
 * At most two hashes run at once per process; the rest wait their turn here.
 * libuv's pool has four threads (UV_THREADPOOL_SIZE) and also does gzip for
 * the agent lane, file reads and DNS lookups, which a burst of sign-ins must
 * not take over.
 */
const MAX_CONCURRENT_HASHES = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next waiter (running stays the same), or free it.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export function hashPassword(password: string): Promise<string> {
  return withHashSlot(() => hash(password, COST));
}

// A valid hash of a random string nobody knows: comparing against it when the
// email is unknown makes "no such user" cost as much as "wrong password".
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(password: string, storedHash: string | null | undefined): Promise<boolean> {
  dummyHash ??= hashPassword(randomToken(24));
  const against = storedHash ?? (await dummyHash);
  return withHashSlot(async () => {
    try {
      return await verify(password, against);
    } catch {
      return false; // a stored value that is not a bcrypt hash matches no password
    }
  });
}

/** A one-time password people can type: four groups of five, ~103 bits. */
export function generatePassword(): string {
  return randomToken(20).match(/.{5}/g)!.join("-");
}
