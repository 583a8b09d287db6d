// Finishes pkg/ after wasm-pack:
// - the types: gives the re-exported KlarnaButtonError its class type, turns the `any`s of the
//   raw wasm exports into `unknown` (the public types hold no `any`), keeps them compiling on a
//   plain ES2022 + DOM lib and hides wasm-bindgen's internals;
// - the download: short import names in the wasm and the glue, the snippets inlined into the
//   glue, and every script minified with its source map (`.js.map`, the readable source inside);
// - the package: its entry (loadKlarna), the React binding, the wasm URL's types, its own
//   README and the licences, and a complete package.json.
// Fails loudly if wasm-bindgen's output changed shape, rather than shipping wrong types or a
// glue without its exports.
import { copyFileSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
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
// The builder class of src/builder.js, re-exported by the glue, is declared with its methods in
// the custom section of src/lib.rs.
const builderPlaceholder = "export let ButtonConfigBuilder: unknown;\n";
if (!text.includes(builderPlaceholder)) fail(`pkg/klarna_payment_button.d.ts no longer has "${builderPlaceholder.trim()}"`);
text = text.replace(builderPlaceholder, "");
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

const manifest = new URL("../pkg/package.json", import.meta.url);
const pkg = JSON.parse(readFileSync(manifest, "utf8"));

// Dead code of the generated glue, removed by exact text (a change in wasm-bindgen's output
// fails the build here instead of shipping a half-patched glue):
// - `passStringToWasm0`'s path for a call without `realloc`: every call in this glue passes
//   `wasm.__wbindgen_realloc` (checked below);
// - the `TextEncoder.encodeInto` polyfill: every browser that parses the package (private class
//   fields in src/builder.js: Chrome 74, Firefox 90, Safari 14.1) has `encodeInto` (Chrome 74,
//   Firefox 66, Safari 14.1).
// Together -68 gzip bytes.
{
  const gluePath = new URL("../pkg/klarna_payment_button.js", import.meta.url);
  let glue = readFileSync(gluePath, "utf8");
  const cut = (what, text) => {
    if (glue.split(text).length !== 2) fail(`the glue no longer has exactly one ${what}`);
    glue = glue.replace(text, "");
  };
  // Every occurrence but the definition must be a call that passes realloc.
  const calls = glue.match(/passStringToWasm0\(/g)?.length ?? 0;
  const withRealloc = glue.match(/passStringToWasm0\(\w+, wasm\.__wbindgen_malloc, wasm\.__wbindgen_realloc\)/g)?.length ?? 0;
  if (calls < 2 || withRealloc !== calls - 1) fail("a call of passStringToWasm0 without realloc, or none with it, in the glue");
  cut(
    "path of passStringToWasm0 without realloc",
    `    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

`,
  );
  cut(
    "encodeInto polyfill",
    `if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}
`,
  );
  writeFileSync(gluePath, glue);
}

// Short import and export names. wasm-bindgen names each import of the module
// `__wbg_<name>_<hash>` in module "./klarna_payment_button_bg.js" (or a snippet's path): some
// 2 KB of names, the hashes incompressible, written once in the wasm and once in the glue. They
// become one module "a" with names a, b, c, ... in both. The exports (`buttonconfigbuilder_build`,
// `__wbindgen_malloc`, ...) are the glue's own business too: they become a, b, c, ... in the wasm
// and in the glue's `wasm.<name>`, all but `memory` (the one export `InitOutput` promises).
{
  const wasmPath = new URL("../pkg/klarna_payment_button_bg.wasm", import.meta.url);
  const gluePath = new URL("../pkg/klarna_payment_button.js", import.meta.url);
  const wasm = readFileSync(wasmPath);
  const leb = (bytes, at) => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[at++];
      value += (byte & 127) * 2 ** shift;
      shift += 7;
    } while (byte & 128);
    return [value, at];
  };
  const toLeb = (value) => {
    const out = [];
    do {
      let byte = value & 127;
      value = Math.floor(value / 128);
      if (value) byte |= 128;
      out.push(byte);
    } while (value);
    return out;
  };
  const name = (text) => [...toLeb(Buffer.byteLength(text)), ...Buffer.from(text)];
  const short = (i) => {
    const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let text = "";
    do {
      text = letters[i % 52] + text;
      i = Math.floor(i / 52) - 1;
    } while (i >= 0);
    return text;
  };
  let at = 8;
  const imports = [];
  const exports = [];
  const out = [wasm.subarray(0, 8)];
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, start] = leb(wasm, at + 1);
    const end = start + size;
    if (id === 7) {
      let [count, p] = leb(wasm, start);
      const payload = [...toLeb(count)];
      for (let i = 0; i < count; i++) {
        let length;
        [length, p] = leb(wasm, p);
        const field = wasm.subarray(p, p + length).toString();
        p += length;
        const [, after] = leb(wasm, p + 1);
        const renamed = field === "memory" ? field : short(exports.length);
        if (renamed !== field) exports.push({ field, short: renamed });
        payload.push(...name(renamed), ...wasm.subarray(p, after));
        p = after;
      }
      if (p !== end) {
        console.error("finish-pkg: the export section did not parse to its end");
        process.exit(1);
      }
      out.push(Buffer.from([7, ...toLeb(payload.length), ...payload]));
    } else if (id !== 2) {
      out.push(wasm.subarray(at, end));
    } else {
      let [count, p] = leb(wasm, start);
      const payload = [...toLeb(count)];
      for (let i = 0; i < count; i++) {
        let module, field, length;
        [length, p] = leb(wasm, p);
        module = wasm.subarray(p, p + length).toString();
        p += length;
        [length, p] = leb(wasm, p);
        field = wasm.subarray(p, p + length).toString();
        p += length;
        if (wasm[p] !== 0) {
          console.error(`finish-pkg: import ${module} ${field} is not a function; update the import renaming`);
          process.exit(1);
        }
        const [, after] = leb(wasm, p + 1);
        imports.push({ module, field, short: short(i) });
        payload.push(...name("a"), ...name(short(i)), ...wasm.subarray(p, after));
        p = after;
      }
      if (p !== end) {
        console.error("finish-pkg: the import section did not parse to its end");
        process.exit(1);
      }
      out.push(Buffer.from([2, ...toLeb(payload.length), ...payload]));
    }
    at = end;
  }
  let glue = readFileSync(gluePath, "utf8");
  const own = "./klarna_payment_button_bg.js";
  const namespaces = Object.fromEntries([...glue.matchAll(/^import \* as (\w+) from "([^"]+)"/gm)].map((m) => [m[2], m[1]]));
  const extra = [];
  for (const { module, field, short: renamed } of imports) {
    if (module === own) {
      const key = new RegExp(`^(\\s+)${field}:`, "m");
      if (!key.test(glue)) {
        console.error(`finish-pkg: the glue has no import ${field}; update the import renaming`);
        process.exit(1);
      }
      glue = glue.replace(key, `$1${renamed}:`);
    } else if (namespaces[module]) {
      extra.push(`        ${renamed}: ${namespaces[module]}.${field},`);
    } else {
      console.error(`finish-pkg: no namespace import of ${module} in the glue; update the import renaming`);
      process.exit(1);
    }
  }
  const returned = /    return \{\n        __proto__: null,\n        "\.\/klarna_payment_button_bg\.js": import0,\n(        "[^"]+": \w+,\n)*    \};/;
  if (!returned.test(glue)) {
    console.error("finish-pkg: __wbg_get_imports no longer ends as expected; update the import renaming");
    process.exit(1);
  }
  glue = glue.replace(returned, `    return {\n        __proto__: null,\n        a: { ...import0,\n${extra.join("\n")}\n        },\n    };`);
  // Every `wasm.<name>` of the glue must be an export, renamed in one pass (no name is
  // renamed twice, whatever the short names spell).
  const renamedExports = new Map(exports.map(({ field, short: renamed }) => [field, renamed]));
  glue = glue.replace(/\bwasm\.(\w+)/g, (whole, field) => {
    if (field === "memory") return whole;
    const renamed = renamedExports.get(field);
    if (!renamed) {
      console.error(`finish-pkg: the glue uses wasm.${field}, which the module does not export; update the export renaming`);
      process.exit(1);
    }
    return `wasm.${renamed}`;
  });
  writeFileSync(wasmPath, Buffer.concat(out));
  writeFileSync(gluePath, glue);
}

// The snippets inlined into the glue: a page then loads one JavaScript file, not three (two
// fewer requests before the button can show). Each snippet becomes a function scope whose
// exports the glue's imports of it pick up; pkg/snippets/ is then no longer needed.
{
  const gluePath = new URL("../pkg/klarna_payment_button.js", import.meta.url);
  let glue = readFileSync(gluePath, "utf8");
  const paths = [...new Set([...glue.matchAll(/^import .* from ["'](\.\/snippets\/[^"']+)["'];?$/gm)].map((m) => m[1]))];
  const scopes = paths.map((path, i) => {
    const source = readFileSync(new URL(`../pkg/${path}`, import.meta.url), "utf8");
    const names = [];
    const body = source.replace(/^export (async function|function|class|const|let) (\w+)/gm, (_, kind, name) => {
      names.push(name);
      return `${kind} ${name}`;
    });
    if (/^\s*(export|import)\b/m.test(body)) {
      console.error(`finish-pkg: ${path} has an export or import the inlining does not handle`);
      process.exit(1);
    }
    glue = glue.replace(new RegExp(`^import \\{([^}]*)\\} from ["']${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["'];?$`, "gm"), (_, list) => `const {${list.replace(/ as /g, ": ")}} = snippet${i};`);
    glue = glue.replace(new RegExp(`^import \\* as (\\w+) from ["']${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["'];?$`, "gm"), (_, name) => `const ${name} = snippet${i};`);
    return `const snippet${i} = (() => {\n${body}\nreturn { ${names.join(", ")} };\n})();`;
  });
  if (/^import .* from ["']\.\/snippets\//m.test(glue)) {
    console.error("finish-pkg: an import of a snippet is left in the glue");
    process.exit(1);
  }
  const header = glue.match(/^\/\* @ts-self-types=.*\*\/\n/)?.[0] ?? "";
  writeFileSync(gluePath, header + scopes.join("\n") + "\n" + glue.slice(header.length));
  rmSync(new URL("../pkg/snippets", import.meta.url), { recursive: true, force: true });
  pkg.files = pkg.files.filter((file) => file !== "snippets");
  delete pkg.sideEffects;
  writeFileSync(manifest, JSON.stringify(pkg, null, 2) + "\n");
}

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

// The repository's address is set once, in Cargo.toml; wasm-pack copied it here.
const repository = pkg.repository?.url?.replace(/^git\+/, "").replace(/\.git$/, "");
if (!repository) fail("no repository in pkg/package.json (set `repository` in Cargo.toml)");
const generated = ["klarna_payment_button_bg.wasm", "klarna_payment_button.js", "klarna_payment_button.d.ts"];
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
      // unsafe_methods: `{ a: function () {} }` becomes `{ a() {} }`, which cannot be called with
      // `new`; no object literal of the package (the wasm imports, the snippets' scopes) is.
      // sequences: false (statements stay statements, not comma-joined) and hoist_funs (function
      // declarations first) give gzip more alike text: -19 gzip bytes in all, measured.
      compress: { passes: 2, unsafe_methods: true, sequences: false, hoist_funs: true },
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
const maps = scripts(pkgDir).map((path) => `${basename(path)}.map`).filter((map) => !pkg.files.includes(map));
pkg.files.push(...maps);
writeFileSync(manifest, JSON.stringify(pkg, null, 2) + "\n");
