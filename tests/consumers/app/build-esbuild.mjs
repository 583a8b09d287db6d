// The package README's esbuild recipe, as an adopter copies it: the `file` loader turns the
// imported .wasm into the URL of a copy in the output. IIFE, where `import.meta.url` is empty.
import { build } from "esbuild";

await build({
  entryPoints: ["src/esbuild-check.ts", "src/react-app.tsx"],
  bundle: true,
  format: "iife",
  outdir: "www/esbuild",
  loader: { ".wasm": "file" },
  publicPath: "/assets/esbuild",
  logOverride: { "empty-import-meta": "silent" },
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"development"' }, // React's checks, and StrictMode's double effects
  logLevel: "warning",
});
