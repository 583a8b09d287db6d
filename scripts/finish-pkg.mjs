// Finishes pkg/ after wasm-pack: gives the re-exported KlarnaButtonError its class type and
// turns the `any`s of the raw wasm exports into `unknown`, so the public types hold no `any`;
// and minifies the JavaScript a page downloads (the glue and its snippets), each with a source
// map next to it (`.js.map`, with the readable source inside) that browsers' tools and
// bundlers pick up. Fails loudly if wasm-bindgen's output changed shape, rather than shipping
// wrong types or a glue without its exports.
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { minify } from "terser";

const dts = new URL("../pkg/klarna_payment_button.d.ts", import.meta.url);
let text = readFileSync(dts, "utf8");

const placeholder = "export let KlarnaButtonError: unknown;";
if (!text.includes(placeholder)) {
  console.error(`finish-pkg: pkg/klarna_payment_button.d.ts no longer has "${placeholder}"; update scripts/finish-pkg.mjs`);
  process.exit(1);
}
text = text.replace(
  placeholder,
  `/** The error every rejection of \`initiate\` and every throw of \`build\` is made of. */
export class KlarnaButtonError extends Error {
  constructor(code: KlarnaButtonErrorCode, message: string, recoverable: boolean, status?: number, errorCode?: string, errorId?: string);
  readonly name: "KlarnaButtonError";
  /** What failed; stable, for \`switch\`. */
  readonly code: KlarnaButtonErrorCode;
  /** Whether trying again may succeed: NETWORK, TIMEOUT, HTTP 5xx and 429. */
  readonly recoverable: boolean;
  /** The HTTP status, for HTTP errors. */
  readonly status?: number;
  /** Klarna's \`error_code\`, when the backend relayed Klarna's error body. */
  readonly errorCode?: string;
  /** Klarna's \`error_id\`, when the backend relayed Klarna's error body. */
  readonly errorId?: string;
}`,
);
text = text.replace(/\bany\b(?=[,);])/g, "unknown");
if (/\bany\b/.test(text.replace(/\/\*\*[\s\S]*?\*\//g, ""))) {
  console.error("finish-pkg: an `any` is left in the public types");
  process.exit(1);
}
writeFileSync(dts, text);

const manifest = new URL("../pkg/package.json", import.meta.url);
const pkg = JSON.parse(readFileSync(manifest, "utf8"));
pkg.exports = { ".": { types: "./klarna_payment_button.d.ts", default: "./klarna_payment_button.js" }, "./klarna_payment_button_bg.wasm": "./klarna_payment_button_bg.wasm" };
writeFileSync(manifest, JSON.stringify(pkg, null, 2) + "\n");

// The JavaScript a page downloads, minified. Exported names stay (terser keeps a module's
// exports); everything else may be renamed. Each file gets its source map.
const pkgDir = new URL("../pkg/", import.meta.url).pathname;
const scripts = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? scripts(path) : path.endsWith(".js") ? [path] : [];
  });
for (const path of scripts(pkgDir)) {
  const source = readFileSync(path, "utf8");
  const name = basename(path);
  const minified = await minify(
    { [name]: source },
    {
      module: true,
      ecma: 2020,
      compress: { passes: 2 },
      mangle: true,
      format: { comments: false },
      sourceMap: { filename: name, url: `${name}.map`, includeSources: true },
    },
  );
  const exported = (code) => [...code.matchAll(/export\s*(?:async\s+)?(?:function|class|const|let)\s+(\w+)|export\s*\{([^}]*)\}/g)].flatMap((m) => (m[1] ? [m[1]] : m[2].split(",").map((e) => e.trim().split(/\s+as\s+/).pop())));
  const before = exported(source).sort().join();
  const after = minified.code ? exported(minified.code).sort().join() : "";
  if (before !== after) {
    console.error(`finish-pkg: minifying ${name} changed its exports (${before} -> ${after})`);
    process.exit(1);
  }
  writeFileSync(path, minified.code + "\n");
  writeFileSync(`${path}.map`, minified.map);
}
if (!pkg.files.includes("klarna_payment_button.js.map")) {
  pkg.files.push("klarna_payment_button.js.map");
  writeFileSync(manifest, JSON.stringify(pkg, null, 2) + "\n");
}
