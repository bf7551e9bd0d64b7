import { test as base, type APIRequestContext, type APIResponse } from "@playwright/test";
import { OpenApiResponseChecker } from "../../tests/openapi-response";

export { expect } from "@playwright/test";

/**
 * The api suite's `test`: its `request` fixture checks every response against
 * the OpenAPI document the server itself serves — a documented status, a body
 * matching that response's schema, the required headers — and fails the call
 * that answered otherwise. Paths the document does not describe (e.g. the
 * catch-all 404, the dashboard) are not checked.
 */
let checker: Promise<OpenApiResponseChecker> | undefined;

function documentChecker(request: APIRequestContext) {
  checker ??= request.get("/api/v1/openapi.json").then(async (response) => {
    if (!response.ok()) throw new Error(`GET /api/v1/openapi.json answered ${response.status()}`);
    return new OpenApiResponseChecker(await response.json());
  });
  return checker;
}

const METHODS = { get: "GET", put: "PUT", post: "POST", delete: "DELETE", patch: "PATCH", head: "HEAD" } as const;

async function check(request: APIRequestContext, method: string, url: string, response: APIResponse) {
  const problems = (await documentChecker(request)).check({
    method,
    url: response.url() || url,
    status: response.status(),
    headers: response.headers(),
    bodyText: method === "HEAD" ? "" : await response.text(),
  });
  if (problems.length) throw new Error(`response does not match the OpenAPI document:\n${problems.join("\n")}`);
}

export const test = base.extend({
  request: async ({ request }, provide) => {
    const checked = new Proxy(request, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        if (property === "fetch") {
          return async (input: string, options?: { method?: string }) => {
            const response = await target.fetch(input, options);
            await check(target, (options?.method ?? "GET").toUpperCase(), input, response);
            return response;
          };
        }
        const method = METHODS[property as keyof typeof METHODS];
        if (!method) return value.bind(target);
        return async (url: string, options?: unknown) => {
          const response = await (value as (u: string, o?: unknown) => Promise<APIResponse>).call(target, url, options);
          await check(target, method, url, response);
          return response;
        };
      },
    });
    await provide(checked);
  },
});
