/* leverlab demo broker: one account's page. Renders the state the server streams (server-sent events,
   /dashboard/api/accounts/{id}/stream), draws the equity and margin-level charts with uPlot, sends
   orders, closes and copy subscriptions as JSON. No build step, nothing loaded from elsewhere. */
(function () {
  "use strict";
  var state = JSON.parse(document.getElementById("initial-state").textContent);
  var id = state.account.id;
  var api = "/dashboard/api/accounts/" + encodeURIComponent(id);
  var MAX_POINTS = 2000;

  function $(sel) { return document.querySelector(sel); }
  function esc(s) {
    return String(s === undefined || s === null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function num(s) { var x = parseFloat(s); return isFinite(x) ? x : null; }
  function money(s) {
    var x = num(s);
    return x === null ? esc(s) : x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function signed(s) {
    var x = num(s), cls = x > 0 ? "pos" : x < 0 ? "neg" : "";
    return '<span class="' + cls + '">' + money(s) + "</span>";
  }
  function when(t) { return esc(String(t || "").replace("T", " ").replace(/\.\d+Z$/, "")); }
  function rows(sel, html, empty, cols) {
    $(sel + " tbody").innerHTML = html || '<tr><td class="muted" colspan="' + cols + '">' + empty + "</td></tr>";
  }

  // ---- charts
  var times = [], equity = [], balance = [], level = [], mcLine = [], soLine = [];
  function width(el) { return Math.max(260, el.clientWidth - 4); }
  function makeChart(el, series, y) {
    return new uPlot({ width: width(el), height: 200, series: series, legend: { show: true },
                       scales: { x: { time: true }, y: y || {} }, axes: [{}, { size: 60 }] },
                     [[]].concat(series.slice(1).map(function () { return []; })), el);
  }
  var eqChart = makeChart($("#equity-chart"), [{}, { label: "Equity", stroke: "#1f6feb", width: 2 },
                                              { label: "Balance", stroke: "#8b949e", width: 1, dash: [4, 4] }]);
  var mlChart = makeChart($("#margin-chart"), [{}, { label: "Margin level %", stroke: "#2da44e", width: 2 },
                                               { label: "Margin call", stroke: "#d29922", width: 1, dash: [6, 4] },
                                               { label: "Stop-out", stroke: "#cf222e", width: 1, dash: [6, 4] }],
                        { distr: 3 });  // log scale: a level of thousands of % and the lines near 0 % both show
  window.addEventListener("resize", function () {
    eqChart.setSize({ width: width($("#equity-chart")), height: 200 });
    mlChart.setSize({ width: width($("#margin-chart")), height: 200 });
  });
  function plot(s) {
    var a = s.account, t = s.t;
    if (times.length && t <= times[times.length - 1]) {  // same market time: replace the last point
      times.pop(); equity.pop(); balance.pop(); level.pop(); mcLine.pop(); soLine.pop();
    }
    times.push(t); equity.push(num(a.NAV)); balance.push(num(a.balance));
    function pos(x) { return x === null || x === undefined ? null : Math.max(x, 1); }  // a log scale needs > 0
    level.push(pos(a.marginLevel)); mcLine.push(pos(a.marginCallLevel)); soLine.push(pos(a.stopOutLevel));
    if (times.length > MAX_POINTS) { [times, equity, balance, level, mcLine, soLine].forEach(function (x) { x.shift(); }); }
    eqChart.setData([times, equity, balance]);
    mlChart.setData([times, level, mcLine, soLine]);
    window.leverlabEquity = equity;  // read by the browser tests
  }

  // ---- tables and figures
  function render(s) {
    var a = s.account;
    state = s;
    $("#clock").textContent = when(s.time);
    $("#balance").textContent = money(a.balance) + " " + a.currency;
    $("#equity").textContent = money(a.NAV) + " " + a.currency;
    $("#upl").innerHTML = signed(a.unrealizedPL);
    $("#margin-used").textContent = money(a.marginUsed);
    $("#free-margin").textContent = money(a.freeMargin);
    var lvl = a.marginLevel;
    $("#margin-level").textContent = lvl === null ? "– (no margin used)" : lvl.toFixed(2) + " %";
    var top = Math.max(200, (a.marginCallLevel || 0) * 2, a.stopOutLevel * 2);
    function pos(x) { return Math.min(100, Math.max(0, 100 * x / top)) + "%"; }
    $("#gauge-bar").style.width = lvl === null ? "100%" : pos(lvl);
    $("#gauge-bar").className = lvl !== null && lvl <= a.stopOutLevel ? "bad" : lvl !== null && a.marginCallLevel !== null && lvl <= a.marginCallLevel ? "warn" : "";
    $("#gauge-so").style.left = pos(a.stopOutLevel);
    $("#gauge-mc").style.left = a.marginCallLevel === null ? "-10px" : pos(a.marginCallLevel);

    rows("#prices", s.prices.map(function (p) {
      return "<tr><td>" + esc(p.instrument) + (p.tradeable ? "" : ' <span class="muted">closed</span>') +
        '</td><td class="num">' + esc(p.bid) + '</td><td class="num">' + esc(p.ask) + "</td><td>" + when(p.time) + "</td></tr>";
    }).join(""), "no prices yet", 4);
    rows("#trades", s.trades.map(function (t) {
      var sltp = [t.stopLossOrder ? "SL " + esc(t.stopLossOrder.price) : "", t.takeProfitOrder ? "TP " + esc(t.takeProfitOrder.price) : ""].filter(Boolean).join(" · ");
      var copy = t.clientExtensions && t.clientExtensions.tag === "copy" ? ' <span class="tag">copy</span>' : "";
      return '<tr data-trade="' + esc(t.id) + '"><td>' + esc(t.id) + copy + "</td><td>" + esc(t.instrument) + '</td><td class="num">' + esc(t.currentUnits) +
        '</td><td class="num">' + esc(t.price) + '</td><td class="num">' + signed(t.unrealizedPL) + '</td><td class="num">' + money(t.marginUsed) +
        "</td><td>" + sltp + '</td><td><button class="close small" data-close="' + esc(t.id) + '">Close</button></td></tr>';
    }).join(""), "no open trades", 8);
    rows("#orders", s.orders.map(function (o) {
      return "<tr><td>" + esc(o.id) + "</td><td>" + esc(o.type) + "</td><td>" + esc(o.instrument || "") + '</td><td class="num">' + esc(o.units || "") +
        '</td><td class="num">' + esc(o.price || o.distance || "") + "</td><td>" + esc(o.tradeID || "") +
        '</td><td><button class="small secondary" data-cancel="' + esc(o.id) + '">Cancel</button></td></tr>';
    }).join(""), "no pending orders", 7);
    rows("#txns", s.transactions.map(function (x) {
      var d = [x.instrument, x.units, x.price ? "@ " + x.price : "", x.reason, x.rejectReason, x.pl && x.pl !== "0.0000" ? "P&L " + x.pl : "",
               x.amount ? "amount " + x.amount : "", x.clientExtensions && x.clientExtensions.tag === "copy" ? "(copy)" : ""].filter(Boolean).join(" ");
      return "<tr><td>" + esc(x.id) + "</td><td>" + when(x.time) + "</td><td>" + esc(x.type) + "</td><td>" + esc(d) +
        '</td><td class="num">' + (x.accountBalance ? money(x.accountBalance) : "") + "</td></tr>";
    }).join(""), "no transactions", 5);

    var c = s.copy || { subscription: null, followers: [], copies: [] }, sub = c.subscription;
    var text = sub ? (sub.state === "COPYING" ? "Copying " : "Stopped copying ") + sub.masterID + ": " + sub.description +
      (sub.stoppedTime ? " (stopped " + when(sub.stoppedTime) + ")" : "") : "Not copying anyone.";
    if (c.followers.length) text += " Copied by " + c.followers.join(", ") + ".";
    $("#copy-state").textContent = text;
    rows("#copies", c.copies.slice(0, 50).map(function (r) {
      return "<tr><td>" + when(r.time) + "</td><td>" + esc(r.action) + "</td><td>" + esc(r.instrument || "") + "</td><td>" +
        esc(r.masterTradeID || "") + '</td><td class="num">' + esc(r.masterUnits || "") + '</td><td class="num">' + esc(r.units) +
        '</td><td class="st-' + esc(r.status) + '">' + esc(r.status) + "</td><td>" + esc(r.reason) + "</td></tr>";
    }).join(""), "no copies yet", 8);
    plot(s);
  }

  // ---- actions
  function send(method, path, body) {
    return fetch(api + path, { method: method, credentials: "same-origin",
                               headers: { "Content-Type": "application/json", "X-Leverlab-Dashboard": "1" },
                               body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, status: r.status, body: j }; }); });
  }
  function say(sel, text, bad) { var el = $(sel); el.textContent = text; el.className = bad ? "error" : "ok"; }
  function outcome(r) {
    var b = r.body;
    if (!r.ok) return [b.errorMessage || ("HTTP " + r.status), true];
    if (b.orderFillTransaction) {
      var f = b.orderFillTransaction;
      return ["Filled " + f.units + " " + f.instrument + " at " + f.price + " (transaction " + f.id + ")", false];
    }
    if (b.orderCancelTransaction) return ["Order cancelled: " + b.orderCancelTransaction.reason, true];
    if (b.orderCreateTransaction) return ["Order " + b.orderCreateTransaction.id + " placed", false];
    return ["Done", false];
  }
  function order(sign) {
    var units = $("#o-units").value.trim().replace(/^[-+]/, "");
    var body = { instrument: $("#o-instrument").value, type: $("#o-type").value, units: (sign < 0 ? "-" : "") + units,
                 price: $("#o-price").value, stopLoss: $("#o-sl").value, takeProfit: $("#o-tp").value };
    say("#status", "Sending…", false);
    send("POST", "/orders", body).then(function (r) { var o = outcome(r); say("#status", o[0], o[1]); refresh(); },
                                       function (e) { say("#status", String(e), true); });
  }
  $("#buy").addEventListener("click", function () { order(1); });
  $("#sell").addEventListener("click", function () { order(-1); });
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.getAttribute && t.getAttribute("data-close")) {
      send("POST", "/trades/" + encodeURIComponent(t.getAttribute("data-close")) + "/close").then(function (r) {
        var o = outcome(r); say("#status", o[0].replace("Filled", "Closed"), o[1]); refresh();
      });
    } else if (t.getAttribute && t.getAttribute("data-cancel")) {
      send("POST", "/orders/" + encodeURIComponent(t.getAttribute("data-cancel")) + "/cancel").then(function (r) {
        say("#status", r.ok ? "Order cancelled" : r.body.errorMessage, !r.ok); refresh();
      });
    }
  });
  $("#copy-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { master: $("#c-master").value.trim(), rule: $("#c-rule").value };
    [["value", "#c-value"], ["minLots", "#c-min"], ["maxLots", "#c-max"], ["stopCopyEquity", "#c-stop"]].forEach(function (p) {
      var v = $(p[1]).value.trim(); if (v !== "") body[p[0]] = v;
    });
    send("PUT", "/copy", body).then(function (r) {
      say("#copy-status", r.ok ? "Copying " + body.master : r.body.errorMessage, !r.ok); refresh();
    });
  });
  $("#copy-stop").addEventListener("click", function () {
    send("DELETE", "/copy").then(function (r) { say("#copy-status", r.ok ? "Stopped copying" : r.body.errorMessage, !r.ok); refresh(); });
  });
  function refresh() {
    fetch(api, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) render(s); });
  }

  // ---- the stream
  render(state);
  var live = $("#live");
  var es = new EventSource(api + "/stream");
  es.onmessage = function (ev) { live.className = "dot on"; render(JSON.parse(ev.data)); };
  es.onerror = function () { live.className = "dot"; };
})();
