// clipper review: the page. Plain DOM, no build step. Times are integer ms, as in the file.
"use strict";

const TOKEN = document.body.dataset.token;
const $ = (sel) => document.querySelector(sel);
const player = $("#player");
const ROW = 46; // px per line in the virtualised list
const COLORS = { hi: "#2e7d32", mid: "#c88a00", lo: "#c62828", edit: "#1565c0", none: "#9e9e9e" };

// ---- state ------------------------------------------------------------------------------
const S = {
  name: "", segs: [], // [id, start, end, confidence, text, words[[text, start, end]]]
  index: new Map(), // segment id -> position
  placed: [], // positions of placed segments, in time order
  edited: new Set(),
  dur: 0, frameMs: 40, hasVideo: true,
  cur: -1, sel: -1, selA: -1, selB: -1,
  inMs: null, outMs: null,
  queue: [], view: { start: 0, span: 60000 }, wave: null, version: 0,
};

// ---- helpers ----------------------------------------------------------------------------
function url(path, params = {}) {
  const u = new URL(path, location.origin);
  u.searchParams.set("token", TOKEN);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

async function api(path, { method = "GET", body, params } = {}) {
  const r = await fetch(url(path, params), {
    method, headers: { "Content-Type": "application/json", "X-Clipper-Token": TOKEN },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) { const e = new Error(data.error || r.statusText); e.status = r.status; throw e; }
  return data;
}

function clock(ms) {
  if (ms === null || ms === undefined) return "--:--";
  const neg = ms < 0; ms = Math.abs(Math.round(ms));
  const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = Math.floor(ms / 1000) % 60, f = ms % 1000;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (neg ? "-" : "") + (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0") + "." + String(f).padStart(3, "0");
}

// "1:02:03.5", "2:03.250", "62.5" -> ms; null when not a time
function parseClock(text) {
  const t = String(text).trim();
  if (!/^\d+(:\d{1,2}){0,2}(\.\d{1,3})?$/.test(t)) return null;
  const [whole, frac = ""] = t.split(".");
  const parts = whole.split(":").map(Number);
  let secs = 0;
  for (const p of parts) secs = secs * 60 + p;
  return secs * 1000 + Number(frac.padEnd(3, "0"));
}

function level(seg) {
  if (S.edited.has(seg[0])) return "edit";
  if (seg[1] === null) return "none";
  const c = seg[3] ?? 0;
  return c >= 0.8 ? "hi" : c >= 0.5 ? "mid" : "lo";
}

function status(text, bad = false) {
  const el = $("#status");
  el.textContent = text;
  el.style.color = bad ? "#ff8a80" : "";
}

function nowMs() { return Math.round(player.currentTime * 1000); }

function seek(ms) {
  ms = Math.max(0, Math.min(ms, S.dur));
  player.currentTime = ms / 1000;
  showTime(ms);
}

// ---- load -------------------------------------------------------------------------------
async function load() {
  const data = await api("/api/alignment");
  S.name = data.name;
  S.dur = data.media.duration;
  S.hasVideo = data.media.has_video;
  if (data.media.fps) S.frameMs = (1000 * data.media.fps[1]) / data.media.fps[0];
  S.segs = data.segments;
  S.view.span = Math.max(5000, Math.min(60000, S.dur));
  S.edited = new Set(data.edited);
  S.version = data.version;
  reindex();
  $("#title").textContent = data.name;
  $("#summary").textContent = `${data.media.name} · ${clock(S.dur)} · ${data.engine} · ${data.placed} of ${data.total} lines placed`;
  const fmt = $("#export-format");
  for (const f of data.export_formats) fmt.append(new Option(f.toUpperCase(), f));
  if (!S.hasVideo) $("#stage").classList.add("audio");
  player.src = url("/media");
  loadSubtitles();
  try { S.queue = JSON.parse(localStorage.getItem("clipper-queue:" + S.name) || "[]"); } catch { S.queue = []; }
  $("#rows-inner").style.height = S.segs.length * ROW + "px";
  renderRows();
  renderQueue();
  resize();
  fetchWave();
  performance.mark("clipper-interactive");
  document.body.dataset.ready = "1";
  status(`${S.segs.length} lines; click a line to seek, ? for keys`);
  // what is not needed to start comes after the page is usable
  setTimeout(drawOverview, 0);
  setTimeout(loadOutline, 50);
}

function reindex() {
  S.index = new Map(S.segs.map((s, i) => [s[0], i]));
  S.placed = [];
  S.segs.forEach((s, i) => { if (s[1] !== null) S.placed.push(i); });
  S.placed.sort((a, b) => S.segs[a][1] - S.segs[b][1]);
}

function loadSubtitles() {
  for (const t of player.querySelectorAll("track")) t.remove();
  const tr = document.createElement("track");
  tr.kind = "subtitles"; tr.label = "clipper"; tr.srclang = "en"; tr.default = true;
  tr.src = url("/subtitles.vtt", { v: S.version });
  player.append(tr);
  tr.track.mode = $("#subs").checked ? "showing" : "hidden";
}

// ---- where the playhead is ----------------------------------------------------------------
function segmentAt(ms) {
  const P = S.placed;
  let lo = 0, hi = P.length - 1, best = -1;
  while (lo <= hi) { // last placed segment starting at or before ms
    const mid = (lo + hi) >> 1;
    if (S.segs[P[mid]][1] <= ms) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (best < 0) return -1;
  const i = P[best];
  return ms < S.segs[i][2] ? i : -1;
}

let lastCur = -2;
function showTime(ms = nowMs()) {
  $("#clock").textContent = clock(ms);
  const cur = segmentAt(ms);
  if (cur !== lastCur) {
    S.cur = cur; lastCur = cur;
    renderRows();
    if (cur >= 0 && $("#follow").checked && !player.paused) scrollToRow(cur);
    if (S.sel < 0 || !player.paused) renderWords(cur >= 0 ? cur : S.sel);
  }
  markWord(ms);
  if (ms < S.view.start || ms > S.view.start + S.view.span) {
    S.view.start = Math.max(0, Math.min(ms - S.view.span * 0.2, S.dur - S.view.span));
    fetchWave();
  }
  drawTimeline(ms);
}

player.addEventListener("error", () => {
  // a codec the browser lacks (HEVC, AC-3, some containers): say so and what to do
  const code = player.error ? player.error.code : 0;
  status(code === 4
    ? "this browser cannot play the media's format; make a preview (ffmpeg -i MEDIA -c:v libx264 -c:a aac preview.mp4) and pass it as MEDIA"
    : `the media could not be played (error ${code})`, true);
});
player.addEventListener("timeupdate", () => showTime());
player.addEventListener("seeked", () => showTime());
player.addEventListener("play", () => { $("#play").textContent = "pause"; tick(); });
player.addEventListener("pause", () => { $("#play").textContent = "play"; });
function tick() { if (player.paused) return; showTime(); requestAnimationFrame(tick); }

// ---- the virtualised list -----------------------------------------------------------------
const rowsEl = $("#rows");
let rowsQueued = false;
rowsEl.addEventListener("scroll", () => {
  if (!rowsQueued) { rowsQueued = true; requestAnimationFrame(() => { rowsQueued = false; renderRows(); }); }
});

function renderRows() {
  const inner = $("#rows-inner");
  const top = rowsEl.scrollTop, h = rowsEl.clientHeight || 600;
  const a = Math.max(0, Math.floor(top / ROW) - 6), b = Math.min(S.segs.length, Math.ceil((top + h) / ROW) + 6);
  const lo = Math.min(S.selA, S.selB), hi = Math.max(S.selA, S.selB);
  const frag = document.createDocumentFragment();
  for (let i = a; i < b; i++) {
    const s = S.segs[i];
    const el = document.createElement("div");
    const lv = level(s);
    el.className = "row" + (i === S.cur ? " cur" : "") + (i >= lo && i <= hi && lo >= 0 ? " sel" : "") + (s[1] === null ? " unplaced" : "");
    el.style.top = i * ROW + "px";
    el.dataset.i = i; el.dataset.id = s[0];
    el.innerHTML = `<span class="t"></span><span class="dot"></span><span class="x"></span>`;
    el.children[0].textContent = s[1] === null ? "not placed" : clock(s[1]);
    el.children[1].style.background = COLORS[lv];
    el.children[1].title = lv === "edit" ? "fixed by hand" : s[1] === null ? "not placed: not found in the media" : `confidence ${(s[3] ?? 0).toFixed(2)}`;
    el.children[2].textContent = s[4];
    frag.append(el);
  }
  inner.replaceChildren(frag);
}

function scrollToRow(i) {
  const top = i * ROW, h = rowsEl.clientHeight;
  if (top < rowsEl.scrollTop || top + ROW > rowsEl.scrollTop + h) rowsEl.scrollTop = Math.max(0, top - h / 3);
}

rowsEl.addEventListener("click", (ev) => {
  const row = ev.target.closest(".row");
  if (!row) return;
  const i = Number(row.dataset.i);
  if (ev.shiftKey && S.selA >= 0) { S.selB = i; } else { S.selA = S.selB = i; }
  select(i, !ev.shiftKey);
});

function select(i, doSeek = true) {
  S.sel = i;
  if (S.selA < 0) S.selA = S.selB = i;
  const s = S.segs[i];
  if (doSeek && s[1] !== null) seek(s[1]);
  renderRows();
  renderWords(i);
  fillEditor(i);
  const n = Math.abs(S.selB - S.selA) + 1;
  $("#sel-info").textContent = n > 1 ? `${n} lines selected` : `line ${s[0]}`;
}

// ---- the selected line: words and times -----------------------------------------------------
let wordsOf = -1;
function renderWords(i) {
  const box = $("#words");
  wordsOf = i;
  if (i < 0) { box.replaceChildren(); return; }
  const s = S.segs[i];
  const frag = document.createDocumentFragment();
  s[5].forEach((w, k) => {
    const sp = document.createElement("span");
    sp.textContent = w[0];
    sp.dataset.k = k;
    if (w[1] === null) sp.className = "unplaced"; else sp.title = `${clock(w[1])} – ${clock(w[2])}`;
    frag.append(sp, " ");
  });
  if (!s[5].length) frag.append(s[4]);
  box.replaceChildren(frag);
  markWord(nowMs());
}

function markWord(ms) {
  if (wordsOf < 0) return;
  const words = S.segs[wordsOf][5];
  for (const sp of $("#words").children) {
    const w = words[Number(sp.dataset.k)];
    sp.classList.toggle("now", !!w && w[1] !== null && ms >= w[1] && ms < w[2]);
  }
}

$("#words").addEventListener("click", (ev) => {
  const sp = ev.target.closest("span");
  if (!sp || wordsOf < 0) return;
  const w = S.segs[wordsOf][5][Number(sp.dataset.k)];
  if (w && w[1] !== null) seek(w[1]);
});

const editControls = () => document.querySelectorAll("#seg-times input, #seg-times button");
function fillEditor(i) {
  const s = S.segs[i];
  const conf = s[1] === null ? "not placed" : S.edited.has(s[0]) ? "fixed by hand" : `confidence ${(s[3] ?? 0).toFixed(2)}`;
  $("#seg-label").textContent = `line ${s[0]} · ${conf}`;
  for (const el of editControls()) el.disabled = false;
  const guess = s[1] === null ? guessSpan(i) : [s[1], s[2]];
  $("#seg-start").value = clock(guess[0]);
  $("#seg-end").value = clock(guess[1]);
  for (const f of ["#seg-start", "#seg-end"]) $(f).classList.remove("bad");
}

// an unplaced line's likely place: between its placed neighbours
function guessSpan(i) {
  let a = 0, b = S.dur;
  for (let k = i - 1; k >= 0; k--) if (S.segs[k][1] !== null) { a = S.segs[k][2]; break; }
  for (let k = i + 1; k < S.segs.length; k++) if (S.segs[k][1] !== null) { b = S.segs[k][1]; break; }
  return [a, Math.max(a + 1, b)];
}

function editorValue(which) { return parseClock($(which === "start" ? "#seg-start" : "#seg-end").value); }
function setEditor(which, ms) {
  ms = Math.max(0, Math.min(Math.round(ms), S.dur));
  const el = $(which === "start" ? "#seg-start" : "#seg-end");
  el.value = clock(ms); el.classList.remove("bad");
}

$("#set-start").onclick = () => setEditor("start", nowMs());
$("#set-end").onclick = () => setEditor("end", nowMs());
for (const b of document.querySelectorAll("[data-nudge]")) {
  b.onclick = () => {
    const which = b.dataset.nudge, v = editorValue(which);
    if (v === null) return;
    const d = b.dataset.ms ? Number(b.dataset.ms) : Number(b.dataset.frames) * S.frameMs;
    setEditor(which, v + d);
    seek(editorValue(which));
  };
}

async function save() {
  if (S.sel < 0) return;
  const s = S.segs[S.sel];
  const a = editorValue("start"), b = editorValue("end");
  $("#seg-start").classList.toggle("bad", a === null);
  $("#seg-end").classList.toggle("bad", b === null);
  if (a === null || b === null) { status("times are [h:]mm:ss.mmm or seconds", true); return; }
  try {
    const r = await api(`/api/segments/${s[0]}`, { method: "POST", body: { start: a, end: b } });
    for (const row of r.changed) S.segs[S.index.get(row[0])] = row;
    S.edited.add(s[0]);
    S.version = r.version;
    reindex();
    renderRows(); renderWords(S.sel); fillEditor(S.sel); drawOverview(); drawTimeline(nowMs());
    loadSubtitles();
    S.outline = null;
    status(`saved ${r.saved}: line ${s[0]} ${clock(a)} – ${clock(b)}, ${r.changed.length - 1} neighbour(s) moved; previous version kept as ${r.backup}`);
  } catch (e) { status(e.message, true); }
}
$("#save").onclick = save;

// ---- timeline strip and overview ------------------------------------------------------------
const tl = $("#timeline"), ov = $("#overview");
const ovCtx = ov.getContext("2d", { willReadFrequently: true }); // the overview is read back on every frame
function resize() {
  for (const c of [tl, ov]) c.width = c.clientWidth * (window.devicePixelRatio || 1);
  drawOverview(); drawTimeline(nowMs());
}
window.addEventListener("resize", resize);

let waveKey = "";
async function fetchWave() {
  const a = Math.floor(S.view.start), b = Math.ceil(S.view.start + S.view.span);
  const key = `${a}-${b}`;
  if (key === waveKey) return;
  waveKey = key;
  try {
    const w = await api("/api/waveform", { params: { start: a, end: b } });
    if (waveKey === key) { S.wave = w; drawTimeline(nowMs()); }
  } catch { /* the strip is drawn without it */ }
}

// unplaced lines drawn where they would sit: spread between their placed neighbours
function unplacedMarks(a, b) {
  const out = [];
  let prevEnd = 0;
  for (let i = 0; i < S.segs.length; i++) {
    const s = S.segs[i];
    if (s[1] !== null) { prevEnd = s[2]; continue; }
    if (prevEnd > b) break;
    const [x0, x1] = guessSpan(i);
    if (x1 >= a && x0 <= b) out.push([i, (x0 + x1) / 2]);
  }
  return out;
}

function drawTimeline(ms) {
  const c = tl.getContext("2d"), W = tl.width, H = tl.height, v = S.view;
  const x = (t) => ((t - v.start) / v.span) * W;
  c.clearRect(0, 0, W, H);
  if (S.wave && S.wave.peaks.length) {
    c.fillStyle = "#cfd8dc";
    const w0 = S.wave.start, bin = S.wave.bin;
    S.wave.peaks.forEach((p, k) => {
      const xx = x(w0 + k * bin), hh = (p / 100) * (H - 30);
      c.fillRect(xx, 30 + (H - 30 - hh) / 2, Math.max(1, (bin / v.span) * W), hh);
    });
  }
  // seconds grid
  c.fillStyle = "#999"; c.font = `${10 * (devicePixelRatio || 1)}px monospace`;
  const step = v.span > 300000 ? 60000 : v.span > 60000 ? 10000 : v.span > 20000 ? 5000 : 1000;
  for (let t = Math.ceil(v.start / step) * step; t < v.start + v.span; t += step) {
    c.fillRect(x(t), 0, 1, 6); c.fillText(clock(t).replace(/\.000$/, ""), x(t) + 2, 10 * (devicePixelRatio || 1));
  }
  // lines
  const lo = Math.min(S.selA, S.selB), hi = Math.max(S.selA, S.selB);
  for (const i of S.placed) {
    const s = S.segs[i];
    if (s[2] < v.start || s[1] > v.start + v.span) continue;
    c.fillStyle = COLORS[level(s)];
    c.globalAlpha = i >= lo && i <= hi && lo >= 0 ? 1 : 0.55;
    c.fillRect(x(s[1]), 14, Math.max(1, x(s[2]) - x(s[1]) - 1), 14);
  }
  c.globalAlpha = 1;
  c.fillStyle = COLORS.lo;
  for (const [, t] of unplacedMarks(v.start, v.start + v.span)) c.fillRect(x(t) - 1, 12, 3, 18);
  // in / out and playhead
  c.fillStyle = "#6a1b9a";
  if (S.inMs !== null) c.fillRect(x(S.inMs), 0, 2, H);
  if (S.outMs !== null) c.fillRect(x(S.outMs), 0, 2, H);
  if (S.inMs !== null && S.outMs !== null) { c.globalAlpha = 0.12; c.fillRect(x(S.inMs), 0, x(S.outMs) - x(S.inMs), H); c.globalAlpha = 1; }
  c.fillStyle = "#000"; c.fillRect(x(ms), 0, 2, H);
  // the overview's window box moves with the view
  drawOverviewBox(ms);
}

let overviewImage = null;
function drawOverview() {
  if (!S.dur) return;
  const c = ovCtx, W = ov.width, H = ov.height;
  c.clearRect(0, 0, W, H);
  const rank = { none: 4, lo: 3, mid: 2, hi: 1, edit: 0 };
  const worst = new Array(W).fill(-1);
  for (const i of S.placed) {
    const s = S.segs[i], lv = rank[level(s)];
    const a = Math.floor((s[1] / S.dur) * W), b = Math.min(W - 1, Math.floor((s[2] / S.dur) * W));
    for (let px = a; px <= b; px++) if (lv > worst[px]) worst[px] = lv;
  }
  const names = ["edit", "hi", "mid", "lo", "none"];
  worst.forEach((lv, px) => { if (lv >= 0) { c.fillStyle = COLORS[names[lv]]; c.fillRect(px, 6, 1, H - 6); } });
  c.fillStyle = COLORS.lo;
  for (const [, t] of unplacedMarks(0, S.dur)) c.fillRect((t / S.dur) * W, 0, 1, 6);
  overviewImage = c.getImageData(0, 0, W, H);
  drawOverviewBox(nowMs());
}

function drawOverviewBox(ms) {
  if (!overviewImage || !S.dur) return;
  const c = ovCtx, W = ov.width, H = ov.height;
  c.putImageData(overviewImage, 0, 0);
  c.strokeStyle = "#000"; c.lineWidth = 1;
  c.strokeRect((S.view.start / S.dur) * W, 0.5, Math.max(2, (S.view.span / S.dur) * W), H - 1);
  c.fillStyle = "#000"; c.fillRect((ms / S.dur) * W, 0, 2, H);
}

tl.addEventListener("click", (ev) => {
  const r = tl.getBoundingClientRect();
  const t = S.view.start + ((ev.clientX - r.left) / r.width) * S.view.span;
  const i = segmentAt(t);
  if (i >= 0 && ev.offsetY * (tl.height / r.height) < 32) { S.selA = S.selB = i; select(i, false); scrollToRow(i); }
  seek(t);
});
tl.addEventListener("wheel", (ev) => {
  ev.preventDefault();
  const r = tl.getBoundingClientRect(), f = (ev.clientX - r.left) / r.width;
  const at = S.view.start + f * S.view.span;
  S.view.span = Math.max(5000, Math.min(600000, S.view.span * (ev.deltaY > 0 ? 1.25 : 0.8), S.dur || 600000));
  S.view.start = Math.max(0, Math.min(at - f * S.view.span, S.dur - S.view.span));
  fetchWave(); drawTimeline(nowMs());
}, { passive: false });
ov.addEventListener("click", (ev) => {
  const r = ov.getBoundingClientRect();
  seek(((ev.clientX - r.left) / r.width) * S.dur);
});

// ---- search -------------------------------------------------------------------------------
let searchTimer = 0, searchSeq = 0;
$("#search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 200);
});
$("#search").addEventListener("keydown", (ev) => { if (ev.key === "Enter") { clearTimeout(searchTimer); runSearch(); } });

async function runSearch() {
  const q = $("#search").value.trim();
  const box = $("#results");
  if (!q) return;
  const seq = ++searchSeq;
  tab("results");
  const r = await api("/api/find", { params: { q } }).catch((e) => ({ error: e.message }));
  if (seq !== searchSeq) return;
  if (r.error) { box.textContent = r.error; return; }
  box.replaceChildren();
  if (!r.matches.length) { box.innerHTML = `<p class="hint">no match</p>`; return; }
  for (const m of r.matches) {
    const el = document.createElement("div");
    el.className = "result";
    const where = m.start === null ? "not placed" : `${clock(m.start)} – ${clock(m.end)}`;
    const sure = m.confidence === null || m.confidence === undefined ? "" : ` · confidence ${m.confidence.toFixed(2)}`;
    el.innerHTML = `<div class="meta"></div><div class="x"></div>`;
    el.children[0].textContent = `${m.score.toFixed(1)}% · ${where}${sure}`;
    el.children[1].textContent = m.text;
    if (m.start !== null) {
      const b = document.createElement("button");
      b.textContent = "queue"; b.title = "Queue this quote as a clip";
      b.onclick = (ev) => { ev.stopPropagation(); enqueue(m.text, m.start, m.end); };
      el.prepend(b);
      el.onclick = () => { const i = S.index.get(m.segments[0]); if (i !== undefined) { S.selA = S.selB = i; select(i, false); scrollToRow(i); } seek(m.start); };
    }
    box.append(el);
  }
}

// ---- takeaways and topics -----------------------------------------------------------------
async function loadOutline() {
  const box = $("#outline");
  let r;
  try { r = await api("/api/outline"); } catch (e) { box.textContent = e.message; return; }
  box.replaceChildren();
  const add = (title, start, end, meta, why, label) => {
    const el = document.createElement("div");
    el.className = "oitem";
    el.innerHTML = `<div></div><div class="meta"></div><div class="why"></div>`;
    el.children[0].textContent = title;
    el.children[1].textContent = meta;
    el.children[2].textContent = why;
    if (start !== null && start !== undefined) {
      const b = document.createElement("button");
      b.textContent = "queue"; b.onclick = (ev) => { ev.stopPropagation(); enqueue(label, start, end); };
      el.prepend(b);
      el.onclick = () => seek(start);
    }
    box.append(el);
  };
  if (!r.takeaways.length && !r.topics.length) { box.innerHTML = `<p class="hint">This transcript has no takeaways or topics.</p>`; return; }
  if (r.takeaways.length) box.insertAdjacentHTML("beforeend", "<h4>Takeaways</h4>");
  for (const t of r.takeaways) {
    for (const h of t.hints.length ? t.hints : [null]) {
      const p = h && h.chosen ? h.chosen.passage : null;
      const meta = !h ? "no timestamp hint" : !h.chosen ? `${h.raw}: no possible reading` : `${h.raw} → ${h.chosen.clock} (${h.confidence})` + (p ? ` · passage ${clock(p.start)} – ${clock(p.end)}` : "");
      const why = h && h.chosen ? h.chosen.reason + (h.rejected.length ? ` · rejected: ${h.rejected.map((v) => `${v.clock} (${v.reason})`).join("; ")}` : "") : "";
      add(`${t.index}. ${t.title}`, p ? p.start : h && h.chosen ? h.chosen.ms : null, p ? p.end : null, meta, why, t.title);
    }
  }
  if (r.topics.length) box.insertAdjacentHTML("beforeend", "<h4>Topics</h4>");
  for (const t of r.topics) {
    const p = t.passages[0];
    add(`${t.index}. ${t.title}`, p ? p.start : null, p ? p.end : null,
      p ? `${clock(p.start)} – ${clock(p.end)} · score ${p.score}` : "no passage uses its words", p ? `words found: ${p.hits.join(", ")}` : "", t.title);
  }
}

// ---- the clip queue -----------------------------------------------------------------------
function enqueue(label, start, end) {
  if (start === null || end === null || end <= start) { status("nothing to queue: the span has no time", true); return; }
  S.queue.push({ label: String(label).slice(0, 80), start: Math.round(start), end: Math.round(end) });
  renderQueue();
  status(`queued ${clock(start)} – ${clock(end)} (${S.queue.length} in the queue)`);
}

function renderQueue() {
  localStorage.setItem("clipper-queue:" + S.name, JSON.stringify(S.queue));
  $("#queue-count").textContent = S.queue.length;
  const box = $("#queue");
  box.replaceChildren();
  if (!S.queue.length) box.innerHTML = `<p class="hint">Queue lines (select, then a), an in–out range (i, o, q), a search result or a takeaway.</p>`;
  S.queue.forEach((c, k) => {
    const el = document.createElement("div");
    el.className = "qitem";
    el.innerHTML = `<button title="Remove">remove</button><div class="meta"></div><div></div>`;
    el.children[1].textContent = `${k + 1}. ${clock(c.start)} – ${clock(c.end)} (${((c.end - c.start) / 1000).toFixed(2)} s)`;
    el.children[2].textContent = c.label;
    el.children[0].onclick = (ev) => { ev.stopPropagation(); S.queue.splice(k, 1); renderQueue(); };
    el.onclick = () => seek(c.start);
    box.append(el);
  });
}

function queueSelection() {
  if (S.selA < 0) { status("select lines first (click, shift+click)", true); return; }
  const lo = Math.min(S.selA, S.selB), hi = Math.max(S.selA, S.selB);
  const placed = [];
  for (let i = lo; i <= hi; i++) if (S.segs[i][1] !== null) placed.push(S.segs[i]);
  if (!placed.length) { status("the selected lines are not placed: nothing to cut", true); return; }
  const text = placed.map((s) => s[4]).join(" ");
  enqueue(text, placed[0][1], placed[placed.length - 1][2]);
}
$("#queue-add").onclick = queueSelection;

function queueRange() {
  if (S.inMs === null || S.outMs === null || S.outMs <= S.inMs) { status("mark in (i) and then out (o) after it", true); return; }
  enqueue(`${clock(S.inMs)} – ${clock(S.outMs)}`, S.inMs, S.outMs);
}
$("#queue-range").onclick = queueRange;
function mark(which) {
  const ms = nowMs();
  if (which === "in") S.inMs = ms; else S.outMs = ms;
  $("#in-at").textContent = clock(S.inMs); $("#out-at").textContent = clock(S.outMs);
  drawTimeline(ms);
}
$("#mark-in").onclick = () => mark("in");
$("#mark-out").onclick = () => mark("out");

async function withReplace(call, what) {
  try { return await call(false); } catch (e) {
    if (e.status === 409 && confirm(`${e.message.replace(/; pass --force.*/, "")}. Replace ${what}?`)) return call(true);
    throw e;
  }
}

async function cut() {
  const mode = $("#mode").value, st = $("#cut-status"), bar = $("#cut-progress");
  if (!S.queue.length) { st.textContent = "the queue is empty"; return; }
  $("#cut").disabled = true;
  try {
    let job = await withReplace((replace) => api("/api/cut", { method: "POST", body: { clips: S.queue, mode, replace } }), "the earlier clips");
    bar.hidden = false;
    while (job.state === "running") {
      bar.max = job.total || 1; bar.value = job.done;
      st.textContent = `${job.label} ${job.done} / ${job.total}`;
      await new Promise((r) => setTimeout(r, 250));
      job = await api(`/api/jobs/${job.id}`);
    }
    bar.max = job.total || 1; bar.value = job.done;
    if (job.state === "failed") throw new Error(job.error);
    st.textContent = `cut ${job.clips.length} clip(s) into ${job.folder}/ in ${job.seconds} s` + (job.notes.length ? ` · ${job.notes.join("; ")}` : "");
    const files = $("#cut-files");
    files.replaceChildren(...job.clips.map((c) => { const d = document.createElement("div"); d.className = "clip-file"; d.dataset.duration = c.duration; d.textContent = `${c.file}  ${clock(c.start)} – ${clock(c.end)}  (${(c.duration / 1000).toFixed(3)} s)`; return d; }));
    document.body.dataset.cut = job.id;
  } catch (e) { st.textContent = e.message; status(e.message, true); } finally { $("#cut").disabled = false; }
}
$("#cut").onclick = cut;

async function exportQueue() {
  const fmt = $("#export-format").value, st = $("#export-status");
  try {
    const r = await withReplace((replace) => api("/api/export", { method: "POST", body: { format: fmt, clips: S.queue, mode: $("#mode").value, replace } }), "the earlier export");
    st.textContent = `wrote ${r.file} (${r.clips} clip(s))` + (r.notes.length ? ` · ${r.notes.join("; ")}` : "");
  } catch (e) { st.textContent = e.message; }
}
$("#export").onclick = exportQueue;

// ---- tabs, controls, keys -----------------------------------------------------------------
function tab(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
  for (const p of document.querySelectorAll(".pane")) p.classList.toggle("on", p.id === "pane-" + name);
  if (name === "lines") renderRows();
}
for (const b of document.querySelectorAll("#tabs button")) b.onclick = () => tab(b.dataset.tab);

function togglePlay() { if (player.paused) player.play().catch((e) => status(e.message, true)); else player.pause(); }
$("#play").onclick = togglePlay;
function step(ms) { seek(nowMs() + ms); }
function stepFrames(n) { player.pause(); seek(nowMs() + n * S.frameMs); }
for (const b of document.querySelectorAll("#controls [data-step]")) b.onclick = () => step(Number(b.dataset.step));
for (const b of document.querySelectorAll("#controls [data-frames]")) b.onclick = () => stepFrames(Number(b.dataset.frames));
$("#subs").onchange = () => { for (const t of player.textTracks) t.mode = $("#subs").checked ? "showing" : "hidden"; };
$("#help-btn").onclick = () => $("#help").showModal();

function moveSelection(d) {
  const from = S.sel >= 0 ? S.sel : S.cur >= 0 ? S.cur : 0;
  const i = Math.max(0, Math.min(S.segs.length - 1, from + d));
  S.selA = S.selB = i; select(i); scrollToRow(i);
}

document.addEventListener("keydown", (ev) => {
  const t = ev.target;
  if (ev.key === "Escape") { if (t.blur) t.blur(); return; }
  if (t.matches("input, select, textarea") || ev.ctrlKey || ev.metaKey || ev.altKey) {
    if (t.matches("#seg-start, #seg-end") && ev.key === "Enter") save();
    return;
  }
  const keys = {
    " ": togglePlay, k: togglePlay,
    ArrowLeft: () => step(ev.shiftKey ? -5000 : -1000), ArrowRight: () => step(ev.shiftKey ? 5000 : 1000),
    ",": () => stepFrames(-1), ".": () => stepFrames(1),
    ArrowUp: () => moveSelection(-1), ArrowDown: () => moveSelection(1),
    i: () => mark("in"), o: () => mark("out"), q: queueRange, a: queueSelection,
    "[": () => S.sel >= 0 && setEditor("start", nowMs()), "]": () => S.sel >= 0 && setEditor("end", nowMs()),
    s: save, "/": () => $("#search").focus(), "?": () => $("#help").showModal(),
  };
  const fn = keys[ev.key];
  if (fn) { ev.preventDefault(); fn(); }
});

load().catch((e) => { status(e.message, true); $("#summary").textContent = "could not load the alignment"; });
