import { defineConfig } from 'vite';

/**
 * SharedArrayBuffer (and so training on every core) needs a cross-origin isolated page: both the dev server and
 * `vite preview` send these headers with every response, the worker scripts included.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  // Module workers, so the trainer's workers share chunks with the page.
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
});
