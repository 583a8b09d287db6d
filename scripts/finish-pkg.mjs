// Finishes pkg/ after wasm-pack: gives the re-exported KlarnaButtonError its class type and
// turns the `any`s of the raw wasm exports into `unknown`, so the public types hold no `any`;
// keeps the types compiling on a plain ES2022 + DOM lib and hides wasm-bindgen's internals;
// adds the package's entry (loadKlarna), the React binding, the wasm URL's types, its README
// and licences from js/ and the root, and completes package.json; and drops the comments from
// the JS glue (its documentation is in the .d.ts), keeping it readable: no renaming, no
// compression. Fails loudly if wasm-bindgen's output changed shape, rather than shipping wrong
// types.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { minify } from "terser";

function fail(problem) {
  console.error(`finish-pkg: ${problem}; update scripts/finish-pkg.mjs`);
  process.exit(1);
}

const dts = new URL("../pkg/klarna_payment_button.d.ts", import.meta.url);
let text = readFileSync(dts, "utf8");

const placeholder = "export let KlarnaButtonError: unknown;";

if (!text.includes(placeholder)) fail(`pkg/klarna_payment_button.d.ts no longer has "${placeholder}"`);
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
// `[Symbol.dispose]` needs lib esnext.disposable: without it `tsc` fails on a plain ES2022 lib.
// The glue still sets it where the runtime has it; only the type goes.
text = text.replace(/^\s*\[Symbol\.dispose\]\(\): void;\n/gm, "");
// InitOutput lists the module's raw exports under wasm-bindgen's hashed names: internals.
const initOutput = /export interface InitOutput \{\n[\s\S]*?\n\}\n/;
if (!initOutput.test(text)) fail('no "export interface InitOutput { ... }"');
text = text.replace(
  initOutput,
  `/** What \`init\` and \`initSync\` resolve to: the instantiated module (its exports are internal). */
export interface InitOutput {
  readonly memory: WebAssembly.Memory;
}
`,
);
writeFileSync(dts, text);

// The package's own files: the entry with loadKlarna, the React binding, the wasm URL's types
// (replacing wasm-bindgen's list of raw exports), the README for npm and the licences.
const copies = {
  "js/index.js": "index.js",
  "js/index.d.ts": "index.d.ts",
  "js/react.js": "react.js",
  "js/react.d.ts": "react.d.ts",
  "js/klarna_payment_button_bg.wasm.d.ts": "klarna_payment_button_bg.wasm.d.ts",
  "js/README.md": "README.md",
  "LICENSE-MIT": "LICENSE-MIT",
  "LICENSE-APACHE": "LICENSE-APACHE",
};
for (const [from, to] of Object.entries(copies)) copyFileSync(new URL(`../${from}`, import.meta.url), new URL(`../pkg/${to}`, import.meta.url));
for (const types of Object.values(copies).filter((file) => file.endsWith(".d.ts"))) {
  if (/\bany\b/.test(readFileSync(new URL(`../pkg/${types}`, import.meta.url), "utf8").replace(/\/\*\*[\s\S]*?\*\//g, ""))) fail(`an \`any\` in js/${types}`);
}

const manifest = new URL("../pkg/package.json", import.meta.url);
const pkg = JSON.parse(readFileSync(manifest, "utf8"));
// The repository's address is set once, in Cargo.toml; wasm-pack copied it here.
const repository = pkg.repository?.url?.replace(/^git\+/, "").replace(/\.git$/, "");
if (!repository) fail("no repository in pkg/package.json (set `repository` in Cargo.toml)");
const generated = ["klarna_payment_button_bg.wasm", "klarna_payment_button.js", "klarna_payment_button.d.ts", "snippets"];
if (generated.some((file) => !pkg.files.includes(file))) fail(`wasm-pack's "files" changed: ${JSON.stringify(pkg.files)}`);
Object.assign(pkg, {
  files: [...generated, ...Object.values(copies).filter((file) => file !== "README.md")],
  main: "index.js",
  module: "index.js",
  types: "index.d.ts",
  exports: {
    ".": { types: "./index.d.ts", default: "./index.js" },
    "./react": { types: "./react.d.ts", default: "./react.js" },
    "./klarna_payment_button_bg.wasm": { types: "./klarna_payment_button_bg.wasm.d.ts", default: "./klarna_payment_button_bg.wasm" },
    "./package.json": "./package.json",
  },
  repository: { type: "git", url: `git+${repository}.git` },
  homepage: `${repository}#readme`,
  bugs: { url: `${repository}/issues` },
  peerDependencies: { react: ">=18" },
  peerDependenciesMeta: { react: { optional: true } },
});
writeFileSync(manifest, JSON.stringify(pkg, null, 2) + "\n");

const glue = new URL("../pkg/klarna_payment_button.js", import.meta.url);
const stripped = await minify(readFileSync(glue, "utf8"), {
  module: true,
  compress: false,
  mangle: false,
  format: { comments: false, beautify: true, indent_level: 2 },
});
if (!stripped.code || !stripped.code.includes("export function buttonConfig")) {
  console.error("finish-pkg: stripping the glue's comments lost its exports");
  process.exit(1);
}
writeFileSync(glue, stripped.code + "\n");
