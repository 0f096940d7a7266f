// Backtest: replay a model's RetrainPolicy over history and say when each trigger would have
// fired, what the cooldown held back and, with `train`, how each retrain would have scored.

/** Replay the retrain triggers of a model from `from` to `to`. Read-only unless `train` (then in a scratch copy). */
export { backtest, type BacktestOptions, type BacktestResult } from '../compose/backtest.ts';
export { renderBacktestHtml } from '../report/backtest-html.ts';
export { renderBacktestText } from '../report/backtest-text.ts';
export type { BacktestReport, BacktestStep, BacktestSummary, BacktestTrain } from '../planner/backtest.ts';
