// Finishes pkg/ after wasm-pack: gives the re-exported KlarnaButtonError its class type and
// turns the `any`s of the raw wasm exports into `unknown`, so the public types hold no `any`;
// and drops the comments from the JS glue (its documentation is in the .d.ts), keeping it
// readable: no renaming, no compression. Fails loudly if wasm-bindgen's output changed shape,
// rather than shipping wrong types.
import { readFileSync, writeFileSync } from "node:fs";
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
