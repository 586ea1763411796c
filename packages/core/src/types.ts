/** The float arrays the engine is generic over: Float32Array for training, Float64Array for gradient checks. */
export type FloatArray = Float32Array | Float64Array;
