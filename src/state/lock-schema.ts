// JSON Schemas of the lockfile documents (current lockVersion), checked on every read and
// every write. Pure: no I/O. `rudder schema` does not print these: users never write them.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { LOCK_VERSION, rolloutStatuses, versionStatuses, type LockKind } from './types.ts';

const digest = { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' };
const isoTime = {
  type: 'string',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$',
};
const name = { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' };
/** A scanned source: a feature view, or a model's label source (`label:<model>`). */
const scannedSource = { type: 'string', pattern: '^(label:)?[a-z][a-z0-9_-]{0,62}$' };
const column = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' };
const metricName = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_:.-]{0,127}$' };
// No user-info part: credentials must never land in a lockfile.
const uri = { type: 'string', pattern: '^[a-z][a-z0-9+.-]*://[^\\s@]+$', maxLength: 2048 };
const count = { type: 'integer', minimum: 0 };
const text = { type: 'string', maxLength: 4000 };
const actionId = { type: 'string', minLength: 1, maxLength: 300, pattern: '^[^\\s]+$' };
const lockVersion = { type: 'integer', const: LOCK_VERSION };
const provenance = { plan: digest, action: actionId };
const pointer = {
  type: 'object',
  additionalProperties: false,
  required: ['digest', 'uri'],
  properties: { digest, uri },
};
// Keys that would shadow Object.prototype members when a map is used as a record.
const notReserved = {
  not: { enum: ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'] },
};
const metricMap = {
  type: 'object',
  propertyNames: { ...metricName, ...notReserved },
  additionalProperties: { type: 'number' },
};

const statusChange = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'at', 'reason'],
  properties: { status: { enum: versionStatuses }, at: isoTime, reason: text, ...provenance },
};

const modelVersion = {
  type: 'object',
  additionalProperties: false,
  required: [
    'version',
    'status',
    'statusHistory',
    'specDigest',
    'featureViewDigests',
    'trainingSet',
    'seed',
    'trainer',
    'metrics',
    'artifact',
    'trainedAt',
  ],
  properties: {
    version: { type: 'integer', minimum: 1 },
    status: { enum: versionStatuses },
    statusHistory: { type: 'array', minItems: 1, items: statusChange },
    specDigest: digest,
    spec: { type: 'object' },
    featureViewDigests: {
      type: 'object',
      propertyNames: { ...name, ...notReserved },
      additionalProperties: digest,
    },
    trainingSet: {
      type: 'object',
      additionalProperties: false,
      required: ['digest', 'cutoff', 'rows'],
      properties: {
        digest,
        cutoff: isoTime,
        rows: count,
        uri,
        checks: {
          type: 'object',
          additionalProperties: false,
          required: ['nullShare', 'coverage'],
          properties: {
            nullShare: { type: 'object', additionalProperties: { type: 'number', minimum: 0, maximum: 1 } },
            coverage: { type: 'object', additionalProperties: { type: 'number', minimum: 0, maximum: 1 } },
          },
        },
      },
    },
    holdout: {
      type: 'object',
      additionalProperties: false,
      required: ['digest', 'rows', 'from'],
      properties: { digest, rows: count, from: isoTime },
    },
    seed: { type: 'integer' },
    trainer: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'backend'],
      properties: {
        type: { enum: ['tfjs', 'command'] },
        backend: { type: 'string', pattern: '^[a-z][a-z0-9/_.-]{0,63}$' },
      },
    },
    metrics: metricMap,
    gates: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['metric', 'rule', 'value', 'threshold', 'passed'],
        properties: {
          metric: metricName,
          rule: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' },
          value: { type: 'number' },
          threshold: { type: 'number' },
          passed: { type: 'boolean' },
        },
      },
    },
    artifact: pointer,
    profile: pointer,
    trainedAt: isoTime,
    ...provenance,
  },
};

export const lockSchemas: Record<LockKind, Record<string, unknown>> = {
  ModelLock: {
    $id: 'https://rudder.dev/schemas/lock/v1/ModelLock.json',
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'lockVersion', 'name', 'specDigest', 'versions'],
    properties: {
      kind: { const: 'ModelLock' },
      lockVersion,
      name,
      specDigest: digest,
      versions: { type: 'array', items: modelVersion },
    },
  },
  FeatureLock: {
    $id: 'https://rudder.dev/schemas/lock/v1/FeatureLock.json',
    type: 'object',
    additionalProperties: false,
    required: [
      'kind',
      'lockVersion',
      'view',
      'viewDigest',
      'watermark',
      'rows',
      'materializedAt',
      'sourceDigest',
    ],
    properties: {
      kind: { const: 'FeatureLock' },
      lockVersion,
      view: name,
      viewDigest: digest,
      watermark: { anyOf: [isoTime, { type: 'null' }] },
      rows: count,
      materializedAt: isoTime,
      sourceDigest: digest,
      ...provenance,
    },
  },
  RolloutLock: {
    $id: 'https://rudder.dev/schemas/lock/v1/RolloutLock.json',
    type: 'object',
    additionalProperties: false,
    required: [
      'kind',
      'lockVersion',
      'model',
      'strategy',
      'status',
      'step',
      'versions',
      'analysis',
      'updatedAt',
    ],
    properties: {
      kind: { const: 'RolloutLock' },
      lockVersion,
      model: name,
      policyDigest: digest,
      strategy: { enum: ['direct', 'canary', 'abTest'] },
      status: { enum: rolloutStatuses },
      step: count,
      versions: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['version', 'weight'],
          properties: {
            version: { type: 'integer', minimum: 1 },
            weight: { type: 'number', minimum: 0, maximum: 1 },
          },
        },
      },
      analysis: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['at', 'step', 'version', 'metric', 'value', 'threshold', 'rule', 'samples', 'passed'],
          properties: {
            at: isoTime,
            step: count,
            version: { type: 'integer', minimum: 1 },
            metric: metricName,
            value: { type: 'number' },
            threshold: { type: 'number' },
            rule: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' },
            samples: count,
            passed: { type: 'boolean' },
          },
        },
      },
      startedAt: isoTime,
      updatedAt: isoTime,
      reason: text,
      ...provenance,
    },
  },
  DataLock: {
    $id: 'https://rudder.dev/schemas/lock/v1/DataLock.json',
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'lockVersion', 'policy', 'policyDigest', 'scans', 'quarantines'],
    properties: {
      kind: { const: 'DataLock' },
      lockVersion,
      policy: name,
      policyDigest: digest,
      scans: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['view', 'at', 'scannedRows', 'sourceDigest', 'findings'],
          properties: {
            view: scannedSource,
            at: isoTime,
            scannedRows: count,
            sourceDigest: digest,
            findings: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['column', 'detector', 'rows', 'allowed'],
                properties: { column, detector: name, rows: count, allowed: { type: 'boolean' } },
              },
            },
          },
        },
      },
      quarantines: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'view', 'detector', 'rows', 'digest', 'at'],
          properties: {
            id: { type: 'string', pattern: '^q-[0-9a-z]{4,64}$' },
            view: scannedSource,
            column,
            detector: name,
            rows: count,
            digest,
            at: isoTime,
            reason: text,
            released: {
              type: 'object',
              additionalProperties: false,
              required: ['at', 'reason'],
              properties: { at: isoTime, reason: text, ...provenance },
            },
            ...provenance,
          },
        },
      },
    },
  },
};

let validators: Map<LockKind, ValidateFunction> | undefined;

/** Validate a document of a known kind against its schema; every error at once. */
export function checkLockSchema(kind: LockKind, value: unknown): ErrorObject[] {
  validators ??= (() => {
    const ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      strictRequired: false,
      allowUnionTypes: true,
      verbose: true,
    });
    return new Map((Object.keys(lockSchemas) as LockKind[]).map((k) => [k, ajv.compile(lockSchemas[k])]));
  })();
  const validate = validators.get(kind)!;
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
