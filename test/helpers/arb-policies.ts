import fc from 'fast-check';

/** Valid policy sets: views, models reading them, and policies targeting the models. */
export const arbPolicySet = fc
  .record({
    views: fc.uniqueArray(
      fc.record({
        name: fc.stringMatching(/^v[a-z0-9]{0,6}$/),
        features: fc.uniqueArray(
          fc.record({
            name: fc.stringMatching(/^f[a-z0-9_]{0,6}$/),
            type: fc.constantFrom('int', 'float', 'category', 'bool'),
          }),
          { minLength: 1, maxLength: 5, selector: (f) => f.name },
        ),
        ttl: fc.constantFrom('1d', '30d', '12h', undefined),
      }),
      { minLength: 1, maxLength: 4, selector: (v) => v.name },
    ),
    models: fc.uniqueArray(
      fc.record({
        name: fc.stringMatching(/^m[a-z0-9-]{0,6}$/),
        picks: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        epochs: fc.integer({ min: 1, max: 50 }),
        retrain: fc.boolean(),
        canary: fc.boolean(),
      }),
      {
        minLength: 1,
        maxLength: 4,
        selector: (m) => m.name,
      },
    ),
  })
  .map(({ views, models }) => {
    const docs: Record<string, unknown>[] = [];
    const all = views.flatMap((v) => v.features.map((f) => `${v.name}:${f.name}`));
    for (const v of views)
      docs.push({
        apiVersion: 'rudder.dev/v1alpha1',
        kind: 'FeatureView',
        metadata: { name: v.name },
        spec: {
          source: { path: `data/${v.name}.csv`, timestamp: 'ts' },
          entities: ['id'],
          ttl: v.ttl,
          features: v.features,
        },
      });
    for (const m of models) {
      const features = [...new Set(m.picks.map((i) => all[i % all.length]!))];
      docs.push({
        apiVersion: 'rudder.dev/v1alpha1',
        kind: 'Model',
        metadata: { name: m.name },
        spec: {
          task: 'binary-classification',
          label: { source: { path: 'data/labels.csv', timestamp: 'ts' }, entities: ['id'], column: 'label' },
          features,
          trainer: { type: 'tfjs', epochs: m.epochs },
        },
      });
      if (m.retrain)
        docs.push({
          apiVersion: 'rudder.dev/v1alpha1',
          kind: 'RetrainPolicy',
          metadata: { name: `${m.name}-retrain` },
          spec: {
            model: m.name,
            triggers: [{ schedule: { every: '30d' } }],
            gates: [{ metric: 'auc', min: 0.6 }],
          },
        });
      if (m.canary)
        docs.push({
          apiVersion: 'rudder.dev/v1alpha1',
          kind: 'RolloutPolicy',
          metadata: { name: `${m.name}-rollout` },
          spec: { model: m.name, strategy: { type: 'canary', steps: [{ weight: '10%' }, { weight: 1 }] } },
        });
    }
    return docs.map((d) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>);
  });
