import "server-only";
import { AppError } from "@/lib/core/errors";

/** A unique-constraint violation (P2002) as the product's `already_exists`. */
export function rethrowUnique(error: unknown, message: string): never {
  if (typeof error === "object" && error && "code" in error && (error as { code: unknown }).code === "P2002") {
    throw new AppError("already_exists", message);
  }
  throw error;
}
