// Vite build of the Promethium web UI. CMake runs it with --outDir in the
// build tree; assets are referenced relative ('./') so the UI works under
// --web.route-prefix.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2020',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1500,
  },
  // `npx vite` (development): the API comes from a local promethium.
  server: { proxy: { '/api': 'http://127.0.0.1:9090' } },
  test: { include: ['src/**/*.test.{js,ts}'], environment: 'node' },
});
