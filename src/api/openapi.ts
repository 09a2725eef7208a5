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
  components?: { schemas?: Record<string, Schema> };
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
    for (const [path, methods] of Object.entries(readDoc(file).paths ?? {})) {
      for (const method of Object.keys(methods)) {
        if (doc.paths[path]?.[method]) throw new Error(`${file}: ${method.toUpperCase()} ${path} is already defined`);
      }
      doc.paths[path] = { ...doc.paths[path], ...methods };
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

/** Path parameters as one object schema, built from the operation's `parameters` list. */
function paramsSchema(op: Operation): Schema {
  const params = (op.parameters ?? []).filter((p) => p.in === 'path');
  return {
    type: 'object',
    properties: Object.fromEntries(params.map((p) => [p.name, p.schema])),
    required: params.filter((p) => p.required).map((p) => p.name),
  };
}

export interface RequestValidators {
  body: ValidateFunction;
  params: ValidateFunction;
}

/**
 * Compiles an operation's request schemas, straight from the document (never retyped). An
 * operation without a request body (GET, DELETE) gets a body validator that accepts anything:
 * its route never reads one.
 */
export function compileRequest(operationId: string): RequestValidators {
  const { op } = findOperation(operationId);
  const body = op.requestBody ? op.requestBody.content['application/json']?.schema : {};
  if (!body) throw new Error(`operation ${operationId} has no JSON request body`);
  return { body: requestAjv.compile(body), params: requestAjv.compile(paramsSchema(op)) };
}

/** The response schema an operation declares for a status, compiled; undefined when none. */
export function compileResponse(operationId: string, status: number): ValidateFunction | undefined {
  const schema = findOperation(operationId).op.responses[String(status)]?.content?.['application/json']?.schema;
  return schema ? responseAjv.compile(schema) : undefined;
}

/** Converts an OpenAPI path template (`/a/{caId}/b`) to a router path (`/a/:caId/b`). */
export const routerPath = (template: string): string => template.replace(/\{(\w+)\}/g, ':$1');
