// Shared pieces of the end-to-end tests: starting servers on 127.0.0.1 and a headless Chromium.
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";

const root = new URL("../../", import.meta.url).pathname;

/** Starts one of the workspace's binaries and resolves with its base URL once it listens
 * (and, when `waitFor` is given, once its output matches that too). */
export function startBinary(name, args = [], { env = {}, cwd = root, waitFor = null } = {}) {
  const binary = `${process.env.CARGO_TARGET_DIR ?? `${root}target`}/debug/${name}`;
  const child = spawn(binary, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 15 s:\n${log}`)), 15_000);
    const onData = (chunk) => {
      log += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      const extra = waitFor ? waitFor.exec(log) : [];
      if (match && extra) {
        clearTimeout(timer);
        resolve({ url: match[1], extra, child, log: () => log, stop: () => child.kill("SIGTERM") });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk) => (log += chunk));
    child.on("exit", (code) => reject(new Error(`${name} exited with ${code}:\n${log}`)));
  });
}

/** Headless Chromium from the system, with the flags this closed network needs. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
