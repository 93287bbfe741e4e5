/**
 * The recipe settings corpus adaptation takes (`AdaptOptions` minus its programmatic hooks). Kept apart
 * from adapt.ts so that the dense leg can check `dense.adapt` without loading the trainer.
 */
export const ADAPT_RECIPE_KEYS = [
  'seed',
  'seconds',
  'epochs',
  'lr',
  'batchSize',
  'perDoc',
  'keep',
  'minDocFrequency',
  'maxNewRows',
  'maxPairs',
  'wise',
  'target',
] as const;
