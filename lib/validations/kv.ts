import { z } from "zod";
import { jsonValueSchema } from "./common";

/** PUT /api/v1/kv/{namespace}/{key} body. */
export const putKvBodySchema = z
  .object({
    value: jsonValueSchema,
    ttlSeconds: z
      .number()
      .int()
      .positive()
      .max(10 * 365 * 86400)
      .optional(),
  })
  .strict();
export type PutKvBody = z.infer<typeof putKvBodySchema>;
