import vue from '@vitejs/plugin-vue'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { pageSourcesPlugin } from '../server/pageAssets'

// Served by Koa at /sidebar/; in development `npm run dev:sidebar` proxies the API to Koa.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/sidebar/',
  plugins: [vue(), pageSourcesPlugin('sidebar')],
  // No VITE_* variables: nothing from the server's environment may reach the bundle.
  envPrefix: 'SIDEBAR_PUBLIC_',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2020' },
  server: {
    port: 5173,
    proxy: { '/api': 'http://localhost:3000', '/wecom': 'http://localhost:3000' },
  },
})
