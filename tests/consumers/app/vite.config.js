// The Vite app is served by the reference backend (partner-server --www www): its index.html at
// `/`, every other file under `/assets/`. Nothing here concerns the package: Vite finds the .wasm
// through `new URL(..., import.meta.url)` on its own.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/assets/",
  build: { outDir: "www", assetsDir: "vite", emptyOutDir: true },
  logLevel: "warn",
});
