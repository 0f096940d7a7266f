/**
 * Every diagnostic code Rudder emits, with a one-line explanation. Codes are stable: tools and
 * CI annotations match on them. `docs/diagnostics.md` is generated from this table.
 */
export const diagnosticCodes = {
  // Reading files
  'source/read-failed': 'A policy file could not be read.',
  'source/no-policies': 'The policy folder is missing or holds no *.yaml / *.yml file.',
  'source/file-too-large': 'A policy file is larger than the size limit (1 MiB by default).',
  'source/binary-file': 'A policy file contains NUL bytes: it is not text.',
  'source/not-utf8': 'A policy file is not valid UTF-8.',
  'source/empty-file': 'A policy file contains no document.',
  'source/path-escapes': 'A path (a symlink, a source path) points outside the repository.',
  'source/forbidden-key': 'A mapping key such as `__proto__` or `constructor` that could pollute prototypes.',
  'source/too-deep': 'A document nests deeper than the limit.',
  'source/too-many-documents': 'A file or the policy folder holds more documents than the limit.',
  // YAML syntax
  'yaml/syntax': 'The file is not valid YAML.',
  'yaml/tab-indentation': 'YAML indentation must use spaces; this line is indented with a tab.',
  'yaml/duplicate-key':
    'A mapping repeats a key; YAML forbids it and the later value would hide the earlier.',
  'yaml/alias-bomb': 'Aliases expand to an excessive size (a "billion laughs" document).',
  // Document envelope and schema
  'schema/not-a-mapping': 'A document is not a mapping with apiVersion, kind, metadata and spec.',
  'schema/unknown-api-version': 'apiVersion is not one Rudder understands.',
  'schema/unknown-kind': 'kind is not one of the policy kinds.',
  'schema/missing-field': 'A required field is absent.',
  'schema/unknown-field': 'A field is not part of the schema (often a typo).',
  'schema/credentials-in-file':
    'A policy or rudder.yaml field looks like a credential; credentials come from the environment (the standard AWS chain), never from files in the repository.',
  'schema/wrong-type': 'A field has the wrong type.',
  'schema/invalid-value': 'A field has a value outside the allowed set.',
  'schema/invalid-name': 'A resource name or identifier does not match the allowed pattern.',
  'schema/invalid-duration': 'A duration is not of the form 90s, 15m, 24h, 30d or 2w.',
  'schema/invalid-percentage': 'A share is neither a number in [0, 1] nor a string like "25%".',
  'schema/invalid-metric': 'A metric name is not one Rudder computes.',
  'schema/out-of-range': 'A number is outside its allowed range.',
  'schema/too-few-items': 'A list has fewer items than required.',
  'schema/too-many-items': 'A list has more items than allowed.',
  'schema/duplicate-item': 'A list repeats an item that must be unique.',
  'schema/invalid': 'A value does not satisfy the schema.',
  // Cross-document rules
  'resource/duplicate-name': 'Two resources of the same kind share a name.',
  'project/duplicate': 'More than one Project document.',
  'project/misplaced': 'A Project document outside rudder.yaml at the repository root.',
  'project/policies-missing': 'rudder.yaml names a policy folder that does not exist.',
  'model/unknown-view': 'A model feature names a FeatureView that does not exist.',
  'model/unknown-feature': 'A model feature names a feature its view does not declare.',
  'model/duplicate-feature': 'A model lists the same feature twice (directly or through view:*).',
  'model/label-is-feature': 'The label column is also one of the model features (target leakage).',
  'model/entity-mismatch': "A feature view's entity keys are not all present in the label source.",
  'model/metric-task-mismatch': "A metric does not apply to the model's task.",
  'model/pii-feature': 'A model uses a feature marked pii: true that no DataPolicy allows for training.',
  'model/no-features':
    'A model selects no feature (for example view:* on a view whose features are all PII).',
  'model/classes': 'Declared classes do not fit the task.',
  'policy/unknown-model': 'A policy names a model that does not exist.',
  'policy/duplicate-model': 'Two policies of the same kind target one model.',
  'policy/duplicate-trigger': 'A retrain policy repeats a trigger type.',
  'policy/untracked-metric': "A gate, trigger or analysis metric is not among the model's metrics.",
  'policy/canary-steps': 'Canary weights must increase strictly and end at or below 100%.',
  'policy/conflicting-gate': 'A gate sets no bound, or contradictory bounds.',
  'policy/missing-bound': 'A performance trigger sets neither min nor dropBy.',
  'policy/unknown-feature':
    'A drift trigger or featureChange trigger names a feature or view the model does not read.',
  'data/unknown-view': 'A DataPolicy names a FeatureView that does not exist.',
  'data/unknown-column': 'A DataPolicy allow-list names a column its view does not declare.',
  'data/duplicate-view': 'A DataPolicy lists a view twice, or two DataPolicies scan one view.',
  'path/escapes-repository': 'A source path leaves the repository (absolute, or through "..").',
  'path/not-found': 'A source path or glob matches no file.',
  // Plan files
  'plan/malformed':
    'A plan file is not valid JSON, not a Rudder plan, or has a field that does not fit the plan schema (the message names its JSON path).',
  'plan/unsupported-version': 'A plan file was written by a newer Rudder (or an unknown format version).',
  'plan/tampered': 'A plan file does not match its own digest: it was edited after rudder plan wrote it.',
  'plan/other-repository': 'A plan file was made for another repository or project.',
  'plan/stale': 'An input of the plan (a policy, a lockfile, an observation) changed since it was made.',
  'plan/unknown-model': 'A model named on the command line (--retrain, --approve) does not exist.',
  'plan/blocked':
    'The plan could not observe something it needs (an unreadable source): it cannot say what must change.',
  'apply/locked': 'Another apply holds the apply lock.',
  'apply/dirty-policies':
    'The policy folder or rudder.yaml has uncommitted changes (commit them, or --allow-dirty).',
  'apply/destroy-not-allowed': 'The plan removes state and --allow-destroy was not given.',
  'data/unknown-quarantine': 'No data lock records a quarantine with this id.',
  // Requests through the API (MCP tools)
  'api/unknown-resource': 'A request names a model, feature view or data policy that does not exist.',
  'api/unknown-version':
    'A request names a model version that does not exist (or there are too few to compare).',
  'policy/proposal-invalid':
    'A proposed policy change names a file outside rudder.yaml and the policy folder, changes nothing, or its branch already exists.',
  // Lockfiles under state/ and the state transaction journal
  'lock/read-failed': 'A lockfile or the state journal could not be read.',
  'lock/yaml-syntax': 'A lockfile is not valid YAML.',
  'lock/not-a-lockfile': 'A lockfile is not a single mapping with kind and lockVersion.',
  'lock/unknown-kind': 'A lockfile has a kind Rudder does not know.',
  'lock/wrong-kind': "A lockfile's kind does not match its folder (models/, features/, rollouts/, data/).",
  'lock/name-mismatch': "A lockfile's resource name does not match its file name.",
  'lock/invalid-version': 'lockVersion is not a positive integer.',
  'lock/newer-version': 'A lockfile was written by a newer Rudder (its lockVersion is unknown here).',
  'lock/migration-failed': 'An older lockfile could not be migrated to the current lockVersion.',
  'lock/non-finite': 'A lockfile holds NaN or an infinite number.',
  'lock/missing-field': 'A required lockfile field is absent.',
  'lock/unknown-field': 'A lockfile field is not part of its schema.',
  'lock/wrong-type': 'A lockfile field has the wrong type.',
  'lock/invalid-value': 'A lockfile field has a value outside its allowed set or pattern.',
  'lock/inconsistent':
    'A lockfile breaks an invariant (duplicate versions, two champions, weights not summing to 1, ...).',
  'lock/unexpected-file': 'A file under the state folder is not a lockfile Rudder knows.',
  'lock/journal-corrupt': 'The state journal (.rudder/state-journal.json) is damaged.',
  'lock/interrupted-write':
    'An interrupted state write was found; readers see its completed result until the next write finishes it.',
  'lock/busy': 'The state kept changing while it was read.',
  'lock/unsealed': 'A lockfile has no integrity line: cut short, or not written by rudder apply.',
  'lock/integrity-mismatch':
    'A lockfile does not match the digest of its body: cut short or edited by hand (re-seal a deliberate edit with rudder state seal).',
  // Git and the environment
  'git/failed': 'A git command failed.',
  'git/push-failed': 'Pushing the state commit failed; the commit is kept locally.',
  'git/push-conflict': 'Pushing was rejected and the state commit cannot be rebased onto the remote.',
  'git/commit-rejected':
    'git refused the state commit (a hook, signing); the lockfiles are written but not committed.',
  'git/index-locked':
    "git's index.lock exists: another git process runs, or one was killed and left it behind.",
  'git/state-ignored':
    'A .gitignore pattern matches files under the state folder, so they would never be committed.',
  'env/no-space': 'A write failed because the disk (or quota) is full.',
  'env/permission-denied': 'A file or folder Rudder must write is not writable.',
  'env/read-only': 'A file system Rudder must write is mounted read-only.',
} as const;

export type DiagnosticCode = keyof typeof diagnosticCodes;
