// `klarna-sim conform` against real backends: the reference backend (every check passes), and
// a small Node backend (tests/conform/broken-backend.mjs) that keeps the contract until a flaw
// is switched on, when the check named for that flaw fails and the kit exits non-zero.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBinary } from "./support.mjs";
import { startBrokenBackend } from "../conform/broken-backend.mjs";

const root = new URL("../../", import.meta.url).pathname;
const API_KEY = "klarna_test_api_conform_0123456789";
const KEY_ID = "conform";
const SIGNING_KEY = "conform-webhook-signing-key-0123";

/** A fresh simulator: its browser and partner API URLs, and a control helper. */
async function startSim() {
  const sim = await startBinary("klarna-sim", [
    "--port", "0", "--api-port", "0", "--api-key", API_KEY,
    "--signing-key", SIGNING_KEY, "--signing-key-id", KEY_ID, "--retry-base-ms", "200",
  ], { waitFor: /partner API[^\n]*?(http:\/\/127\.0\.0\.1:\d+)/ });
  const api = sim.extra[1];
  const addWebhook = async (url) => {
    const reply = await fetch(`${api}/_sim/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url, signing_key_id: KEY_ID, signing_key: SIGNING_KEY }),
    });
    assert.equal(reply.status, 201, "the simulator took the webhook target");
  };
  return { sim, browser: sim.url, api, addWebhook };
}

/** Runs the kit; its exit code, its lines by check name, and its output. */
function conform(world, start, authorize) {
  const binary = `${process.env.CARGO_TARGET_DIR ?? `${root}target`}/debug/klarna-sim`;
  const args = ["conform", "--start", start, "--authorize", authorize, "--sim-api", world.api, "--sim", world.browser,
    "--signing-key", SIGNING_KEY, "--wait-ms", "10000"];
  const child = spawn(binary, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  child.stderr.on("data", (chunk) => (out += chunk));
  return new Promise((resolve) => {
    child.on("exit", (code) => {
      const checks = new Map();
      for (const line of out.split("\n")) {
        const match = /^(PASS|FAIL|SKIP) (.+?)(?:: .*)?$/.exec(line);
        if (match) checks.set(match[2], match[1]);
      }
      resolve({ code, checks, out });
    });
  });
}

const failed = (run) => [...run.checks].filter(([, verdict]) => verdict === "FAIL").map(([name]) => name);

/** The Node backend with `flaws`, paired with a fresh simulator; the kit's run. */
async function runBroken(flaws) {
  const world = await startSim();
  const backend = await startBrokenBackend({ klarna: world.api, apiKey: API_KEY, signingKeys: { [KEY_ID]: SIGNING_KEY }, flaws });
  try {
    await world.addWebhook(`${backend.url}/webhooks`);
    return await conform(world, `${backend.url}/start`, `${backend.url}/authorize`);
  } finally {
    await backend.close();
    world.sim.stop();
  }
}

// Each run has its own simulator and backend, and mostly waits: they run side by side.
describe("conformance kit", { concurrency: true }, () => {
  test("the reference backend passes every check of the conformance kit", { timeout: 120_000 }, async () => {
    const world = await startSim();
    const dir = mkdtempSync(join(tmpdir(), "kpb-conform-"));
    const backend = await startBinary("partner-server", [
      "--port", "0", "--database-url", `sqlite://${join(dir, "partner.sqlite3")}`,
      "--klarna-base-url", world.api, "--klarna-api-key", API_KEY,
      "--webhook-signing-key", `${KEY_ID}=${SIGNING_KEY}`,
    ]);
    try {
      await world.addWebhook(`${backend.url}/webhooks/klarna`);
      const run = await conform(world, `${backend.url}/api/checkout-sessions`, `${backend.url}/api/authorize-payment`);
      assert.deepEqual(failed(run), [], run.out);
      assert.equal(run.code, 0, run.out);
      assert.ok(run.checks.size === 29, `every check ran:\n${run.out}`);
      assert.ok(![...run.checks.values()].includes("SKIP"), `nothing was skipped:\n${run.out}`);
    } finally {
      backend.stop();
      world.sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a backend of another make, without flaws, passes too", { timeout: 120_000 }, async () => {
    const run = await runBroken([]);
    assert.deepEqual(failed(run), [], run.out);
    assert.equal(run.code, 0, run.out);
  });

  for (const [flaw, check, alone] of [
    ["leak-token", "no customer token sent to the browser", true],
    ["browser-amount", "amount from the server, not the browser", true],
    // One key for every call: Klarna refuses the later calls as conflicts, so much else fails too.
    ["one-key", "distinct Klarna-Idempotency-Key per attempt", false],
  ]) {
    test(`a backend that breaks "${flaw}" fails "${check}"`, { timeout: 120_000 }, async () => {
      const run = await runBroken([flaw]);
      assert.equal(run.checks.get(check), "FAIL", run.out);
      if (alone) assert.deepEqual(failed(run), [check], run.out);
      assert.equal(run.code, 1, run.out);
    });
  }
});
