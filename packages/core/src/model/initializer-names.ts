/** Initialiser names (camelCase, as in the TensorFlow.js API). */
export const INITIALIZERS = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunUniform',
  'lecunNormal',
  'zeros',
  'ones',
] as const;
export type InitializerName = (typeof INITIALIZERS)[number];
