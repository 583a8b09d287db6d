// Removes each security and exactly-once defence in turn, rebuilds, and runs the test that
// claims to show it: a defence whose test still passes without it is not shown by that test.
// Writes docs/mutants.md (one row per defence: killed or SURVIVED) and exits non-zero if any
// survived. Bounded: one incremental debug build and one test file per defence (about 3 minutes
// for all of them on a 2-core machine). Run with `npm run mutants` (or `npm run mutants -- WORD` for the defences whose
// description has WORD: their rows of the report are replaced); the source is restored after
// each mutant, also on Ctrl-C.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { startPostgres } from "../tests/e2e/support.mjs";

const root = new URL("../", import.meta.url).pathname;
const security = "tests/e2e/security.test.mjs";
const checkout = "tests/e2e/checkout.test.mjs";
const exactlyOnce = "tests/e2e/exactly-once.test.mjs";

/** Each defence: where it is, a change that removes it, and the test that must then fail. */
const MUTANTS = [
  {
    defence: "Secrets: the customer token is removed from Klarna's reply before the browser gets it",
    file: "crates/partner-server/src/authorization.rs",
    from: "response.clone().without_customer_token()",
    to: "response.clone()",
    test: [security, "no reply a browser can get carries a customer token"],
  },
  {
    defence: "Simulator: the partner API takes only configured keys",
    file: "crates/klarna-sim/src/auth.rs",
    from: "let known = keys.iter()",
    to: "let known = true || keys.iter()",
    test: [security, "the simulator's partner API is not on the shop's origin"],
  },
  {
    defence: "Simulator: journey pages may be framed only by the registered origin",
    file: "crates/klarna-sim/src/journey.rs",
    from: `let ancestors = origin.unwrap_or("'none'");`,
    to: `let ancestors = "*";`,
    test: [security, "journey pages are served hardened"],
  },
  {
    defence: "Listeners: a connection that dribbles its headers is cut off",
    file: "crates/http-kit/src/serve.rs",
    from: ".header_read_timeout(limits.header_read_timeout)",
    to: ".header_read_timeout(Duration::from_secs(3600))",
    test: [security, "connections that dribble their headers are cut off"],
  },
  {
    defence: "Listeners: connections are bounded",
    file: "crates/http-kit/src/serve.rs",
    from: "Semaphore::new(limits.max_connections.max(1))",
    to: "Semaphore::new(1 << 20)",
    test: [security, "connections that dribble their headers are cut off"],
  },
  {
    defence: "Backend: a charge uses only the clicking customer's tokens",
    file: "crates/partner-server/src/store/tokens.rs",
    from: "WHERE owner = $1 AND",
    to: "WHERE (owner = $1 OR 1 = 1) AND",
    test: [security, "a shopper cannot charge, or even see, another shopper's saved Klarna"],
  },
  {
    defence: "Backend: an order is shown only to its customer",
    file: "crates/partner-server/src/routes/orders.rs",
    from: "is_some_and(|row| row.session.customer_id == customer.0)",
    to: "is_some_and(|_row| true)",
    test: [security, "a shopper cannot charge, or even see, another shopper's saved Klarna"],
  },
  {
    defence: "Backend: an order is clicked only by its customer",
    file: "crates/partner-server/src/authorization.rs",
    from: ".filter(|(row, _)| row.session.customer_id == customer.0)",
    to: ".filter(|_row| true)",
    test: [security, "a shopper cannot charge, or even see, another shopper's saved Klarna"],
  },
  {
    defence: "Webhooks: the signature is checked",
    file: "crates/partner-server/src/routes/webhooks.rs",
    from: "if !crate::signatures::verify(",
    to: "if false && !crate::signatures::verify(",
    test: [checkout, "webhooks with a bad or missing signature, or stale, are refused"],
  },
  {
    defence: "Webhooks: an event for another account is refused",
    file: "crates/partner-server/src/routes/webhooks.rs",
    from: "if metadata.recipient_account_id != app.klarna.account() {",
    to: "if false && metadata.recipient_account_id != app.klarna.account() {",
    test: [security, "webhooks for another account"],
  },
  {
    defence: "Webhooks: an old event is refused",
    file: "crates/partner-server/src/routes/webhooks.rs",
    from: "if age > MAX_EVENT_AGE || age < -MAX_CLOCK_SKEW {",
    to: "if false && (age > MAX_EVENT_AGE || age < -MAX_CLOCK_SKEW) {",
    test: [checkout, "webhooks with a bad or missing signature, or stale, are refused"],
  },
  {
    defence: "Config: a short operator key stops the start",
    file: "crates/partner-server/src/config.rs",
    from: "if key.trim().len() < MIN_OPERATOR_KEY {",
    to: "if key.trim().is_empty() {",
    test: [security, "the backend refuses to start without a webhook key"],
  },
  {
    defence: "CSRF: a cross-site Origin is refused",
    file: "crates/partner-server/src/csrf.rs",
    from: "Some(_) => Err(refused()),\n        None =>",
    to: "Some(_) => Ok(()),\n        None =>",
    test: [checkout, "cross-site and malformed calls to the authorize route are refused"],
  },
  {
    defence: "DNS rebinding: every listener answers only to its own host names",
    file: "crates/http-kit/src/hosts.rs",
    from: "Some(host) if hosts.allows(&host) =>",
    to: "Some(host) if true || hosts.allows(&host) =>",
    test: [security, "a rebinding attacker's host name is refused on every listener"],
  },
  {
    defence: "Input: a session token Klarna could not take is refused at the door",
    file: "crates/partner-server/src/routes/authorize.rs",
    from: "is_some_and(|t| !token_like(t, MAX_TOKEN))",
    to: "is_some_and(|t| false && !token_like(t, MAX_TOKEN))",
    test: [security, "a session token Klarna could not take is refused at the door"],
  },
  {
    defence: "Errors: a 500 says an error id, not the database's words",
    file: "crates/partner-server/src/error.rs",
    from: `"the payment service failed; please try again, and quote the error id if it persists",`,
    to: `format!("{detail}"),`,
    test: [security, "an internal failure tells the client an error id"],
  },
  {
    defence: "Exactly once: a 5xx or a 429 proves nothing (the attempt is repeated under its key, never replaced)",
    file: "crates/partner-server/src/attempts.rs",
    from: "400 | 401 | 403 | 404 | 405 | 413 | 415 | 422 => Proof::DidNotAct,",
    to: "400 | 401 | 403 | 404 | 405 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504 => Proof::DidNotAct,",
    test: [exactlyOnce, "a lost approval, then a 429 on its repeat"],
  },
  {
    defence: "Exactly once: a repeat goes under its attempt's Klarna idempotency key, never a new one",
    file: "crates/partner-server/src/authorization.rs",
    from: "let headers = AuthorizeHeaders {\n        idempotency_key: Some(key),",
    to: "let fresh = uuid::Uuid::new_v4().to_string();\n    let headers = AuthorizeHeaders {\n        idempotency_key: Some(&fresh),",
    test: [exactlyOnce, "a lost approval, then a 429 on its repeat"],
  },
  {
    defence: "Exactly once: a journey the shopper completed is never canceled for a new attempt (read first, before the click and before the cancel)",
    file: "crates/partner-server/src/authorization.rs",
    from: "Some(tracked) if tracked.state == PaymentRequestState::Completed => {",
    to: "Some(tracked) if false && tracked.state == PaymentRequestState::Completed => {",
    also: [
      {
        file: "crates/partner-server/src/authorization.rs",
        from: "for open in app.store.open_requests(&session.id).await? {\n            let _ = crate::finalize::settle(&app, &open).await;",
        to: "for open in app.store.open_requests(&session.id).await?.into_iter().filter(|_| false) {\n            let _ = crate::finalize::settle(&app, &open).await;",
      },
    ],
    test: [exactlyOnce, "a click after the shopper approved the journey"],
  },
  {
    defence: "Exactly once: the sweeper repeats attempts of unknown outcome nobody clicks again",
    file: "crates/partner-server/src/sweeper.rs",
    from: "let attempts = app.store.attempts_to_resolve(app.timing, BATCH).await?;",
    to: "let attempts: Vec<String> = { let _ = app.store.attempts_to_resolve(app.timing, BATCH).await?; Vec::new() };",
    test: [exactlyOnce, "nobody clicks again: the sweeper finishes it"],
  },
  {
    defence: "Exactly once: an unknown attempt past Klarna's idempotency window goes to review, never repeated",
    file: "crates/partner-server/src/attempts.rs",
    from: "if now.saturating_sub(attempt.first_sent_at) >= timing.idempotency_window_ms {",
    to: "if false && now.saturating_sub(attempt.first_sent_at) >= timing.idempotency_window_ms {",
    test: [exactlyOnce, "past Klarna's idempotency window"],
  },
];

let restoring = null;
process.on("SIGINT", () => {
  if (restoring) restoring();
  process.exit(130);
});

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

function build() {
  return run("cargo", ["build", "--workspace", "--bins", "--locked", "--features", "partner-server/kill-points"]);
}

// The exactly-once tests run on PostgreSQL too: a throwaway server unless one is given.
let postgres = null;
if (!process.env.TEST_DATABASE_URL) {
  postgres = startPostgres();
  process.env.TEST_DATABASE_URL = postgres.url;
}
process.on("exit", () => postgres?.stop());

const only = process.argv.slice(2);
const rows = [];
for (const mutant of MUTANTS) {
  if (only.length && !only.some((word) => mutant.defence.includes(word))) continue;
  // A defence made of layers is removed whole: `also` lists further changes, in any file.
  const changes = [{ file: mutant.file, from: mutant.from, to: mutant.to }, ...(mutant.also ?? [])];
  const originals = new Map(changes.map((c) => [c.file, readFileSync(`${root}${c.file}`, "utf8")]));
  const missing = changes.find((c) => originals.get(c.file).split(c.from).length - 1 !== 1);
  if (missing) {
    const found = originals.get(missing.file).split(missing.from).length - 1;
    rows.push({ ...mutant, result: `NOT APPLIED (the code to change was found ${found} times; update this script)` });
    console.log(`?? ${mutant.defence}: found ${found} times`);
    continue;
  }
  restoring = () => {
    for (const [file, text] of originals) writeFileSync(`${root}${file}`, text);
  };
  const changed = new Map(originals);
  for (const c of changes) changed.set(c.file, changed.get(c.file).replace(c.from, c.to));
  for (const [file, text] of changed) writeFileSync(`${root}${file}`, text);
  let result;
  try {
    const built = build();
    if (!built.ok) {
      result = "NOT BUILT (the mutant does not compile; update this script)";
      console.log(built.output.split("\n").filter((l) => l.startsWith("error")).join("\n"));
    } else {
      const [file, name] = mutant.test;
      const tested = run("node", ["--test", `--test-name-pattern=${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, file]);
      const ran = /# pass (\d+)/.exec(tested.output)?.[1] ?? "0";
      const failed = /# fail (\d+)/.exec(tested.output)?.[1] ?? "0";
      if (Number(ran) + Number(failed) === 0) result = "NO TEST RAN (the name pattern matched nothing)";
      else result = tested.ok ? "SURVIVED" : "killed";
    }
  } finally {
    restoring();
    restoring = null;
  }
  rows.push({ ...mutant, result });
  console.log(`${result === "killed" ? "ok" : "!!"} ${mutant.defence}: ${result}`);
}
const rebuilt = build();
if (!rebuilt.ok) console.log("could not rebuild the unchanged source:\n", rebuilt.output);

const line = (r) =>
  `| ${r.defence} | \`${r.file}\`: \`${r.from.replace(/\n\s*/g, " ").replace(/\|/g, "\\|")}\` | ${r.test[0]}: "${r.test[1]}…" | ${r.result} (${new Date().toISOString().slice(0, 10)}) |`;
const report = `${root}docs/mutants.md`;
if (only.length && existsSync(report)) {
  // A partial run (`npm run mutants -- WORD…`) replaces its own rows of the last report.
  let text = readFileSync(report, "utf8");
  for (const r of rows) {
    const at = text.split("\n").findIndex((l) => l.startsWith(`| ${r.defence} |`));
    const lines = text.split("\n");
    if (at >= 0) lines[at] = line(r);
    text = at >= 0 ? lines.join("\n") : `${text.trimEnd()}\n${line(r)}\n`;
  }
  writeFileSync(report, text);
} else {
  writeFileSync(
    report,
    `# Each defence, removed: does its test notice?

Written by \`npm run mutants\` (scripts/mutants.mjs). For each defence the script changes the
code that makes it, rebuilds, and runs the test named: *killed* means the test failed without
the defence, as it must. The date is the run that produced the row.

| defence | code changed | test | result |
|---|---|---|---|
${rows.map(line).join("\n")}
`,
  );
}
const bad = rows.filter((r) => r.result !== "killed");
console.log(`${rows.length - bad.length} of ${rows.length} defences are shown by their tests`);
process.exit(bad.length ? 1 : 0);
