import "server-only";
import bcrypt from "bcryptjs";
import { randomToken } from "@/lib/core/ids";

const COST = 11;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, COST);
}

// A valid hash of a random string: comparing against it when the email is
// unknown makes "no such user" take as long as "wrong password".
const DUMMY_HASH = bcrypt.hashSync(randomToken(24), COST);

export function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  return bcrypt.compare(password, hash ?? DUMMY_HASH);
}

/** A one-time password people can type: four groups of five, ~103 bits. */
export function generatePassword(): string {
  return randomToken(20).match(/.{5}/g)!.join("-");
}
