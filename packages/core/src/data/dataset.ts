/**
 * A dataset is two flat row-major float arrays: `x` is `rows x features`, `y` is `rows x outputs`. Rows are
 * addressed by index, so shuffling and batching move indices, never data.
 */
export interface Dataset {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
  readonly features: number;
  readonly outputs: number;
}
