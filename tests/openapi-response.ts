import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/**
 * Checks real responses against the OpenAPI document: the status must be one
 * the operation documents, the body must match that response's schema, and
 * the response headers the document marks required must be there. Shared by
 * the integration tests (route handlers called directly) and the e2e api
 * suite (every response of Playwright's request fixture).
 */

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
  components: { headers?: Record<string, { required?: boolean }> };
};
type ResponseObject = {
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema: unknown }>;
};

export type ResponseToCheck = {
  method: string;
  /** The request URL or path; the query is ignored. */
  url: string;
  status: number;
  headers: Record<string, string>;
  bodyText: string;
};

export class OpenApiResponseChecker {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: { template: string; pattern: RegExp }[];

  constructor(private readonly doc: Doc) {
    // The document is added whole, so that its internal `#/components/...` refs resolve; strict mode
    // would refuse OpenAPI's own keywords around the schemas.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    this.ajv.addSchema(doc as object, "openapi.json");
    this.routes = Object.keys(doc.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/]+")}$`),
      }))
      // Static segments before templated ones (e.g. /api/v1/openapi.json is not a path parameter).
      .sort((a, b) => a.template.split("{").length - b.template.split("{").length);
  }

  /** The documented path template of `url`, or null for an undocumented path (e.g. the catch-all 404). */
  template(url: string): string | null {
    const path = new URL(url, "http://x").pathname;
    return this.routes.find((r) => r.pattern.test(path))?.template ?? null;
  }

  /** Problems with this response; empty when it matches the document. Undocumented paths are not checked. */
  check(response: ResponseToCheck): string[] {
    const template = this.template(response.url);
    if (!template) return [];
    const method = response.method.toLowerCase();
    const label = `${response.method.toUpperCase()} ${template} → ${response.status}`;
    const operation = this.doc.paths[template]?.[method];
    if (!operation) return [`${label}: the document has no ${method.toUpperCase()} for ${template}`];
    const documented = operation.responses[String(response.status)];
    if (!documented) {
      return [
        `${label}: status not documented (documented: ${Object.keys(operation.responses).join(", ")}); body ${response.bodyText.slice(0, 300)}`,
      ];
    }
    const problems: string[] = [];
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      const component = this.doc.components.headers?.[header.$ref.split("/").pop()!];
      if (component?.required && response.headers[name.toLowerCase()] === undefined) {
        problems.push(`${label}: required header ${name} missing`);
      }
    }
    const json = documented.content?.["application/json"];
    if (!json) return problems;
    if (!(response.headers["content-type"] ?? "").includes("application/json")) {
      problems.push(`${label}: content-type ${response.headers["content-type"]} is not application/json`);
    }
    let body: unknown;
    try {
      body = JSON.parse(response.bodyText);
    } catch {
      return [...problems, `${label}: body is not JSON: ${response.bodyText.slice(0, 200)}`];
    }
    const validate = this.validator(template, method, response.status);
    if (!validate(body)) {
      problems.push(
        `${label}: body does not match the document: ${this.ajv.errorsText(validate.errors)}; body ${response.bodyText.slice(0, 500)}`,
      );
    }
    return problems;
  }

  private validator(template: string, method: string, status: number): ValidateFunction {
    const id = `${template} ${method} ${status}`;
    let validate = this.validators.get(id);
    if (!validate) {
      const pointer = ["paths", template, method, "responses", String(status), "content", "application/json", "schema"]
        .map((s) => s.replace(/~/g, "~0").replace(/\//g, "~1"))
        .join("/");
      validate = this.ajv.compile({ $ref: `openapi.json#/${pointer}` });
      this.validators.set(id, validate);
    }
    return validate;
  }
}

/** A Fetch API Response, read without consuming it. */
export async function toCheckable(method: string, url: string, response: Response): Promise<ResponseToCheck> {
  return {
    method,
    url,
    status: response.status,
    headers: Object.fromEntries([...response.headers].map(([k, v]) => [k.toLowerCase(), v])),
    bodyText: await response.clone().text(),
  };
}
