// Checked by `pnpm typecheck` (tsc over test/): the handlers the README shows must be tfjs IO handlers as they are,
// with no cast. At run time the assertions are no-ops.
import type * as tf from '@tensorflow/tfjs';
import { expectTypeOf, it } from 'vitest';
import { toTfjsArtifacts } from '../src/io/artifacts.js';
import { tfjsFileHandler } from '../src/node.js';

it('tfjsFileHandler is a tf.io.IOHandler, and toTfjsArtifacts a tf.io.ModelArtifacts, without a cast', () => {
  expectTypeOf(tfjsFileHandler('dir')).toExtend<tf.io.IOHandler>();
  expectTypeOf(toTfjsArtifacts).returns.toExtend<tf.io.ModelArtifacts>();
});
