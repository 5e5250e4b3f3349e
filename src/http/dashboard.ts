// The operator dashboard: one self-contained HTML page (no CDN, nothing downloaded; embedded in the binary as a
// string). It polls the JSON endpoints every 5 s and draws with inline SVG: chain status and the activity
// cutoff, vtrust, a chart of weights over time, the miner table, the latest rounds (prompt, answers, consensus,
// rewards) and the latest heatmaps.
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quorum validator</title>
<link rel="icon" href="data:,">
<style>
  :root { --bg:#0f1419; --card:#182029; --fg:#e6e9ec; --dim:#8d98a5; --acc:#4fb3ff; --ok:#3fb950; --bad:#f85149; --warn:#d29922; }
  * { box-sizing: border-box; }
  body { margin:0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
  header { display:flex; gap:16px; align-items:baseline; padding:12px 20px; border-bottom:1px solid #26303b; flex-wrap:wrap; }
  header h1 { font-size:18px; margin:0; }
  .pill { padding:2px 8px; border-radius:10px; background:#26303b; color:var(--dim); font-size:12px; }
  .pill.ok { background:#1b3a24; color:var(--ok); } .pill.bad { background:#3d1d1d; color:var(--bad); }
  main { display:grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap:16px; padding:16px 20px; }
  section { background:var(--card); border-radius:8px; padding:12px 14px; min-width:0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size:14px; margin:0 0 8px; color:var(--dim); font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
  table { width:100%; border-collapse:collapse; font-size:13px; }
  th, td { text-align:left; padding:4px 6px; border-bottom:1px solid #26303b; white-space:nowrap; }
  th { color:var(--dim); font-weight:500; }
  td.num { text-align:right; font-variant-numeric: tabular-nums; }
  .kv { display:grid; grid-template-columns: max-content 1fr; gap:4px 14px; }
  .kv div:nth-child(odd) { color:var(--dim); }
  .bar { height:8px; background:#26303b; border-radius:4px; overflow:hidden; min-width:60px; }
  .bar > span { display:block; height:100%; background:var(--acc); }
  td.record.copier, td.record.astray { color:#f0883e; font-weight:600; }
  td.record.clean { color:#3fb950; }
  .round { border-top:1px solid #26303b; padding:8px 0; }
  .prompt { font-style:italic; color:#c9d1d9; margin:2px 0 6px; }
  .answer { color:var(--dim); font-size:12px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; max-width:100%; }
  .heatmaps { display:flex; gap:12px; flex-wrap:wrap; }
  .heatmaps figure { margin:0; background:#fff; border-radius:6px; padding:4px; }
  .heatmaps img { display:block; max-width:360px; height:auto; }
  .heatmaps figcaption { color:#333; font-size:11px; text-align:center; }
  .muted { color:var(--dim); }
  svg text { fill: var(--dim); font-size: 11px; }
</style>
</head>
<body>
<header>
  <h1>Quorum validator</h1>
  <span id="mode" class="pill">…</span>
  <span id="run" class="pill">…</span>
  <span id="chainpill" class="pill">…</span>
  <span id="model" class="pill">…</span>
  <span id="updated" class="muted"></span>
</header>
<main>
  <section>
    <h2>Chain</h2>
    <div class="kv" id="chain"><div>status</div><div>loading…</div></div>
    <div style="margin-top:10px" id="cutoff"></div>
  </section>
  <section>
    <h2>Weights over time</h2>
    <div id="wchart"></div>
  </section>
  <section class="wide">
    <h2>Miners</h2>
    <table id="miners"><thead><tr>
      <th>uid</th><th>hotkey</th><th>entity</th><th class="num">rank</th><th class="num">stake</th><th class="num">trust</th>
      <th class="num">aggregate</th><th>weight</th><th class="num">availability</th><th class="num">in flight</th><th>tier</th><th>record</th><th>last answer</th><th>filtered (24 h)</th>
    </tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Latest rounds</h2>
    <div id="rounds" class="muted">no round yet</div>
  </section>
  <section>
    <h2>Heatmaps (cosine similarity)</h2>
    <div id="heatmaps" class="heatmaps muted">no heatmap yet</div>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&":"&amp;", "<":"&lt;", ">":"&gt;", '"':"&quot;", "'":"&#39;" })[c]);
const num = (x, d = 3) => (x === null || x === undefined || !Number.isFinite(x)) ? "–" : Number(x).toFixed(d);
const short = (s) => s ? (s.length > 12 ? s.slice(0, 6) + "…" + s.slice(-4) : s) : "–";
const ago = (iso) => { if (!iso) return "–"; const s = Math.round((Date.now() - Date.parse(iso)) / 1000); return s < 90 ? s + " s ago" : Math.round(s / 60) + " min ago"; };
const COLORS = ["#4fb3ff","#3fb950","#d29922","#f85149","#a371f7","#ff7b72","#79c0ff","#56d364","#e3b341","#db61a2"];
const get = async (path) => { const r = await fetch(path, { cache: "no-store" }); if (!r.ok) throw new Error(path + " " + r.status); return r.json(); };

function pill(el, text, cls) { el.textContent = text; el.className = "pill" + (cls ? " " + cls : ""); }

function drawChain(state, weights) {
  const c = state.chain, v = state.vtrust, sub = weights.last_submission || {};
  const ok = sub.ok || null;
  const rows = [
    ["status", c ? (c.connected ? "connected" : "disconnected") : (state.has_chain ? "waiting" : "no chain (dry run)")],
    ["best block", c && c.best_block !== null ? c.best_block : "–"],
    ["last update (block)", c && c.last_update !== null ? c.last_update : "–"],
    ["blocks since update", c && c.blocks_since_update !== null ? c.blocks_since_update : "–"],
    ["blocks to cutoff", c && c.blocks_to_cutoff !== null ? c.blocks_to_cutoff : "–"],
    ["vtrust estimate", v && v.value !== null ? num(v.value, 4) + " (" + v.validators + " validators)" : "–"],
    ["last submission", ok ? ok.kind + (ok.blockHash ? " in " + short(ok.blockHash) : "") : (sub.error ? "failed: " + sub.error._tag : "none yet")],
    ["submissions", sub.attempts ?? 0],
    ["last round", state.last_round_at ? ago(state.last_round_at) : "–"]
  ];
  $("chain").innerHTML = rows.map(([k, val]) => "<div>" + esc(k) + "</div><div>" + esc(val) + "</div>").join("");
  if (c && c.activity_cutoff && c.blocks_since_update !== null) {
    const f = Math.min(1, c.blocks_since_update / c.activity_cutoff);
    const col = f > 0.8 ? "var(--bad)" : f > 0.5 ? "var(--warn)" : "var(--ok)";
    $("cutoff").innerHTML = '<div class="muted">activity cutoff: ' + c.blocks_since_update + " / " + c.activity_cutoff + ' blocks</div><div class="bar"><span style="width:' + (f * 100).toFixed(1) + "%;background:" + col + '"></span></div>';
  }
  pill($("chainpill"), c ? (c.connected ? "chain: block " + c.best_block : "chain: down") : (state.has_chain ? "chain: …" : "chain: none"), c ? (c.connected ? "ok" : "bad") : "");
}

function drawWeights(history) {
  const W = 420, H = 180, L = 34, B = 20;
  if (!history.length) { $("wchart").innerHTML = '<div class="muted">no weights yet</div>'; return; }
  const uids = [...new Set(history.flatMap((h) => h.weights.map((w) => w.uid)))].sort((a, b) => a - b);
  const t0 = history[0].at, t1 = history[history.length - 1].at || t0 + 1;
  const maxW = Math.max(0.01, ...history.flatMap((h) => h.weights.map((w) => w.weight)));
  const x = (t) => L + (t1 === t0 ? 0 : (t - t0) / (t1 - t0)) * (W - L - 6);
  const y = (w) => H - B - (w / maxW) * (H - B - 8);
  let svg = '<svg viewBox="0 0 ' + W + " " + H + '" width="100%" role="img" aria-label="weights over time">';
  svg += '<line x1="' + L + '" y1="' + (H - B) + '" x2="' + W + '" y2="' + (H - B) + '" stroke="#26303b"/>';
  svg += '<text x="2" y="12">' + num(maxW, 2) + '</text><text x="2" y="' + (H - B) + '">0</text>';
  svg += '<text x="' + L + '" y="' + (H - 4) + '">' + new Date(t0).toLocaleTimeString() + '</text>';
  svg += '<text x="' + (W - 60) + '" y="' + (H - 4) + '">' + new Date(t1).toLocaleTimeString() + '</text>';
  uids.forEach((uid, k) => {
    const pts = history.map((h) => { const w = h.weights.find((e) => e.uid === uid); return x(h.at).toFixed(1) + "," + y(w ? w.weight : 0).toFixed(1); });
    svg += '<polyline class="wline" fill="none" stroke-width="1.5" stroke="' + COLORS[k % COLORS.length] + '" points="' + pts.join(" ") + '"><title>uid ' + uid + "</title></polyline>";
  });
  svg += "</svg>";
  const legend = uids.map((uid, k) => '<span style="color:' + COLORS[k % COLORS.length] + '">■ ' + uid + "</span>").join(" ");
  $("wchart").innerHTML = svg + '<div class="muted" style="font-size:12px">' + legend + "</div>";
}

function recordCell(r) {
  if (!r) return "<td>–</td>";
  const title = r.rounds + " rounds: " + r.paid + " paid, " + r.copies + " with copy evidence, " + r.astray + " off their prompt";
  return '<td class="record ' + esc(r.standing) + '" title="' + esc(title) + '">' + esc(r.standing) + "</td>";
}

function drawMiners(miners) {
  const maxW = Math.max(0.0001, ...miners.map((m) => m.weight));
  $("miners").querySelector("tbody").innerHTML = miners.map((m) => {
    const reasons = Object.entries(m.filter_reasons || {}).map(([k, n]) => esc(k) + "×" + n).join(", ") || "–";
    return "<tr class=\\"miner\\"><td>" + m.uid + "</td><td title=\\"" + esc(m.hotkey) + "\\">" + esc(short(m.hotkey)) + "</td>" +
      "<td title=\\"" + esc(m.coldkey) + "\\">" + esc(m.ip ?? "–") + " / " + esc(short(m.coldkey)) + "</td>" +
      '<td class="num">' + (m.rank ?? "–") + '</td><td class="num">' + num(m.stake, 2) + '</td><td class="num">' + num(m.trust) + "</td>" +
      '<td class="num">' + num(m.aggregate) + '</td><td><div class="bar" title="' + num(m.weight, 4) + '"><span style="width:' + (100 * m.weight / maxW).toFixed(1) + '%"></span></div></td>' +
      '<td class="num">' + num(m.availability, 2) + '</td><td class="num">' + (m.in_flight ?? 0) + "</td><td>" + esc(m.tier ?? "–") + "</td>" + recordCell(m.record) + "<td>" + ago(m.last_answer_at) + "</td><td>" + reasons + "</td></tr>";
  }).join("");
}

function rewardBars(result) {
  const ms = [...result.miners].sort((a, b) => b.reward - a.reward);
  const cons = new Set(result.consensus);
  const W = 380, row = 14, H = ms.length * row + 4;
  let svg = '<svg viewBox="0 0 ' + W + " " + H + '" width="100%">';
  ms.forEach((m, i) => {
    const y = i * row + 2, w = Math.max(0, m.reward) * (W - 150);
    svg += '<text x="0" y="' + (y + 10) + '">uid ' + m.uid + (cons.has(m.uid) ? " ●" : "") + '</text>';
    svg += '<rect class="reward" x="60" y="' + y + '" width="' + w.toFixed(1) + '" height="' + (row - 4) + '" fill="' + (m.filtered ? "#f85149" : "#3fb950") + '"/>';
    svg += '<text x="' + (64 + w) + '" y="' + (y + 10) + '">' + num(m.reward, 3) + (m.filtered ? " " + esc(m.filtered) : "") + "</text>";
  });
  return svg + "</svg>";
}

async function drawRounds(list) {
  const latest = list.slice(0, 3);
  if (!latest.length) return;
  const details = await Promise.all(latest.map((r) => get("/rounds/" + encodeURIComponent(r.challenge_id)).catch(() => null)));
  $("rounds").classList.remove("muted");
  $("rounds").innerHTML = details.filter(Boolean).map((d) => {
    const byUid = new Map(d.responses.map((r) => [r.uid, r]));
    const answers = d.result.miners.slice(0, 4).map((m) => { const r = byUid.get(m.uid); return '<div class="answer">uid ' + m.uid + ": " + esc(r ? (r.text || (r.error ? "[" + r.error + "]" : "")) : "") + "</div>"; }).join("");
    return '<div class="round"><div><b>' + esc(d.result.taskType) + "</b> · " + esc(short(d.result.roundId)) + " · consensus " + d.result.consensus.length + "/" + d.result.miners.length + " · " + ago(d.received_at) + "</div>" +
      '<div class="prompt">' + esc(d.prompt ?? "") + "</div>" + answers + rewardBars(d.result) + "</div>";
  }).join("");
}

function drawHeatmaps(ids) {
  if (!ids.length) return;
  const el = $("heatmaps");
  const want = ids.slice(0, 2).join("|");
  if (el.dataset.ids === want) return;
  el.dataset.ids = want;
  el.classList.remove("muted");
  el.innerHTML = ids.slice(0, 2).map((id) => '<figure><img alt="heatmap ' + esc(id) + '" src="/rounds/' + encodeURIComponent(id) + '/heatmap.svg"><figcaption>round ' + esc(short(id)) + "</figcaption></figure>").join("");
}

async function refresh() {
  try {
    const [health, state, weights, miners, rounds] = await Promise.all([get("/health"), get("/console/state"), get("/weights"), get("/miners"), get("/rounds?limit=5")]);
    pill($("mode"), "mode: " + health.mode);
    pill($("model"), "model: " + (health.model ?? "–"));
    pill($("run"), state.running ? "taking challenges" : "paused", state.running ? "ok" : "bad");
    drawChain(state, weights);
    drawWeights(state.weights_history);
    drawMiners(miners);
    await drawRounds(rounds);
    drawHeatmaps(state.heatmaps);
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    document.body.dataset.ready = "1";
  } catch (e) {
    $("updated").textContent = "update failed: " + e.message;
  }
}
refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
`
