/** Activation names, spelled as Keras/TensorFlow.js spell them in model.json. */
export const ACTIVATIONS = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'softmax', 'linear'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];
