/**
 * comlink remotes that work the same over Node.js worker_threads and browser Web Workers. They carry the
 * infrequent traffic (start a run, report progress a few times a second, fetch a result); a comlink call costs
 * on the order of 100 microseconds, so never use one per step of a hot loop.
 *
 * Browser-safe: this module imports no Node.js built-in. Node endpoints (worker_threads `Worker`, `MessagePort`,
 * `parentPort`) are recognised by their EventEmitter `on`/`off` methods and adapted with comlink's own node
 * adapter, which is plain JavaScript; everything else is used as a DOM endpoint.
 */
import { type Endpoint, expose, type Remote, wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

export type { Remote } from 'comlink';
export { proxy, releaseProxy, transfer } from 'comlink';

/** A Node.js-style endpoint: a worker_threads `Worker`, a `MessagePort`, or `parentPort`. */
export interface NodeMessageEndpoint {
  postMessage(message: unknown, transferList?: readonly never[]): void;
  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter listeners take any arguments.
  on(event: string, listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter listeners take any arguments.
  off(event: string, listener: (...args: any[]) => void): unknown;
  start?: () => void;
}

/** Anything {@link exposeRemote} and {@link wrapRemote} accept: a DOM endpoint or a Node.js one. */
export type RemoteEndpoint = Endpoint | NodeMessageEndpoint;

function isNodeEndpoint(ep: RemoteEndpoint): ep is NodeMessageEndpoint {
  return (
    typeof (ep as Partial<NodeMessageEndpoint>).on === 'function' &&
    typeof (ep as Partial<NodeMessageEndpoint>).off === 'function'
  );
}

function checkEndpoint(ep: unknown, where: string): asserts ep is RemoteEndpoint {
  if (ep === null || typeof ep !== 'object' || typeof (ep as { postMessage?: unknown }).postMessage !== 'function') {
    throw new TypeError(`${where}: endpoint must be a Worker, MessagePort, parentPort or worker global scope`);
  }
}

/** A comlink "throw" reply, in comlink 4's wire format, so a pending call rejects like a remote exception. */
function throwReply(id: string, message: string): unknown {
  return {
    id,
    type: 'HANDLER',
    name: 'throw',
    value: { isError: true, value: { name: 'Error', message, stack: `Error: ${message}` } },
  };
}

type Listener = EventListenerOrEventListenerObject;

function deliver(listener: Listener, data: unknown): void {
  const event = { data } as MessageEvent;
  if (typeof listener === 'function') listener(event);
  else listener.handleEvent(event);
}

/**
 * A node endpoint for the calling side that fails pending calls when the other side goes away. comlink's own
 * calls never settle if the worker dies, which would leave an `await remote.method()` hanging forever; the
 * worker's 'exit' event and a port's 'close' event let us answer each outstanding request with an error instead.
 */
function guardedNodeEndpoint(nep: NodeMessageEndpoint): Endpoint {
  const base = nodeEndpoint(nep);
  const pending = new Set<string>();
  const listeners = new Set<Listener>();
  let gone: string | undefined;

  const onMessage = (ev: MessageEvent) => {
    const id = (ev.data as { id?: unknown } | null)?.id;
    if (typeof id === 'string') pending.delete(id);
    for (const l of listeners) deliver(l, ev.data);
  };
  const failAll = (message: string) => {
    if (gone !== undefined) return;
    gone = message;
    for (const id of pending) for (const l of listeners) deliver(l, throwReply(id, message));
    pending.clear();
  };
  nep.on('exit', (code: number) => failAll(`remote worker exited with code ${code}`));
  nep.on('close', () => failAll('remote endpoint closed'));

  return {
    postMessage(message: unknown, transfer?: Transferable[]) {
      const id = (message as { id?: unknown } | null)?.id;
      if (gone !== undefined) {
        // Nobody will answer; reply asynchronously like a real round trip would.
        const why = gone;
        if (typeof id === 'string') {
          queueMicrotask(() => {
            for (const l of listeners) deliver(l, throwReply(id, why));
          });
        }
        return;
      }
      if (typeof id === 'string') pending.add(id);
      base.postMessage(message, transfer);
    },
    addEventListener(_type: string, listener: Listener) {
      if (listeners.size === 0) base.addEventListener('message', onMessage as EventListener);
      listeners.add(listener);
    },
    removeEventListener(_type: string, listener: Listener) {
      listeners.delete(listener);
      if (listeners.size === 0) base.removeEventListener('message', onMessage as EventListener);
    },
    ...(base.start !== undefined ? { start: base.start } : {}),
  };
}

/**
 * The endpoint of the current thread when it is a worker: `parentPort` in a Node.js worker thread (found
 * without importing `node:worker_threads`, through `process.getBuiltinModule`, Node >= 20.16), the global scope
 * in a Web Worker.
 */
function currentWorkerEndpoint(): RemoteEndpoint {
  const g = globalThis as {
    process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
    WorkerGlobalScope?: abstract new () => unknown;
  };
  if (g.process?.versions?.node !== undefined) {
    const wt = g.process.getBuiltinModule?.('node:worker_threads') as
      | { parentPort: NodeMessageEndpoint | null }
      | undefined;
    if (wt === undefined) {
      throw new Error('exposeRemote: pass the endpoint explicitly (parentPort) on Node.js older than 20.16');
    }
    if (wt.parentPort === null) throw new Error('exposeRemote: not running in a worker thread; pass an endpoint');
    return wt.parentPort;
  }
  if (g.WorkerGlobalScope !== undefined && globalThis instanceof g.WorkerGlobalScope) {
    return globalThis as unknown as Endpoint;
  }
  throw new Error('exposeRemote: not running in a worker; pass an endpoint');
}

/**
 * Serves `obj` to the other side of `endpoint` (a comlink `expose`). Typically called in a worker with no
 * endpoint: it then serves the thread's parent (`parentPort` / the Web Worker global scope).
 */
export function exposeRemote(obj: object, endpoint?: RemoteEndpoint): void {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
    throw new TypeError('exposeRemote: obj must be an object or a function');
  }
  const ep = endpoint ?? currentWorkerEndpoint();
  checkEndpoint(ep, 'exposeRemote');
  expose(obj, isNodeEndpoint(ep) ? nodeEndpoint(ep) : ep);
}

/**
 * A typed proxy for the object the other side of `endpoint` exposed: every method call becomes an async call.
 * On Node.js, calls still pending when the worker exits (or the port closes) reject with an error instead of
 * hanging. Pass callbacks wrapped in {@link proxy}; transfer buffers with {@link transfer}.
 */
export function wrapRemote<T>(endpoint: RemoteEndpoint): Remote<T> {
  checkEndpoint(endpoint, 'wrapRemote');
  return wrap<T>(isNodeEndpoint(endpoint) ? guardedNodeEndpoint(endpoint) : endpoint);
}

/** A port to hand to another thread, serving an object on this side; see {@link exposeOverChannel}. */
export interface ExposedChannel {
  /** Transfer this port to the other thread (put it in the transfer list) and `wrapRemote` it there. */
  readonly port: MessagePort;
  /** Stops serving and closes both ends, so the channel keeps no event loop alive. */
  close(): void;
}

/**
 * Serves `obj` over a fresh MessageChannel and returns the other port, e.g. to pass progress callbacks into a
 * pool task without tying up the worker's own parent port: `pool.run({ port }, { transferList: [port] })`, then
 * `wrapRemote(task.port)` in the worker.
 */
export function exposeOverChannel(obj: object): ExposedChannel {
  const { port1, port2 } = new MessageChannel();
  exposeRemote(obj, port1 as unknown as RemoteEndpoint);
  return {
    port: port2,
    close() {
      // Closing one end closes the channel; port2 may already be transferred (detached) to another thread.
      port1.close();
    },
  };
}
