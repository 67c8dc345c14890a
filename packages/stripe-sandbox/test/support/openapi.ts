import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
/** Stripe's published description lives beside the repository and may not be copied into it. */
export const specPath = path.resolve(repoRoot, '../shared/stripe/openapi/spec3.json');
export const haveSpec = existsSync(specPath);

const SPEC_ID = 'https://stripe.test/spec3.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * OpenAPI 3.0's `nullable: true` becomes JSON Schema's "or null", and `$ref`s into the components point
 * at the registered spec, so each operation's response schema compiles on its own.
 */
function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/'))
      result[key] = `${SPEC_ID}${value}`;
    else result[key] = toJsonSchema(value);
  }
  return node.nullable === true ? { anyOf: [result, { type: 'null' }] } : result;
}

/** A change to one component schema where the newer API (the SDK v23 types) knowingly differs. */
export interface SchemaAmendment {
  schema: string;
  /** Properties the 2024 spec requires but the SDK v23 type no longer has. */
  dropRequired?: string[];
  /** Enum values the SDK v23 type adds to a property (a dotted path of nested properties). */
  addEnum?: { property: string; values: string[] };
  /** A property whose shape changed; the SDK v23 type is the authority for it. */
  retype?: { property: string; schema: JsonObject };
  why: string;
}

function propertyNode(schema: JsonObject, dotted: string): JsonObject {
  let node: JsonObject = schema;
  for (const part of dotted.split('.')) {
    const properties = node.properties as JsonObject | undefined;
    let next = properties?.[part] as JsonObject | undefined;
    if (!next) throw new Error(`amendment names an unknown property ${dotted}`);
    // Nested objects are often wrapped as anyOf [ {$ref} ] or anyOf [ {...}, {type: null} ].
    while (!next.properties && !next.enum && Array.isArray(next.anyOf)) {
      next = (next.anyOf as JsonObject[]).find((option) => option.type !== 'null') as JsonObject;
    }
    node = next;
  }
  return node;
}

function amend(spec: JsonObject, amendments: SchemaAmendment[]): void {
  const schemas = (spec.components as JsonObject).schemas as JsonObject;
  for (const amendment of amendments) {
    const schema = schemas[amendment.schema] as JsonObject | undefined;
    if (!schema) throw new Error(`amendment names an unknown schema ${amendment.schema}`);
    if (amendment.dropRequired) {
      const before = (schema.required as string[] | undefined) ?? [];
      for (const name of amendment.dropRequired) {
        if (!before.includes(name))
          throw new Error(`${amendment.schema}.${name} is not required in the spec`);
      }
      schema.required = before.filter((name) => !amendment.dropRequired?.includes(name));
    }
    if (amendment.addEnum) {
      const node = propertyNode(schema, amendment.addEnum.property);
      if (!Array.isArray(node.enum))
        throw new Error(`${amendment.schema}.${amendment.addEnum.property} has no enum`);
      node.enum = [...node.enum, ...amendment.addEnum.values];
    }
    if (amendment.retype) {
      const dotted = amendment.retype.property;
      const parentPath = dotted.split('.').slice(0, -1).join('.');
      const parent = parentPath ? propertyNode(schema, parentPath) : schema;
      const properties = parent.properties as JsonObject;
      const name = dotted.split('.').at(-1) as string;
      if (!(name in properties)) throw new Error(`${amendment.schema}.${dotted} is not in the spec`);
      properties[name] = amendment.retype.schema;
    }
  }
}

export interface Exchange {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export interface Violation {
  exchange: string;
  operation: string;
  errors: string[];
}

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  literalSegments: number;
  responses: JsonObject;
}

function describeError(error: ErrorObject): string {
  return `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`;
}

/** Validates response bodies against the response schema of the operation each request reached. */
export class OpenApiResponses {
  private readonly ajv: Ajv;
  private readonly operations: Operation[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(amendments: SchemaAmendment[]) {
    const spec = JSON.parse(readFileSync(specPath, 'utf8')) as JsonObject;
    amend(spec, amendments);
    // Stripe's spec uses vendor keywords (x-expandableFields …) and formats (unix-time) Ajv does not know.
    this.ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    this.ajv.addSchema({ $id: SPEC_ID, components: toJsonSchema(spec.components as Json) } as object);
    for (const [template, item] of Object.entries(spec.paths as JsonObject)) {
      for (const [method, operation] of Object.entries(item as JsonObject)) {
        const responses = (operation as JsonObject).responses as JsonObject | undefined;
        if (!responses) continue;
        const segments = template.split('/');
        const source = segments.map((part) => (part.startsWith('{') ? '[^/]+' : part)).join('/');
        this.operations.push({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${source}$`),
          literalSegments: segments.filter((part) => !part.startsWith('{')).length,
          responses,
        });
      }
    }
  }

  /** The operation a request reached; a literal segment beats a parameter (`/search` before `/{id}`). */
  operationFor(method: string, requestPath: string): Operation | undefined {
    return this.operations
      .filter((operation) => operation.method === method && operation.pattern.test(requestPath))
      .sort((a, b) => b.literalSegments - a.literalSegments)[0];
  }

  private validatorFor(operation: Operation, status: number): ValidateFunction {
    const key = `${operation.method} ${operation.template} ${status === 200 ? 200 : 'default'}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      const response = (operation.responses[String(status)] ?? operation.responses.default) as JsonObject;
      const content = (response.content as JsonObject)['application/json'] as JsonObject;
      validate = this.ajv.compile(toJsonSchema(content.schema as Json) as object);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  check(exchange: Exchange): Violation | null {
    const operation = this.operationFor(exchange.method, exchange.path);
    if (!operation) throw new Error(`no operation in the spec for ${exchange.method} ${exchange.path}`);
    const validate = this.validatorFor(operation, exchange.status);
    if (validate(exchange.body)) return null;
    return {
      exchange: `${exchange.method} ${exchange.path} → ${exchange.status}`,
      operation: `${operation.method} ${operation.template}`,
      errors: (validate.errors ?? []).map(describeError),
    };
  }
}

/** A fetch that keeps a copy of every JSON answer, for the SDK's fetch-based HTTP client. */
export function recordingFetch(exchanges: Promise<Exchange>[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const copy = response.clone();
    exchanges.push(
      copy.text().then((text) => ({
        method: (init?.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        status: response.status,
        body: text ? JSON.parse(text) : null,
      })),
    );
    return response;
  };
}
