// What a model's label source holds: rows, newest label time and a content digest. Labels are a
// plan input like feature sources: flipping labels must make a saved plan stale, and new labels
// count toward dataVolume triggers.
import type { Model } from '../../compiler/desired-state.ts';
import type { LabelFreshness } from '../port.ts';
import { digestFiles, resolveSource } from './files.ts';
import type { OnlineContext } from './online.ts';
import { isoOf, num } from './sql.ts';
import { stageSource } from './stage.ts';

export async function labelFreshness(ctx: OnlineContext, model: Model): Promise<LabelFreshness> {
  const what = `labels of model "${model.name}"`;
  const source = await resolveSource(ctx.root, model.label.source, what);
  const table = '__rudder_label_freshness';
  try {
    await stageSource(ctx.db, {
      what,
      table,
      source,
      entities: model.label.entities,
      timestamp: model.label.source.timestamp,
      features: [],
      checkDuplicates: false,
    });
    const r = await ctx.db.one(`SELECT count(*) AS n, max(__ts) AS newest FROM ${table}`);
    return {
      model: model.name,
      rows: num(r.n),
      newestLabel: isoOf(r.newest),
      sourceDigest: await digestFiles(source.files),
    };
  } finally {
    await ctx.db.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  }
}
