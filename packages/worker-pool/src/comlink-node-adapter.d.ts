// comlink 4.4.2 ships `node-adapter.d.ts` next to `node-adapter.mjs`, which TypeScript's NodeNext resolution does
// not pair with an `.mjs` file (it looks for `.d.mts`), so the deep import needs this local declaration. Only
// remote.ts uses it, and none of these types appear in the package's emitted declarations.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';

  /** A Node.js-style message endpoint: worker_threads Worker, MessagePort or parentPort. */
  export interface NodeEndpoint {
    postMessage(message: unknown, transfer?: readonly unknown[]): void;
    on(type: string, listener: (value: unknown) => void): unknown;
    off(type: string, listener: (value: unknown) => void): unknown;
    start?: () => void;
  }

  /** Adapts a Node.js endpoint to the DOM-style endpoint comlink expects. */
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
