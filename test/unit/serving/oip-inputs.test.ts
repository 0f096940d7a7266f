import { describe, expect, test } from 'vitest';
import type { FeatureView, Model } from '../../../src/compiler/desired-state.ts';
import type { ServedModel } from '../../../src/serving/deployment.ts';
import { inputTargets, oipInstances } from '../../../src/serving/oip-inputs.ts';

// A flights model: its schedule view is keyed by flight_id and destination, and it also reads
// the destination as a feature (found on a real dataset: the key was read as the feature).
const schedule = {
  name: 'flight_schedule',
  entities: ['flight_id', 'destination'],
  features: [
    { name: 'destination', type: 'string' },
    { name: 'dep_hour', type: 'int' },
  ],
} as unknown as FeatureView;
const model = {
  name: 'delays',
  spec: {
    name: 'delays',
    features: [
      { name: 'destination', type: 'string', ref: 'flight_schedule:destination', view: 'flight_schedule' },
      { name: 'dep_hour', type: 'int', ref: 'flight_schedule:dep_hour', view: 'flight_schedule' },
    ],
  } as unknown as Model,
  views: new Map([['flight_schedule', schedule]]),
} as unknown as ServedModel;

describe('OIP v2 inputs', () => {
  test('GIVEN an entity key that is also a feature’s bare name THEN the input is the entity key', () => {
    expect(inputTargets(model).get('destination')).toEqual({ kind: 'entity', key: 'destination' });
    const [row] = oipInstances(
      model,
      [
        { name: 'flight_id', shape: [1], datatype: 'INT64', data: [42] },
        { name: 'destination', shape: [1], datatype: 'BYTES', data: ['SFO'] },
        { name: 'dep_hour', shape: [1], datatype: 'INT64', data: [7] },
      ],
      10,
    );
    expect(row).toEqual({
      entity: { flight_id: 42, destination: 'SFO' },
      features: { 'flight_schedule:dep_hour': 7 },
    });
  });

  test('the feature stays reachable by its full name', () => {
    const [row] = oipInstances(
      model,
      [
        { name: 'flight_id', shape: [1], datatype: 'INT64', data: [42] },
        { name: 'destination', shape: [1], datatype: 'BYTES', data: ['SFO'] },
        { name: 'flight_schedule:destination', shape: [1], datatype: 'BYTES', data: ['SFO'] },
      ],
      10,
    );
    expect(row!.features).toEqual({ 'flight_schedule:destination': 'SFO' });
    expect(row!.entity).toEqual({ flight_id: 42, destination: 'SFO' });
  });

  test('a bare name no entity key has still names its feature', () => {
    expect(inputTargets(model).get('dep_hour')).toEqual({ kind: 'feature', ref: 'flight_schedule:dep_hour' });
  });
});
