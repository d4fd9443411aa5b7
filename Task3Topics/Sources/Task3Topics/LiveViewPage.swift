/// The live view's web page: one HTML document with its CSS and JavaScript inside, so the
/// server binary is all there is to ship and the page works with no network beyond the
/// broker's machine.
///
/// The page arrives with the state of the moment inside it, so it shows the broker at once.
/// Its script then opens `/events` (server-sent events: the browser's `EventSource` keeps one
/// HTTP response open and hands the script each `data:` line) and redraws from each state.
/// It builds every element with `textContent`, never `innerHTML`: client names and topics
/// are chosen by whoever connects, and must never be taken for markup.
public enum LiveViewPage {
  /// The page with `state` (a `LiveViewState` as JSON) inside it.
  public static func html(embedding state: [UInt8]) -> [UInt8] {
    // The JSON sits in a <script> element, which the text `</script>` would end, and a topic
    // may contain that text. `<` occurs in JSON only inside strings, where `\u003c` means
    // the same character.
    var escaped: [UInt8] = []
    escaped.reserveCapacity(state.count + 64)
    for byte in state {
      if byte == UInt8(ascii: "<") {
        escaped += Array(#"\u003c"#.utf8)
      } else {
        escaped.append(byte)
      }
    }
    return Array(templateParts[0].utf8) + escaped + Array(templateParts[1].utf8)
  }

  /// The template before and after the place of the state.
  private static let templateParts = template.components(separatedBy: "{{initial state}}")

  /// The policy sent with the page: nothing may be loaded from elsewhere, and the page may
  /// talk to the server it came from only.
  public static let contentSecurityPolicy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    + "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
    + "frame-ancestors 'none'"

  /// The page, with `{{initial state}}` where the state goes.
  private static let template = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Broker live view</title>
    <link rel="icon" href="data:,">
    <style>
    :root {
      --bg: #f3f5f9; --panel: #fff; --ink: #1c2230; --muted: #667085; --line: #e3e7ef;
      --in: #2764d8; --out: #e0741b; --ok: #168a4a; --warn: #b7791f; --bad: #cc3d3d;
    }
    * { box-sizing: border-box; }
    body {
      margin: 0; background: var(--bg); color: var(--ink);
      font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
    }
    header {
      display: flex; align-items: baseline; gap: 14px; padding: 14px 24px;
      background: #1c2230; color: #fff;
    }
    header h1 { font-size: 19px; margin: 0; font-weight: 600; }
    header .meta { color: #aeb7c8; font-size: 13px; }
    #status { margin-left: auto; display: flex; align-items: center; gap: 7px; font-size: 13px; }
    #status .dot { width: 10px; height: 10px; border-radius: 50%; background: #8a93a5; }
    #status.live .dot { background: #3ddc84; box-shadow: 0 0 0 3px rgba(61, 220, 132, .25); }
    main {
      display: grid; grid-template-columns: repeat(12, 1fr); gap: 16px;
      max-width: 1280px; margin: 0 auto; padding: 18px 24px;
    }
    .tiles { grid-column: 1 / -1; display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; }
    .tile { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 9px 14px; }
    .tile .label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .05em; }
    .tile .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
    .tile.in .value { color: var(--in); }
    .tile.out .value { color: var(--out); }
    section {
      grid-column: span 6; min-width: 0; background: var(--panel);
      border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
    }
    section.wide { grid-column: span 7; }
    section.narrow { grid-column: span 5; }
    section.full { grid-column: 1 / -1; }
    section[hidden] { display: none; }
    h2 {
      display: flex; gap: 12px; align-items: baseline; margin: 0 0 8px;
      font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .05em;
      color: var(--muted);
    }
    h2 .aside { margin-left: auto; text-transform: none; letter-spacing: 0; font-weight: 400; }
    table { width: 100%; border-collapse: collapse; }
    th, td { text-align: left; padding: 5px 6px; border-bottom: 1px solid var(--line); vertical-align: middle; }
    th { font-weight: 600; color: var(--muted); font-size: 12px; }
    td.number { font-variant-numeric: tabular-nums; text-align: right; width: 1%; white-space: nowrap; }
    .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
    .muted { color: var(--muted); }
    .chip {
      display: inline-block; margin: 1px 4px 1px 0; padding: 0 7px; border-radius: 10px;
      background: #eef2fb; border: 1px solid #d5ddef;
      font: 12px/1.6 ui-monospace, "DejaVu Sans Mono", monospace;
    }
    .badge {
      display: inline-block; padding: 1px 6px; border-radius: 4px; white-space: nowrap;
      font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .03em;
      background: #eceff4; color: #4a5263;
    }
    .badge.publisher { background: #e5eeff; color: var(--in); }
    .badge.subscriber { background: #fff0e2; color: #b35a10; }
    .badge.join, .badge.primary { background: #e2f5e9; color: var(--ok); }
    .badge.subscription, .badge.backup { background: #e5eeff; color: var(--in); }
    .badge.slow-consumer { background: #fff4d6; color: var(--warn); }
    .badge.error, .badge.down { background: #fde7e7; color: var(--bad); }
    .badge.message { background: #f1e9ff; color: #6b3fc4; }
    .bar { height: 8px; border-radius: 4px; background: var(--in); min-width: 3px; }
    td.bar-cell { width: 40%; }
    .empty { color: var(--muted); font-style: italic; }
    #activity { list-style: none; margin: 0; padding: 0; max-height: 380px; overflow: auto; font-size: 13px; }
    #activity li { display: flex; gap: 8px; align-items: baseline; padding: 4px 0; border-bottom: 1px solid var(--line); }
    #activity .text { overflow-wrap: anywhere; }
    #chart { width: 100%; height: auto; display: block; }
    #chart text { font-size: 11px; fill: var(--muted); font-family: inherit; }
    #chart .grid { stroke: var(--line); stroke-width: 1; }
    #chart .series { fill: none; stroke-width: 2.2; stroke-linejoin: round; }
    .legend { display: inline-flex; gap: 14px; }
    .legend span::before {
      content: ""; display: inline-block; width: 14px; height: 3px; margin-right: 5px;
      vertical-align: middle; background: currentColor; border-radius: 2px;
    }
    @media (max-width: 900px) {
      .tiles { grid-template-columns: repeat(3, 1fr); }
      section, section.wide, section.narrow { grid-column: 1 / -1; }
    }
    </style>
    </head>
    <body>
    <header>
      <h1 id="title">Broker</h1>
      <span class="meta" id="meta"></span>
      <div id="status"><span class="dot"></span><span id="status-text">connecting…</span></div>
    </header>
    <main>
      <div class="tiles">
        <div class="tile"><div class="label">Clients</div><div class="value" id="total-clients">–</div></div>
        <div class="tile"><div class="label">Topics</div><div class="value" id="total-topics">–</div></div>
        <div class="tile in"><div class="label">In per second</div><div class="value" id="in-rate">–</div></div>
        <div class="tile out"><div class="label">Out per second</div><div class="value" id="out-rate">–</div></div>
        <div class="tile"><div class="label">Messages in</div><div class="value" id="messages-in">–</div></div>
        <div class="tile"><div class="label">Messages out</div><div class="value" id="messages-out">–</div></div>
      </div>
      <section class="full" id="nodes-section" hidden>
        <h2>Broker nodes</h2>
        <table>
          <thead><tr><th>Node</th><th>Address</th><th>Role</th><th>Epoch</th><th>Replication lag</th></tr></thead>
          <tbody id="nodes"></tbody>
        </table>
      </section>
      <section class="wide">
        <h2>Messages per second, all topics
          <span class="aside legend"><span style="color: var(--in)">in (published)</span><span style="color: var(--out)">out (delivered)</span></span>
        </h2>
        <svg id="chart" viewBox="0 0 640 210" role="img" aria-label="messages per second over the last minute"></svg>
      </section>
      <section class="narrow">
        <h2>Messages per second, by topic <span class="aside">in · out · last minute</span></h2>
        <table>
          <thead><tr><th>Topic</th><th>In</th><th>Out</th><th></th></tr></thead>
          <tbody id="topic-rates"></tbody>
        </table>
      </section>
      <section class="narrow">
        <h2>Topics <span class="aside">subscription filters</span></h2>
        <table>
          <thead><tr><th>Filter</th><th>Subscribers</th><th></th></tr></thead>
          <tbody id="topics"></tbody>
        </table>
      </section>
      <section class="wide">
        <h2>Clients <span class="aside" id="clients-note"></span></h2>
        <table>
          <thead><tr><th>#</th><th>Name</th><th>Role</th><th>Subscribed to</th><th>From</th></tr></thead>
          <tbody id="clients"></tbody>
        </table>
      </section>
      <section class="narrow">
        <h2>Recent activity <span class="aside" id="activity-note"></span></h2>
        <ul id="activity"></ul>
      </section>
    </main>
    <script id="initial-state" type="application/json">{{initial state}}</script>
    <script>
    "use strict";
    const chartSeconds = 60;

    const byId = (id) => document.getElementById(id);

    /** Makes an element whose text is set as text, never parsed as markup. */
    function element(tag, className, text) {
      const node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined) node.textContent = String(text);
      return node;
    }

    /** A class name from a closed list, so text from the server cannot add others. */
    function known(word, words) {
      return words.includes(word) ? word : "other";
    }

    const count = (n) => Number(n).toLocaleString("en-US");

    function duration(milliseconds) {
      const s = Math.floor(milliseconds / 1000);
      const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
      if (h > 0) return `${h}h ${m}m`;
      if (m > 0) return `${m}m ${s % 60}s`;
      return `${s}s`;
    }

    function emptyRow(columns, text) {
      const row = element("tr");
      const cell = element("td", "empty", text);
      cell.colSpan = columns;
      row.append(cell);
      return row;
    }

    function renderHeader(state) {
      document.title = `${state.server.name} live view`;
      byId("title").textContent = state.server.name;
      byId("meta").textContent =
        `clients connect on port ${state.server.port} · up ${duration(state.server.uptimeMilliseconds)}`;
      const t = state.totals;
      byId("total-clients").textContent = count(t.clients);
      byId("total-topics").textContent = count(t.topics);
      byId("in-rate").textContent = count(t.inPerSecond);
      byId("out-rate").textContent = count(t.outPerSecond);
      byId("messages-in").textContent = count(t.messagesIn);
      byId("messages-out").textContent = count(t.messagesOut);
    }

    function renderClients(state) {
      const rows = state.clients.map((client) => {
        const row = element("tr");
        row.dataset.client = client.name;
        const role = element("td");
        role.append(element("span", "badge " + known(client.role, ["publisher", "subscriber"]), client.role));
        const topics = element("td");
        if (client.topics.length === 0) topics.append(element("span", "muted", "–"));
        for (const topic of client.topics) topics.append(element("span", "chip", topic));
        row.append(element("td", "muted", client.number), element("td", "", client.name), role, topics,
                   element("td", "mono muted", client.peer));
        return row;
      });
      if (rows.length === 0) rows.push(emptyRow(5, "No clients connected."));
      byId("clients").replaceChildren(...rows);
      const more = state.totals.clients - state.clients.length;
      byId("clients-note").textContent = more > 0 ? `first ${count(state.clients.length)} shown` : "";
    }

    function renderTopics(state) {
      const most = Math.max(1, ...state.topics.map((topic) => topic.subscribers));
      const rows = state.topics.map((topic) => {
        const row = element("tr");
        row.dataset.topic = topic.filter;
        const barCell = element("td", "bar-cell");
        const bar = element("div", "bar");
        bar.style.width = `${(100 * topic.subscribers) / most}%`;
        barCell.append(bar);
        row.append(element("td", "mono", topic.filter), element("td", "number", count(topic.subscribers)), barCell);
        return row;
      });
      if (rows.length === 0) rows.push(emptyRow(3, "No subscriptions yet."));
      byId("topics").replaceChildren(...rows);
    }

    function renderTopicRates(state) {
      const rates = Array.isArray(state.topicRates) ? state.topicRates : [];
      const rows = rates.map((rate) => {
        const row = element("tr");
        row.dataset.topic = rate.topic;
        const spark = svg("svg", { viewBox: "0 0 120 24", width: 120, height: 24, class: "spark" });
        const peak = Math.max(1, ...rate.recentIn);
        const points = rate.recentIn.map((value, index) =>
          `${(120 * index / Math.max(1, rate.recentIn.length - 1)).toFixed(1)},${(22 - 20 * value / peak).toFixed(1)}`);
        spark.append(svg("polyline", { fill: "none", "stroke-width": 1.5, stroke: "var(--in)", points: points.join(" ") }));
        const sparkCell = element("td");
        sparkCell.append(spark);
        row.append(element("td", "mono", rate.topic), element("td", "number", count(rate.inPerSecond)),
                   element("td", "number", count(rate.outPerSecond)), sparkCell);
        return row;
      });
      if (rows.length === 0) rows.push(emptyRow(4, "Nothing published yet."));
      byId("topic-rates").replaceChildren(...rows);
    }

    function renderActivity(state) {
      const kinds = ["join", "leave", "subscription", "slow-consumer", "error", "message"];
      const items = state.activity.slice().reverse().map((event) => {
        const item = element("li");
        item.append(element("span", "mono muted", event.time),
                    element("span", "badge " + known(event.kind, kinds), event.kind),
                    element("span", "text", event.text));
        return item;
      });
      if (items.length === 0) items.push(element("li", "empty", "Nothing has happened yet."));
      byId("activity").replaceChildren(...items);
      byId("activity-note").textContent =
        state.server.showsMessages ? "newest first" : "newest first · message texts hidden";
    }

    function renderNodes(state) {
      const section = byId("nodes-section");
      section.hidden = !Array.isArray(state.nodes);
      if (section.hidden) return;
      const rows = state.nodes.map((node) => {
        const row = element("tr");
        const role = element("td");
        role.append(element("span", "badge " + known(node.role, ["primary", "backup", "down"]), node.role));
        const lag = [];
        if (node.replicationLagMessages != null) lag.push(`${count(node.replicationLagMessages)} messages`);
        if (node.replicationLagMilliseconds != null) lag.push(`${count(node.replicationLagMilliseconds)} ms`);
        row.append(element("td", "", node.name + (node.isServingThisView ? " (this view)" : "")),
                   element("td", "mono", node.address), role, element("td", "number", node.epoch),
                   element("td", lag.length ? "" : "muted", lag.length ? lag.join(", ") : "–"));
        return row;
      });
      byId("nodes").replaceChildren(...rows);
    }

    /** The smallest of 1, 2, 5, 10, 20, 50, ... at or above `value`. */
    function niceStep(value) {
      for (let power = 1; ; power *= 10) {
        for (const factor of [1, 2, 5]) if (power * factor >= value) return power * factor;
      }
    }

    function svg(tag, attributes, text) {
      const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
      for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
      if (text !== undefined) node.textContent = text;
      return node;
    }

    /** Draws `state.rates` (about one sample a second, recorded by the server). */
    function drawChart(state) {
      const width = 640, height = 210, left = 52, right = 10, top = 10, bottom = 24;
      const now = state.server.uptimeMilliseconds / 1000;
      const samples = state.rates.map((rate) => ({
        t: rate.uptimeMilliseconds / 1000, in: rate.inPerSecond, out: rate.outPerSecond,
      }));
      // The time axis covers the samples there are, from 10 seconds up to a minute.
      const first = samples.length > 0 ? samples[0].t : now;
      const span = Math.min(chartSeconds, Math.max(10, Math.ceil(now - first)));
      const shown = samples.filter((p) => p.t >= now - span);
      // Two to four grid steps of a round size, so every label is a whole number.
      const peak = Math.max(1, ...shown.map((p) => Math.max(p.in, p.out)));
      const step = niceStep(peak / 4);
      const steps = Math.max(2, Math.ceil(peak / step));
      const x = (t) => left + (width - left - right) * (1 - (now - t) / span);
      const y = (v) => top + (height - top - bottom) * (1 - v / (steps * step));
      const parts = [];
      for (let i = 0; i <= steps; i++) {
        parts.push(svg("line", { class: "grid", x1: left, x2: width - right, y1: y(i * step), y2: y(i * step) }));
        parts.push(svg("text", { x: left - 6, y: y(i * step) + 4, "text-anchor": "end" }, count(i * step)));
      }
      const labelEvery = span > 40 ? 15 : span > 20 ? 10 : 5;
      for (let ago = Math.floor(span / labelEvery) * labelEvery; ago >= 0; ago -= labelEvery) {
        parts.push(svg("text", { x: x(now - ago), y: height - 6, "text-anchor": "middle" },
                       ago === 0 ? "now" : `-${ago}s`));
      }
      for (const [key, colour] of [["out", "var(--out)"], ["in", "var(--in)"]]) {
        const points = shown.map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`);
        parts.push(svg("polyline", { class: "series", stroke: colour, points: points.join(" ") }));
      }
      byId("chart").replaceChildren(...parts);
    }

    function render(state) {
      renderHeader(state);
      renderNodes(state);
      drawChart(state);
      renderTopicRates(state);
      renderTopics(state);
      renderClients(state);
      renderActivity(state);
    }

    function setLive(isLive) {
      byId("status").classList.toggle("live", isLive);
      byId("status-text").textContent = isLive ? "live" : "reconnecting…";
    }

    render(JSON.parse(byId("initial-state").textContent));
    const events = new EventSource("/events");
    events.onmessage = (message) => {
      setLive(true);
      render(JSON.parse(message.data));
    };
    // The browser reconnects by itself (after the `retry:` delay); just say so meanwhile.
    events.onerror = () => setLive(false);
    </script>
    </body>
    </html>
    """#
}
