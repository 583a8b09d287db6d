// Prints what each shopper downloads of the package: gzip and brotli bytes of its entry
// (index.js, with loadKlarna), the JavaScript glue (the snippets are inlined into it) and the
// wasm module. The React binding (react.js) is listed apart: only React pages load it. Source
// maps are not downloaded and not counted.
// With --check, exits non-zero when the gzip total passes the budget (a regression guard).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

// The gzip total achieved when this gate was set (19,833 bytes: wasm 15,881 + glue 3,645 +
// index.js 307, in `npm run size` on the build of 2026-11-29, without js-sys), plus 5%:
// 19,833 * 1.05 = 20,824.65, rounded down to 20,824.
const BUDGET_GZIP_BYTES = 20_824;
/** Files only some pages load: listed, not in the total. */
const OPTIONAL = ["react.js"];
const pkg = new URL("../pkg/", import.meta.url).pathname;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

let all;
try {
  all = files(pkg);
} catch {
  console.error("size: no pkg/ yet; run `npm run build` first");
  process.exit(2);
}
const shipped = all.filter((path) => path.endsWith(".wasm") || path.endsWith(".js")).sort();
if (!shipped.some((path) => path.endsWith(".wasm"))) {
  console.error("size: pkg/ has no .wasm file; run `npm run build` first");
  process.exit(2);
}

const rows = shipped.map((path) => {
  const bytes = readFileSync(path);
  return {
    file: relative(pkg, path),
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length,
  };
});
const total = rows
  .filter((row) => !OPTIONAL.includes(row.file))
  .reduce((sum, row) => ({ raw: sum.raw + row.raw, gzip: sum.gzip + row.gzip, brotli: sum.brotli + row.brotli }), { raw: 0, gzip: 0, brotli: 0 });

const pad = (value, width) => String(value).padStart(width);
console.log(`${"file".padEnd(64)} ${pad("raw", 8)} ${pad("gzip", 8)} ${pad("brotli", 8)}`);
for (const row of rows.filter((row) => !OPTIONAL.includes(row.file))) {
  console.log(`${row.file.padEnd(64)} ${pad(row.raw, 8)} ${pad(row.gzip, 8)} ${pad(row.brotli, 8)}`);
}
console.log(`${"total (what every page downloads)".padEnd(64)} ${pad(total.raw, 8)} ${pad(total.gzip, 8)} ${pad(total.brotli, 8)}`);
for (const row of rows.filter((row) => OPTIONAL.includes(row.file))) {
  console.log(`${`${row.file} (React pages only)`.padEnd(64)} ${pad(row.raw, 8)} ${pad(row.gzip, 8)} ${pad(row.brotli, 8)}`);
}

if (process.argv.includes("--check")) {
  if (total.gzip > BUDGET_GZIP_BYTES) {
    console.error(`size: FAIL: ${total.gzip} gzip bytes is over the budget of ${BUDGET_GZIP_BYTES}`);
    process.exit(1);
  }
  console.log(`size: ok: ${total.gzip} gzip bytes, budget ${BUDGET_GZIP_BYTES}`);
}
