// Consumer tests: the packed tarball of pkg/ installed into a throwaway copy of app/ (exact
// versions from its committed package-lock.json, `npm ci --prefer-offline`), then used the ways
// an adopter uses it: `tsc --strict` on ES2022 + DOM, Vitest in happy-dom and jsdom, a
// server-side import, a Vite app and an esbuild (IIFE) React page clicked in headless Chromium
// against the reference backend (partner-server, whose embedded Klarna simulator serves the
// Web SDK stand-in and the journey).
//
// The lock leaves out the tarball's integrity (it changes with every build). After changing
// app/package.json, refresh the lock: `npm pack pkg/` into app/ as klarna-payment-button.tgz,
// `npm install` there, delete the "integrity" line of node_modules/klarna-payment-button in
// package-lock.json, and remove the tarball and node_modules.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary, launchChromium } from "../e2e/support.mjs";

const root = new URL("../../", import.meta.url).pathname;
const fixture = new URL("./app/", import.meta.url).pathname;
let dir;
let server;
let browser;

/** Runs a command in the throwaway app; returns its output, or fails the test with it. */
function run(command, args) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: dir, encoding: "utf8" });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  assert.equal(result.status, 0, `${command} ${args.join(" ")} failed (${seconds} s):\n${output}`);
  console.log(`${[command, ...args].join(" ")}: ${seconds} s`);
  return output;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kpb-consumer-"));
  cpSync(fixture, dir, { recursive: true, filter: (path) => !/\/(node_modules|www)$/.test(path) });
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir, join(root, "pkg")], { encoding: "utf8" }).trim();
  renameSync(join(dir, packed), join(dir, "klarna-payment-button.tgz"));
  run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]);
  run("node_modules/.bin/vite", ["build"]);
  run("node", ["build-esbuild.mjs"]);
  server = await startBinary("partner-server", [
    "--port", "0",
    "--database", join(dir, "partner.sqlite3"),
    "--www", join(dir, "www"),
    "--pkg", join(dir, "node_modules/klarna-payment-button"),
  ], { waitFor: /demo checkout/ });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh page; anything the app logs as an error (CSP, script, React) fails the test at `done`. */
async function open(path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.problems = [];
  // What the app's pages log; the backend's own confirmation page (/order/...) is not the app.
  const onApp = () => !new URL(page.url()).pathname.startsWith("/order/");
  page.on("console", (message) => {
    if (message.type() === "error" && !/Failed to load resource/.test(message.text()) && onApp()) page.problems.push(message.text());
  });
  page.on("pageerror", (error) => onApp() && page.problems.push(error.message));
  page.wasm = [];
  page.on("request", (request) => {
    if (request.url().endsWith(".wasm")) page.wasm.push(new URL(request.url()).pathname);
  });
  await page.goto(`${server.url}${path}`);
  return page;
}

async function done(page) {
  assert.deepEqual(page.problems, [], "the page logged errors");
  await page.context().close();
}

/** The order as the backend (partner-server's database) has it, asked with the shopper's cookies. */
async function order(page, id) {
  const cookie = (await page.context().cookies(server.url)).map(({ name, value }) => `${name}=${value}`).join("; ");
  return (await fetch(`${server.url}/api/orders/${id}`, { headers: { cookie } })).json();
}

/** Waits until the backend has order `id` authorized (the final authorization after a step-up
 * may finish just after the shopper is back). */
async function authorized(page, id) {
  const deadline = Date.now() + 15_000;
  let status;
  do {
    status = (await order(page, id)).status;
    if (status === "AUTHORIZED") return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  } while (Date.now() < deadline);
  assert.fail(`order ${id} is ${status}, not AUTHORIZED`);
}

/** Waits until the page shows order `id`'s confirmation (its path may be percent-encoded). */
function confirmation(page, id) {
  return page.waitForURL((url) => decodeURIComponent(url.pathname) === `/order/${id}`);
}

test("the tarball: licences, its own README, repository links, ./package.json exported", () => {
  const files = execFileSync("tar", ["-tzf", join(dir, "klarna-payment-button.tgz")], { encoding: "utf8" }).split("\n");
  for (const file of ["LICENSE-MIT", "LICENSE-APACHE", "README.md", "index.js", "react.js", "klarna_payment_button_bg.wasm"]) {
    assert.ok(files.includes(`package/${file}`), `the tarball has no ${file}`);
  }
  const installed = join(dir, "node_modules/klarna-payment-button");
  const readme = readFileSync(join(installed, "README.md"), "utf8");
  assert.match(readme, /^# klarna-payment-button\n/);
  assert.match(readme, /## Install/);
  assert.doesNotMatch(readme, /klarna-sim|partner-server|checkout\.png/, "the repository's README was shipped");
  assert.match(readFileSync(join(installed, "LICENSE-APACHE"), "utf8"), /Apache License\s+Version 2\.0/);
  assert.match(readFileSync(join(installed, "LICENSE-MIT"), "utf8"), /Permission is hereby granted, free of charge/);
  const manifest = JSON.parse(run("node", ["--input-type=module", "-e", 'import m from "klarna-payment-button/package.json" with { type: "json" }; console.log(JSON.stringify(m))']));
  assert.equal(manifest.license, "MIT OR Apache-2.0");
  assert.match(manifest.repository.url, /^git\+https:\/\/.+\.git$/);
  assert.match(manifest.homepage, /^https:\/\//);
  assert.match(manifest.bugs.url, /^https:\/\/.+\/issues$/);
  assert.equal(manifest.dependencies, undefined, "the package has no dependencies");
  assert.deepEqual(manifest.peerDependenciesMeta, { react: { optional: true } });
});

test("tsc --strict on ES2022 + DOM, no skipLibCheck, no @types/node: the apps (bundler) and a NodeNext project", () => {
  for (const project of ["tsconfig.json", "node-types/tsconfig.json"]) {
    const files = run("node_modules/.bin/tsc", ["-p", project, "--listFiles"]);
    assert.match(files, /klarna-payment-button\/index\.d\.ts/, `${project} did not compile the package's types`);
    assert.match(files, /klarna-payment-button\/react\.d\.ts/);
    assert.match(files, /klarna-payment-button\/klarna_payment_button_bg\.wasm\.d\.ts/);
    assert.doesNotMatch(files, /@types\/node|lib\.es20(23|24)|lib\.esnext/, `${project} pulled in more than ES2022 + DOM`);
  }
});

for (const environment of ["happy-dom", "jsdom"]) {
  test(`Vitest in ${environment}: initSync, build(), initiate against a stubbed fetch`, () => {
    const output = run("node_modules/.bin/vitest", ["run", `vitest/${environment}.test.ts`]);
    assert.match(output, /Tests\s+\d+ passed/);
  });
}

test("server rendering: a Node import and renderToString read no browser global; loadKlarna resolves null", () => {
  assert.match(run("node", ["ssr.mjs"]), /^ssr: ok/m);
});

test("the Vite app (strict TypeScript): a step-up through the journey pop-up ends authorized", async () => {
  const page = await open("/");
  await page.waitForSelector("body[data-ready='true']");
  assert.ok(page.wasm.some((path) => /^\/assets\/vite\/.+\.wasm$/.test(path)), `Vite emitted and loaded the .wasm: ${page.wasm}`);
  const id = await page.getAttribute("body", "data-order-id");
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.click("[data-klarna-button]")]);
  await page.waitForSelector("body[data-outcome='STEP_UP']");
  await popup.waitForSelector("button[data-action=approve]");
  await Promise.all([confirmation(page, id), popup.click("button[data-action=approve]")]);
  await authorized(page, id);
  await done(page);
});

test("the Vite app: an approval without a step-up goes straight to the success URL", async () => {
  const page = await open("/?scenario=approve");
  await page.waitForSelector("body[data-ready='true']");
  const id = await page.getAttribute("body", "data-order-id");
  await Promise.all([confirmation(page, id), page.click("[data-klarna-button]")]);
  await authorized(page, id);
  assert.ok((await order(page, id)).transaction, "the backend kept the approved transaction");
  await done(page);
});

test("esbuild, IIFE: the README's recipe loads the .wasm from the exported path and builds a config", async () => {
  const page = await open("/assets/esbuild.html");
  await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error);
  assert.equal(await page.getAttribute("body", "data-error"), null);
  const result = JSON.parse(await page.getAttribute("body", "data-result"));
  assert.deepEqual(result.keys, ["initiate", "initiationMode"]);
  assert.equal(result.initiate, "function");
  assert.equal(result.initiationMode, "REDIRECT");
  assert.match(result.wasmUrl, /^\/assets\/esbuild\/klarna_payment_button_bg-[A-Z0-9]+\.wasm$/);
  assert.deepEqual(page.wasm, [result.wasmUrl], "the .wasm came from where esbuild put it");
  await done(page);
});

/** Buttons the component mounted and has not unmounted, and the Klarna listeners it holds. */
async function held(page) {
  const log = await page.evaluate(() => window.shopLog);
  const mounted = log.buttons.filter((call) => call.startsWith("mount")).length - log.buttons.filter((call) => call === "unmount").length;
  return { mounted, listeners: log.listeners, errors: log.errors };
}

test("React: the component mounts the button in its own container, unmounts cleanly, and pays after a step-up", async () => {
  const page = await open("/assets/react.html");
  await page.waitForSelector("[data-klarna-payment-button] [data-klarna-button]");
  const containers = await page.$$eval("[data-klarna-payment-button]", (all) => all.map((element) => element.id));
  assert.equal(containers.length, 1);
  assert.match(containers[0], /^klarna-payment-button-[\w-]+$/);
  const { buttons } = await page.evaluate(() => window.shopLog);
  assert.deepEqual(buttons, [`mount #${containers[0]}`], "mounted once, into its own container, through StrictMode's double effects");
  assert.deepEqual(await held(page), { mounted: 1, listeners: 3, errors: [] });

  await page.click("#toggle");
  await page.waitForSelector("[data-klarna-payment-button]", { state: "detached" });
  assert.deepEqual(await held(page), { mounted: 0, listeners: 0, errors: [] }, "the unmount took the button out and removed the listeners");
  await page.click("#toggle");
  await page.waitForSelector("[data-klarna-payment-button] [data-klarna-button]");
  assert.deepEqual(await held(page), { mounted: 1, listeners: 3, errors: [] });

  const id = await page.getAttribute("body", "data-order-id");
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.click("[data-klarna-button]")]);
  await page.waitForSelector("main[data-outcome='STEP_UP']");
  await popup.waitForSelector("button[data-action=approve]");
  await Promise.all([confirmation(page, id), popup.click("button[data-action=approve]")]);
  await authorized(page, id);
  await done(page);
});

test("React: unmounting while a click is in flight aborts it; onOutcome never reaches the dead component", async () => {
  const SLOW_MS = 800;
  const page = await open(`/assets/react.html?scenario=slow:${SLOW_MS}`);
  await page.waitForSelector("[data-klarna-payment-button] [data-klarna-button]");
  const clicked = Date.now();
  await page.click("[data-klarna-button]");
  await page.waitForSelector("[data-klarna-button][aria-busy='true']");
  await page.click("#toggle");
  await page.waitForFunction(() => window.shopLog.errors.length > 0, null, { timeout: SLOW_MS + 5_000 });
  // The backend answers after SLOW_MS; give that reply time to arrive had the click not been aborted.
  await page.waitForTimeout(Math.max(0, clicked + SLOW_MS + 700 - Date.now()));
  const log = await page.evaluate(() => window.shopLog);
  assert.deepEqual(log.errors, ["page:ABORTED"], "the click was aborted; the unmounted component heard nothing");
  assert.deepEqual(log.outcomes, [], "onOutcome ran after the unmount");
  await done(page);
});
