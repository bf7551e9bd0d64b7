import { z } from "zod";

/** PUT /api/v1/kv/{namespace}/{key} body. */
export const putKvBodySchema = z
  .object({
    value: z.json(),
    ttlSeconds: z
      .number()
      .int()
      .positive()
      .max(10 * 365 * 86400)
      .optional(),
  })
  .strict();
export type PutKvBody = z.infer<typeof putKvBodySchema>;
