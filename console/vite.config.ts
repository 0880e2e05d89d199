import vue from '@vitejs/plugin-vue'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { pageSourcesPlugin } from '../server/pageAssets'

// Served by Koa at /console/; in development `npm run dev:console` proxies the API to Koa.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [vue(), pageSourcesPlugin('console')],
  // No VITE_* variables: nothing from the server's environment may reach the bundle.
  envPrefix: 'CONSOLE_PUBLIC_',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2020' },
  server: {
    port: 5174,
    proxy: { '/api': 'http://localhost:3000' },
  },
})
