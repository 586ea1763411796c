// Test fixtures shared by the core's test files.
import type { Dataset } from '../src/data/dataset.js';
import type { LossName } from '../src/losses/loss.js';
import { Rng } from '../src/random.js';

/** Random inputs in [-1, 1) and targets that suit `loss` (probabilities, one-hot rows, labels or reals). */
export function randomData(rows: number, features: number, outputs: number, loss: LossName, seed = 7): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * features).map(() => rng.uniform(-1, 1));
  let y: Float32Array;
  let cols = outputs;
  switch (loss) {
    case 'meanSquaredError':
      y = new Float32Array(rows * outputs).map(() => rng.uniform(0.05, 0.95));
      break;
    case 'binaryCrossentropy':
      y = new Float32Array(rows * outputs).map(() => (rng.next() < 0.5 ? 0 : 1));
      break;
    case 'categoricalCrossentropy':
      y = new Float32Array(rows * outputs);
      for (let r = 0; r < rows; r++) y[r * outputs + rng.int(outputs)] = 1;
      break;
    case 'sparseCategoricalCrossentropy':
      cols = 1;
      y = new Float32Array(rows).map(() => rng.int(outputs));
      break;
  }
  return { x, y, rows, features, outputs: cols };
}
