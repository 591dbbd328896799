// The client-matrix flow with OANDA's JavaScript client (@oanda/v20), unmodified: only host, port, ssl=false
// and the token are set. Usage: node flow.js HOST PORT TOKEN ACCOUNT_ID ADMIN_TOKEN STEP_SECONDS SL_DISTANCE TP_DISTANCE
// Prints one JSON document with the raw bodies the Python test checks. The market clock is stepped with
// plain node http (the test harness, not the client).
"use strict";

const http = require("http");
const { Context } = require("@oanda/v20/context");

const [host, port, token, accountID, adminToken, stepSeconds, slDistance, tpDistance] = process.argv.slice(2);
const INSTRUMENT = "EUR_USD";

const ctx = new Context(host, Number(port), false, "leverlab-client-matrix");
ctx.setToken(token);
const streamCtx = new Context(host, Number(port), false, "leverlab-client-matrix");
streamCtx.setToken(token);

function call(fn, ...args) {
  // a v20 call as a promise of {status, raw}
  return new Promise((resolve, reject) => {
    try {
      fn(...args, (response) => {
        resolve({ status: Number(response.statusCode), raw: JSON.parse(response.rawBody), body: response.body });
      });
    } catch (err) {
      reject(err);
    }
  });
}

function advance(seconds) {
  const payload = JSON.stringify({ seconds: Number(seconds) });
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method: "POST", path: "/admin/clock",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + adminToken,
                 "Content-Length": Buffer.byteLength(payload) } }, (res) => {
      let data = "";
      res.on("data", (d) => { data += d; });
      res.on("end", () => res.statusCode === 200 ? resolve(JSON.parse(data))
                                               : reject(new Error("clock advance: " + res.statusCode + " " + data)));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

function clientStreamBug() {
  // @oanda/v20 3.0.25-0's own pricing.stream builds each PRICE line with `new Price(msg)`, a class its
  // pricing.js never imports (upstream issues #7, #15, #17; fix PR #16 unmerged): the first PRICE line
  // throws inside the socket's data handler, against OANDA's own service as here. Record what it throws.
  return new Promise((resolve) => {
    let first = null;
    const onError = (err) => {
      if (first === null) { first = String(err); resolve(first); return; }
      // the aborted parse surfaces once more as an 'error' of the probe's request, which the client gives
      // no handle to; anything else is a real failure
      if (err && (err.code === "HPE_JS_EXCEPTION" || String(err) === first)) return;
      process.stderr.write(String(err && err.stack || err) + "\n");
      process.exit(1);
    };
    process.on("uncaughtException", onError);
    const probe = new Context(host, Number(port), false, "leverlab-client-matrix");
    probe.setToken(token);
    probe.pricing.stream(accountID, { instruments: INSTRUMENT, snapshot: true },
      (msg) => { if (msg instanceof probe.pricing.ClientPrice) { onError("no error: a ClientPrice"); } },
      () => {});
  });
}

function streamPrices() {
  // the snapshot price, then a later one after the clock has stepped; through the client's own transport
  // (Context.request: its chunked-line splitting), each line parsed into its ClientPrice type
  return new Promise((resolve, reject) => {
    const prices = [];
    let done = false;
    const path = "/v3/accounts/" + accountID + "/pricing/stream?instruments=" + INSTRUMENT + "&snapshot=true&";
    streamCtx.request("GET", path, {}, (chunk) => {
      if (done) return;
      let msg;
      try { msg = JSON.parse(chunk); } catch (err) { done = true; reject(new Error("bad stream line: " + chunk)); return; }
      if (msg.type !== "PRICE") return;
      const price = new streamCtx.pricing.ClientPrice(msg);
      if (price.instrument !== INSTRUMENT || price.bids[0].price === undefined) {
        done = true; reject(new Error("ClientPrice did not parse: " + chunk)); return;
      }
      prices.push(msg);
      if (prices.length === 1) {
        advance(stepSeconds).catch((err) => { done = true; reject(err); });
      } else if (msg.time > prices[0].time) {
        done = true;
        resolve(prices);
      }
      if (prices.length >= 50) { done = true; reject(new Error("no later price after the clock stepped")); }
    }, (response) => { if (!done) { done = true; reject(new Error("stream ended: " + response.statusCode)); } });
  });
}

function dec(x, d) { return (Math.round(x * 1e5) + d) / 1e5; }

async function main() {
  const out = {};
  const accounts = await call(ctx.account.list.bind(ctx.account));
  out.accounts = accounts.raw;
  out.clientStreamBug = await clientStreamBug();
  out.prices = await streamPrices();
  const last = out.prices[out.prices.length - 1];
  const sl = dec(Number(last.bids[0].price), -Math.round(Number(slDistance) * 1e5)).toFixed(5);
  const tp = dec(Number(last.asks[0].price), Math.round(Number(tpDistance) * 1e5)).toFixed(5);
  out.sl = sl; out.tp = tp;
  const created = await call(ctx.order.market.bind(ctx.order), accountID,
    { instrument: INSTRUMENT, units: 1000, stopLossOnFill: { price: sl }, takeProfitOnFill: { price: tp } });
  out.create = created;
  if (created.status !== 201) throw new Error("order: " + JSON.stringify(created.raw));
  // the client parsed the fill into its own types
  const tradeID = created.body.orderFillTransaction.tradeOpened.tradeID;
  out.openTrades = await call(ctx.trade.listOpen.bind(ctx.trade), accountID);
  let state = "OPEN";
  for (let n = 0; n < 2000 && state !== "CLOSED"; n++) {
    await advance(stepSeconds);
    const trade = await call(ctx.trade.get.bind(ctx.trade), accountID, tradeID);
    state = trade.body.trade.state;
  }
  out.closedState = state;
  out.since = await call(ctx.transaction.since.bind(ctx.transaction), accountID,
                         { id: created.body.orderFillTransaction.id });
  out.again = await call(ctx.order.market.bind(ctx.order), accountID, { instrument: INSTRUMENT, units: 1000 });
  out.close = await call(ctx.position.close.bind(ctx.position), accountID, INSTRUMENT, { longUnits: "ALL" });
  out.openPositions = await call(ctx.position.listOpen.bind(ctx.position), accountID);
  for (const k of ["create", "openTrades", "since", "again", "close", "openPositions"]) delete out[k].body;
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0);  // the price stream's socket would keep node alive: the client offers no way to close it
}

main().catch((err) => { process.stderr.write(String(err && err.stack || err) + "\n"); process.exit(1); });
