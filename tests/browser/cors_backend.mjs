// A partner backend on another origin than the test page, standing in for a provider's own
// backend (in any language) behind the package's wire contract. scripts/test.sh starts it before
// the browser tests and passes its URL to them (KLARNA_TEST_CORS_BACKEND, read when the tests
// are compiled). It binds 127.0.0.1 on a free port and prints `listening on <url>`.
//
//   GET  /login?run=R      sets the session cookie kpb_session=R (as the backend's own login)
//   POST /authorize?run=R  answers an approved Authorize reply, with the CORS headers the
//                          README lists (exact origin, credentials, POST, the request's headers)
//   POST /no-cors?run=R    the same reply without any CORS header: the browser refuses it
//   GET  /log?run=R        what run R sent: {posts: [{origin, cookie, csrf, idempotencyKey,
//                          body}], preflights: [{method, headers}]}
import { createServer } from "node:http";

const runs = new Map();
const runOf = (url) => {
  const run = url.searchParams.get("run") ?? "";
  if (!runs.has(run)) runs.set(run, { posts: [], preflights: [] });
  return runs.get(run);
};

/** The CORS headers a backend on another origin sends (README, "A backend on another origin"). */
function cors(request, allowedHeaders) {
  return {
    "Access-Control-Allow-Origin": request.headers.origin ?? "null",
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": allowedHeaders,
    "Access-Control-Max-Age": "600",
    Vary: "Origin",
  };
}

const APPROVED = JSON.stringify({
  payment_transaction_response: { result: "APPROVED", payment_transaction: { payment_transaction_id: "krn:payment:eu1:transaction:cors" } },
});

const server = createServer((request, response) => {
  const url = new URL(request.url, "http://127.0.0.1");
  const log = runOf(url);
  const allowed = "content-type, idempotency-key, x-csrf-token, x-shop";
  if (request.method === "OPTIONS") {
    log.preflights.push({
      method: request.headers["access-control-request-method"],
      headers: request.headers["access-control-request-headers"] ?? "",
    });
    response.writeHead(204, url.pathname === "/no-cors" ? {} : cors(request, allowed));
    return response.end();
  }
  if (request.method === "GET" && url.pathname === "/login") {
    response.writeHead(204, {
      ...cors(request, allowed),
      "Set-Cookie": `kpb_session=${url.searchParams.get("run")}; Path=/; HttpOnly; SameSite=Lax`,
    });
    return response.end();
  }
  if (request.method === "GET" && url.pathname === "/log") {
    response.writeHead(200, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" });
    return response.end(JSON.stringify(log));
  }
  if (request.method === "POST" && (url.pathname === "/authorize" || url.pathname === "/no-cors")) {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      log.posts.push({
        origin: request.headers.origin,
        cookie: request.headers.cookie,
        csrf: request.headers["x-csrf-token"],
        idempotencyKey: request.headers["idempotency-key"],
        body,
      });
      const headers = { "Content-Type": "application/json" };
      response.writeHead(200, url.pathname === "/no-cors" ? headers : { ...headers, ...cors(request, allowed) });
      response.end(APPROVED);
    });
    return undefined;
  }
  response.writeHead(404).end();
  return undefined;
});

server.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
