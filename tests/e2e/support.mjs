// Shared pieces of the end-to-end tests: starting servers on 127.0.0.1, a headless Chromium,
// an HTTP client that keeps its cookies like a browser, and an independent reader of the
// partner database (Python's sqlite3, or psql for PostgreSQL).
import { spawn, execFileSync } from "node:child_process";
import { chromium } from "playwright-core";

const root = new URL("../../", import.meta.url).pathname;

/** Starts one of the workspace's binaries and resolves with its base URL once it listens
 * (and, when `waitFor` is given, once its output matches that too). */
export function startBinary(name, args = [], { env = {}, cwd = root, waitFor = null, profile = "debug" } = {}) {
  const binary = `${process.env.CARGO_TARGET_DIR ?? `${root}target`}/${profile}/${name}`;
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
        resolve({
          url: match[1],
          extra,
          child,
          log: () => log,
          stop: () => child.kill("SIGTERM"),
          // Resolves a moment after the exit, so that a client's pooled connections to the dead
          // process are seen closed (else the next request on the same port may take one).
          kill: () => new Promise((done) => { child.once("exit", () => setTimeout(done, 100)); child.kill("SIGKILL"); }),
        });
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

/** An HTTP client for `base` (a URL, or a function giving the URL of each request: several
 * instances behind one name) that keeps the cookies it is given, as one browser would. */
export function client(base) {
  const jar = new Map();
  return async function request(path, { method = "GET", headers = {}, json, body } = {}) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
    const url = `${typeof base === "function" ? base() : base}${path}`;
    const verb = json === undefined && body === undefined ? method : method === "GET" ? "POST" : method;
    const reply = await fetch(url, {
      method: verb,
      redirect: "manual",
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(json !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: json !== undefined ? JSON.stringify(json) : body,
    }).catch((error) => {
      throw new Error(`${verb} ${url}: ${error.message} (${error.cause?.code ?? ""} ${error.cause?.message ?? ""})`, { cause: error });
    });
    for (const line of reply.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair.indexOf("=");
      jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return reply;
  };
}

/** Reads a partner database independently of the server: `url` is `sqlite://path` or
 * `postgres://…`; `?` placeholders, rows as plain objects. */
export function reader(url) {
  if (url.startsWith("postgres")) {
    return (sql, params = []) => {
      let n = 0;
      const text = sql.replace(/\?/g, () => `:'p${++n}'`);
      const vars = params.flatMap((value, i) => ["-v", `p${i + 1}=${value}`]);
      const out = execFileSync("psql", [url, "-X", "-q", "-At", ...vars], {
        input: `SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM (${text}) q;`,
        encoding: "utf8",
      });
      return JSON.parse(out.trim() || "[]");
    };
  }
  const path = url.replace(/^sqlite:\/\//, "").replace(/\?.*$/, "");
  const program = [
    "import json, sqlite3, sys",
    "c = sqlite3.connect(sys.argv[1]); c.row_factory = sqlite3.Row",
    "print(json.dumps([dict(r) for r in c.execute(sys.argv[2], json.loads(sys.argv[3]))]))",
  ].join("\n");
  return (sql, params = []) =>
    JSON.parse(execFileSync("python3", ["-c", program, path, sql, JSON.stringify(params)], { encoding: "utf8" }));
}

/** Waits until `check()` is true, polling. */
export async function waitUntil(what, check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts a throwaway PostgreSQL server on loopback (scripts/postgres.sh): its URL (the
 * server's `kpb` database) and a `stop()` that removes it. */
export function startPostgres() {
  const out = execFileSync("bash", [`${root}scripts/postgres.sh`, "start"], { encoding: "utf8" });
  const vars = Object.fromEntries([...out.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  return { url: vars.TEST_DATABASE_URL, stop: () => execFileSync("bash", [`${root}scripts/postgres.sh`, "stop", vars.PG_DIR]) };
}

/** A new, empty PostgreSQL database on the test server (`TEST_DATABASE_URL`, which `npm test`
 * starts); its URL. */
export function freshPostgres() {
  const server = process.env.TEST_DATABASE_URL;
  if (!server) throw new Error("TEST_DATABASE_URL is not set: run through `npm test`, or start one with scripts/postgres.sh");
  const name = `kpb_${crypto.randomUUID().replace(/-/g, "")}`;
  execFileSync("psql", [server, "-X", "-q", "-c", `CREATE DATABASE ${name}`]);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.href;
}
