/** The error raised for a model file that shardprop cannot read or write. */

/**
 * A model file (`model.json`, `weights.bin`, `optimizer.bin`) or model directory that cannot be read, or
 * artifacts that cannot be written. The message names the file and what is wrong with it, e.g.
 * `model.json: layer 3 (class "Conv2D") is not supported; shardprop loads Sequential models of Dense layers`.
 */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
  /** The file the problem is in, relative to the model directory (`model.json`, ...), when there is one. */
  readonly file: string | undefined;
  /** The message without the file prefix. */
  readonly detail: string;

  constructor(file: string | undefined, detail: string, options?: { cause?: unknown }) {
    super(file === undefined ? detail : `${file}: ${detail}`, options);
    this.file = file;
    this.detail = detail;
  }
}
