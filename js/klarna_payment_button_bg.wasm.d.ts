/**
 * The URL of the package's WebAssembly module, where your bundler turns an imported `.wasm`
 * file into the URL it emits (esbuild's `file` loader, webpack's `asset/resource`, Parcel's
 * `url:`): `import wasmUrl from "klarna-payment-button/klarna_payment_button_bg.wasm"`, then
 * `await init({ module_or_path: wasmUrl })`. For bundlers that do not rewrite
 * `new URL(..., import.meta.url)` (esbuild, IIFE builds).
 */
declare const wasmUrl: string;
export default wasmUrl;
