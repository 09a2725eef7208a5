import fs from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { assetPath } from '../paths';

/** The seed document, verbatim, as shipped inside the package. */
export const SEED_FILE = assetPath('src', 'api', 'sign-intermediate.openapi.yaml');
/**
 * Our own endpoints are described the same way, one document per feature beside the seed
 * (`src/api/*.openapi.yaml`), so their schemas are compiled too, never typed by hand in code.
 */
const API_DIR = assetPath('src', 'api');

type Schema = Record<string, unknown>;
interface Operation {
  operationId: string;
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown>>;
}

/** YAML merge keys (`<<: *errors`) let a feature document share parts without `$ref`s. */
const readDoc = (file: string): OpenApiDocument => YAML.parse(fs.readFileSync(file, 'utf8'), { merge: true }) as OpenApiDocument;

/**
 * The served document: the seed, verbatim, plus the paths of every feature document. A feature
 * may add methods to a seed path but never redefine an operation the seed has.
 */
let cached: OpenApiDocument | undefined;
export function loadDocument(): OpenApiDocument {
  if (cached) return cached;
  const doc = readDoc(SEED_FILE);
  const features = fs.readdirSync(API_DIR).filter((f) => f.endsWith('.openapi.yaml')).sort()
    .map((f) => `${API_DIR}/${f}`).filter((f) => f !== SEED_FILE);
  for (const file of features) {
    const feature = readDoc(file);
    for (const [path, methods] of Object.entries(feature.paths ?? {})) {
      for (const method of Object.keys(methods)) {
        if (doc.paths[path]?.[method]) throw new Error(`${file}: ${method.toUpperCase()} ${path} is already defined`);
      }
      doc.paths[path] = { ...doc.paths[path], ...methods };
    }
    for (const [section, entries] of Object.entries(feature.components ?? {})) {
      doc.components ??= {};
      for (const [name, value] of Object.entries(entries)) {
        if (doc.components[section]?.[name]) throw new Error(`${file}: components.${section}.${name} is already defined`);
        (doc.components[section] ??= {})[name] = value;
      }
    }
  }
  cached = doc;
  return doc;
}

/** One ajv instance for request validation: defaults applied (maxPathLength = -1), all errors. */
const requestAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false });
/** Responses are checked as they are, no defaults filled in. */
const responseAjv = new Ajv({ allErrors: true, strict: false });

export function findOperation(operationId: string): { path: string; method: string; op: Operation } {
  for (const [path, methods] of Object.entries(loadDocument().paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (op.operationId === operationId) return { path, method, op };
    }
  }
  throw new Error(`operation ${operationId} is not in the OpenAPI document`);
}

/**
 * A copy of `node` with every local `$ref` (`#/components/...`) replaced by what it points
 * at, so each schema compiles on its own. The documents have no recursive schemas.
 */
function inline<T>(node: T, doc: OpenApiDocument = loadDocument()): T {
  if (Array.isArray(node)) return node.map((n) => inline(n, doc)) as T;
  if (typeof node !== 'object' || node === null) return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    const target = ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
    return inline(target as T, doc);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v, doc)])) as T;
}

/** Parameters of one location (`path`, `query`) as one object schema. */
function parametersSchema(op: Operation, where: 'path' | 'query'): Schema {
  const params = inline(op.parameters ?? []).filter((p) => p.in === where);
  return {
    type: 'object',
    properties: Object.fromEntries(params.map((p) => [p.name, p.schema])),
    required: params.filter((p) => p.required).map((p) => p.name),
  };
}

/** Query strings are text: their numbers and booleans are coerced before they are judged. */
const queryAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: true });

export interface RequestValidators {
  /** Undefined when the operation takes no body. */
  body?: ValidateFunction;
  params: ValidateFunction;
  query: ValidateFunction;
}

/**
 * Compiles an operation's request schemas, straight from the document (never retyped). An
 * operation without a request body (GET, DELETE) gets a body validator that accepts anything:
 * its route never reads one.
 */
export function compileRequest(operationId: string): RequestValidators {
  const { op } = findOperation(operationId);
  const body = inline(op.requestBody)?.content['application/json']?.schema;
  return {
    body: body && requestAjv.compile(body),
    params: requestAjv.compile(parametersSchema(op, 'path')),
    query: queryAjv.compile(parametersSchema(op, 'query')),
  };
}

/** The response schema an operation declares for a status, compiled; undefined when none. */
export function compileResponse(operationId: string, status: number): ValidateFunction | undefined {
  const response = inline(findOperation(operationId).op.responses[String(status)]);
  const schema = response?.content?.['application/json']?.schema;
  return schema ? responseAjv.compile(schema) : undefined;
}

/** Converts an OpenAPI path template (`/a/{caId}/b`) to a router path (`/a/:caId/b`). */
export const routerPath = (template: string): string => template.replace(/\{(\w+)\}/g, ':$1');
