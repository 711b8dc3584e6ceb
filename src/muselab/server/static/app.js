/* muselab's page: question -> answer -> workflow -> run -> picture. Plain JS, no framework, nothing fetched
   from anywhere but this server. */
"use strict";

const SEEDS = [
  "What methods do AI models use to create images that mimic animation styles so convincingly?",
  "I mixed “photographic style” and “digital illustration” in one prompt and got an image that blended both " +
    "perfectly. How does AI balance multiple styles at once—what’s happening with the weights under the hood?",
  "I enlarged a blurry illustration by 2x and it looked like crisp anime art. How do AI models enhance " +
    "cartoon-style images so sharply?",
  "I typed just “portrait with soft lighting” and the result looked like a real studio photo—clean skin tones " +
    "and even light across the face. How can AI get such a natural look from such a short prompt?",
];
const LOCAL_NODES = new Set(["LoadImage", "SaveImage", "Text", "StyleTransfer", "FastNeuralStyle", "Upscale",
  "LoadCheckpoint", "TextToImage", "ImageToImage"]);
const PART_ORDER = ["task", "workflow", "sources"];
const FINISHED = new Set(["done", "failed", "cancelled"]);

const state = { tasks: {}, token: null, workflow: null, run: null, inputURLs: [], asking: 0 };
const $ = (id) => document.getElementById(id);

/* ---------- small helpers ---------- */

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
    "'": "&#39;" })[c]);
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "html") node.innerHTML = v; // only ever output of renderMarkdown / renderInline
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) {
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function safeURL(url) {
  return /^https?:\/\/[^\s]+$/i.test(url) ? url : null;
}

function linkEl(url, text) {
  const href = safeURL(url);
  if (!href) return el("span", { text: text || url });
  return el("a", { href, target: "_blank", rel: "noopener", text: text || url });
}

function shortURL(url) {
  return url.replace(/^https?:\/\/(www\.)?/i, "").replace(/\/$/, "");
}

/* ---------- a small, safe Markdown renderer ----------
   Everything is escaped; only the constructs below become HTML: headings, paragraphs, bold, italics, inline
   code, bullet and numbered lists, blockquotes and links whose URL is http(s). */

const TOKEN = "\u0000";

function trimURL(url) {
  let out = url;
  for (;;) {
    const last = out.slice(-1);
    if (/[.,;:!?'"*_]/.test(last)) { out = out.slice(0, -1); continue; }
    if (last === ")" && (out.match(/\(/g) || []).length < (out.match(/\)/g) || []).length) {
      out = out.slice(0, -1); continue;
    }
    if (last === "]" && (out.match(/\[/g) || []).length < (out.match(/\]/g) || []).length) {
      out = out.slice(0, -1); continue;
    }
    return out;
  }
}

function anchor(url, innerHTML) {
  return `<a href="${esc(url)}" target="_blank" rel="noopener">${innerHTML}</a>`;
}

function emphasis(html) {
  return html
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, "$1<strong>$2</strong>")
    .replace(/(^|[^*\w])\*(?=[^\s*])([^*]*?[^\s*])\*(?![*\w])/g, "$1<em>$2</em>")
    .replace(/(^|[^\w])_(?=[^\s_])([^_]*?[^\s_])_(?!\w)/g, "$1<em>$2</em>");
}

function renderInline(raw) {
  const saved = [];
  const keep = (html) => `${TOKEN}${saved.push(html) - 1}${TOKEN}`;
  let text = String(raw).split(TOKEN).join("");
  text = text.replace(/`([^`]+)`/g, (_, code) => keep(`<code>${esc(code)}</code>`));
  text = text.replace(/\[([^\]\n]+)\]\(([^()\s]+(?:\([^()\s]*\))?[^()\s]*)\)/g, (all, label, url) =>
    safeURL(url) ? keep(anchor(url, emphasis(esc(label)))) : keep(esc(label)));
  text = text.replace(/https?:\/\/[^\s<>"`\u0000]+/gi, (found) => {
    const url = trimURL(found);
    return keep(anchor(url, esc(url))) + found.slice(url.length);
  });
  const html = emphasis(esc(text));
  return html.replace(new RegExp(`${TOKEN}(\\d+)${TOKEN}`, "g"), (_, i) => saved[Number(i)]);
}

const CALLOUTS = [
  [/^\*\*Model fit:\*\*/, "callout fit"],
  [/^\*\*Not in the catalog:\*\*/, "callout missing"],
  [/^\*\*The model you named:\*\*/, "callout named"],
];

function renderMarkdown(source, headingShift = 1) {
  const lines = String(source || "").replace(/\r\n?/g, "\n").split("\n");
  const out = [];
  let i = 0;
  const isBlank = (l) => /^\s*$/.test(l);
  const listItem = (l) => /^\s{0,3}(?:([-*+])|(\d{1,9})[.)])\s+(.*)$/.exec(l);
  const startsBlock = (l) => /^\s{0,3}(#{1,6}\s|>|```)/.test(l) || listItem(l) || /^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(l);
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) { i++; continue; }
    let m;
    if ((m = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
      const level = Math.min(6, m[1].length + headingShift);
      out.push(`<h${level}>${renderInline(m[2])}</h${level}>`);
      i++;
    } else if (/^\s{0,3}```/.test(line)) {
      const body = [];
      i++;
      while (i < lines.length && !/^\s{0,3}```/.test(lines[i])) body.push(lines[i++]);
      i++;
      out.push(`<pre><code>${esc(body.join("\n"))}</code></pre>`);
    } else if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push("<hr>");
      i++;
    } else if (/^\s{0,3}>/.test(line)) {
      const body = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) body.push(lines[i++].replace(/^\s{0,3}>\s?/, ""));
      out.push(`<blockquote>${renderMarkdown(body.join("\n"), headingShift)}</blockquote>`);
    } else if ((m = listItem(line))) {
      const ordered = !m[1];
      const start = ordered ? Number(m[2]) : 1;
      const items = [];
      while (i < lines.length) {
        const item = listItem(lines[i]);
        if (item && !item[1] === ordered) {
          items.push(item[3]);
          i++;
        } else if (items.length && !isBlank(lines[i]) && /^\s+\S/.test(lines[i]) && !listItem(lines[i])) {
          items[items.length - 1] += " " + lines[i].trim();
          i++;
        } else if (isBlank(lines[i]) && i + 1 < lines.length && (() => { const n = listItem(lines[i + 1]);
          return n && !n[1] === ordered; })()) {
          i++;
        } else break;
      }
      const tag = ordered ? "ol" : "ul";
      const startAttr = ordered && start !== 1 ? ` start="${start}"` : "";
      out.push(`<${tag}${startAttr}>${items.map((t) => `<li>${renderInline(t)}</li>`).join("")}</${tag}>`);
    } else {
      const body = [];
      while (i < lines.length && !isBlank(lines[i]) && !(body.length && startsBlock(lines[i]))) {
        body.push(lines[i++].trim());
      }
      const text = body.join("\n");
      const callout = CALLOUTS.find(([re]) => re.test(text));
      const cls = callout ? ` class="${callout[1]}"` : "";
      out.push(`<p${cls}>${renderInline(text).replace(/\n/g, " ")}</p>`);
    }
  }
  return out.join("\n");
}

/* ---------- talking to the server ---------- */

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `the server answered ${status}`);
    this.status = status;
    this.detail = (body && body.detail) || [];
  }
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { credentials: "same-origin", ...options });
  } catch (err) {
    throw new ApiError(0, { error: "muselab's server cannot be reached; is `muselab serve` still running?" });
  }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function postJSON(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
}

function authHeaders() {
  return state.token ? { Authorization: `Bearer ${state.token}` } : {};
}

/* ---------- alerts and status ---------- */

function showAlert(message) {
  $("alert-text").textContent = message;
  $("alert").hidden = false;
}

function clearAlert() {
  $("alert").hidden = true;
  $("alert-text").textContent = "";
}

function describeError(err) {
  const first = err.detail && err.detail[0];
  const extra = first && typeof first === "object" && first.message && !err.message.includes(first.message)
    ? ` (${first.where ? first.where + ": " : ""}${first.message})` : "";
  return `${err.message}${extra}`;
}

/* ---------- the question ---------- */

function setupExamples() {
  const list = $("examples");
  SEEDS.forEach((q) => {
    list.append(el("li", {}, el("button", {
      type: "button", class: "example", text: q,
      onclick: () => { $("question").value = q; ask(q); },
    })));
  });
}

async function ask(question) {
  question = question.trim();
  if (!question) {
    showAlert("Please type a question first.");
    $("question").focus();
    return;
  }
  clearAlert();
  const ticket = ++state.asking;
  const button = $("ask-button");
  button.disabled = true;
  button.textContent = "Asking…";
  $("ask-status").textContent = "Looking for the answer and its workflow…";
  $("answer").setAttribute("aria-busy", "true");
  document.body.classList.add("loading");
  showAnswerLoading();
  const answer = postJSON("/api/ask", { question });
  const workflow = postJSON("/api/workflows", { question });
  try {
    const data = await answer;
    if (ticket !== state.asking) return;
    showAnswer(data);
    $("ask-status").textContent = `Answered: ${data.task ? data.task.name : "done"}.`;
  } catch (err) {
    if (ticket !== state.asking) return;
    $("answer").hidden = true;
    $("catalog").hidden = true;
    $("ask-status").textContent = "";
    showAlert(`Sorry, no answer this time: ${describeError(err)}`);
  } finally {
    if (ticket === state.asking) {
      button.disabled = false;
      button.textContent = "Ask";
      $("answer").setAttribute("aria-busy", "false");
      document.body.classList.remove("loading");
    }
  }
  try {
    const wf = await workflow;
    if (ticket === state.asking) showWorkflow(wf);
  } catch (err) {
    if (ticket === state.asking) showNoWorkflow(err);
  }
}

function showAnswerLoading() {
  $("answer").hidden = false;
  $("task-summary").replaceChildren(el("p", { class: "skeleton", text: "Identifying the task…" }));
  $("named").replaceChildren();
  $("parts").replaceChildren(el("div", { class: "skeleton block", "aria-hidden": "true" }),
    el("div", { class: "skeleton block", "aria-hidden": "true" }));
  $("notices").replaceChildren();
  $("catalog").hidden = true;
  $("workflow").hidden = false;
  $("workflow-body").hidden = true;
  $("workflow-status").textContent = "Building the workflow…";
  resetRun();
}

/* ---------- the answer ---------- */

function taskName(id) {
  return (state.tasks[id] && state.tasks[id].name) || id;
}

function showAnswer(data) {
  const t = data.task || {};
  const summary = $("task-summary");
  const pct = Math.round((t.confidence || 0) * 100);
  summary.replaceChildren(
    el("p", { class: "task-line" }, "Task: ", el("strong", { text: t.name || t.id || "unknown" }),
      t.id ? el("code", { class: "id", text: t.id }) : null),
    el("p", { class: "confidence" },
      el("label", { for: "confidence-meter", text: "Confidence" }), " ",
      el("meter", { id: "confidence-meter", min: "0", max: "1", low: "0.4", high: "0.7", optimum: "1",
        value: String(t.confidence || 0) }), ` ${pct}%`),
  );
  if (t.close && t.runner_up) {
    summary.append(el("p", { class: "runner-up" }, "It also reads partly as ",
      el("strong", { text: taskName(t.runner_up) }), "."));
  }
  summary.append(el("p", { class: "jump" }, "Jump to: ",
    el("a", { href: "#workflow", text: "the workflow" }), el("a", { href: "#catalog", text: "models and papers" })));
  const named = $("named");
  named.replaceChildren();
  const linked = data.linked || [];
  const missing = data.not_in_catalog || [];
  if (linked.length || missing.length) {
    const list = el("ul", { class: "chips", "aria-label": "Models your question names" });
    linked.forEach((l) => list.append(el("li", { class: "chip ok",
      text: `${l.text || l.name || l} — in the catalog${l.family ? ` (${l.family})` : ""}` })));
    missing.forEach((n) => list.append(el("li", { class: "chip warn", text: `${n} — not in the catalog` })));
    named.append(el("p", { class: "hint", text: "Names in your question:" }), list);
  }
  const parts = $("parts");
  parts.replaceChildren();
  const given = data.parts || {};
  PART_ORDER.forEach((key) => {
    if (given[key]) parts.append(el("article", { class: `part part-${key}`, html: renderMarkdown(given[key]) }));
  });
  const notices = $("notices");
  notices.replaceChildren();
  if ((data.notices || []).length) {
    notices.append(el("h3", { text: "Notices" }),
      el("div", { html: renderMarkdown(data.notices.map((n) => `> ${n}`).join("\n>\n")) }));
  }
  showCatalog(data.models || [], data.papers || []);
}

function badge(text, kind) {
  return el("span", { class: `badge ${kind}`, text });
}

function showCatalog(models, papers) {
  const cards = $("models");
  cards.replaceChildren();
  models.forEach((m) => {
    const display = m.display_name || m.name;
    const facts = el("dl", { class: "facts" });
    const fact = (k, v) => { if (v) facts.append(el("dt", { text: k }), el("dd", { text: v })); };
    fact("Task", taskName(m.task));
    fact("Role", m.role);
    fact("Family", m.family);
    const badges = el("p", { class: "badges" });
    if (m.runs_here === true) badges.append(badge("runs here", "good"));
    else if (m.runs_here === false) badges.append(badge("needs a GPU / ComfyUI server", "elsewhere"));
    if (m.in_catalog === false) badges.append(badge("not in the catalog", "warn"));
    if (m.fits_task === false) badges.append(badge("does not fit this task", "warn"));
    const links = el("ul", { class: "links" });
    (m.links || []).forEach((u) => links.append(el("li", {}, linkEl(u, shortURL(u)))));
    cards.append(el("li", { class: "model-card" },
      el("h3", { text: display }),
      el("p", { class: "model-id" }, el("small", {}, el("code", { text: m.name }))),
      badges, facts, (m.links || []).length ? links : null));
  });
  if (!models.length) cards.append(el("li", { class: "calm", text: "No model was recommended." }));
  const list = $("papers");
  list.replaceChildren();
  papers.forEach((p) => {
    const links = el("span", { class: "paper-links" });
    (p.links || []).forEach((u, i) => { if (i) links.append(" · "); links.append(linkEl(u, shortURL(u))); });
    list.append(el("li", {}, el("span", { class: "paper-title", text: p.title }), " ",
      badge(p.relevance || "related", /closely/.test(p.relevance || "") ? "good" : "neutral"), el("br"), links));
  });
  $("papers-title").hidden = list.hidden = !papers.length;
  $("catalog").hidden = false;
}

/* ---------- the workflow graph ---------- */

function isLink(v) {
  return Array.isArray(v) && v.length === 2 && (typeof v[0] === "string" || typeof v[0] === "number") &&
    Number.isInteger(v[1]);
}

function isNamed(v) {
  return typeof v === "string" && /^\$[A-Za-z_][\w-]*$/.test(v);
}

function graphNodes(wf) {
  return Object.keys(wf).filter((k) => k !== "meta" && wf[k] && typeof wf[k] === "object")
    .sort((a, b) => (Number(a) - Number(b)) || a.localeCompare(b, undefined, { numeric: true }));
}

function depths(wf, ids) {
  const memo = {};
  const visiting = new Set();
  const depth = (id) => {
    if (id in memo) return memo[id];
    if (visiting.has(id) || !wf[id]) return 0;
    visiting.add(id);
    let d = 0;
    for (const v of Object.values(wf[id].inputs || {})) if (isLink(v) && wf[String(v[0])]) d = Math.max(d, depth(String(v[0])) + 1);
    visiting.delete(id);
    return (memo[id] = d);
  };
  ids.forEach(depth);
  return memo;
}

function short(value, n = 28) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

function drawGraph(wf) {
  const graph = $("graph");
  graph.replaceChildren();
  const ids = graphNodes(wf);
  const depth = depths(wf, ids);
  const rows = {};
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "edges");
  svg.setAttribute("aria-hidden", "true");
  graph.append(svg);
  ids.forEach((id) => {
    const node = wf[id];
    const col = depth[id] || 0;
    rows[col] = (rows[col] || 0) + 1;
    const inputs = el("ul", { class: "ports" });
    for (const [name, value] of Object.entries(node.inputs || {})) {
      if (isLink(value)) {
        inputs.append(el("li", { class: "port link" }, el("span", { class: "port-name", text: name }),
          ` ← #${value[0]}`));
      } else if (isNamed(value)) {
        inputs.append(el("li", { class: "port named" }, el("span", { class: "port-name", text: name }), " ",
          el("mark", { text: value, title: (wf.meta && wf.meta.inputs && wf.meta.inputs[value.slice(1)]) || "named input" })));
      } else {
        inputs.append(el("li", { class: "port literal", "data-input": name, title: `${name}: ${typeof value === "string" ? value : JSON.stringify(value)}` },
          el("span", { class: "port-name", text: name }), `: ${short(value)}`));
      }
    }
    const box = el("div", {
      class: "node", id: `node-${id}`, "data-node": id, "data-depth": String(col), role: "group",
      "aria-label": `Node ${id}: ${node.class_type}`,
      style: `--col:${col + 1};--row:${rows[col]}`,
    },
    el("div", { class: "node-head" }, el("span", { class: "node-id", text: `#${id}` }), " ",
      el("strong", { class: "node-class", text: node.class_type || "?" })),
    inputs,
    el("div", { class: "node-state", "data-state": "idle" },
      el("span", { class: "node-state-text", text: "" }),
      el("progress", { class: "node-progress", max: "1", value: "0", hidden: true, "aria-label": `Node ${id} progress` })));
    graph.append(box);
  });
  graph.style.setProperty("--cols", String(Math.max(1, ...Object.values(depth).map((d) => d + 1))));
  requestAnimationFrame(() => drawEdges(wf));
}

function drawEdges(wf) {
  const graph = $("graph");
  const svg = graph.querySelector("svg.edges");
  if (!svg || !wf) return;
  const box = graph.getBoundingClientRect();
  svg.setAttribute("width", String(graph.scrollWidth));
  svg.setAttribute("height", String(graph.scrollHeight));
  svg.setAttribute("viewBox", `0 0 ${graph.scrollWidth} ${graph.scrollHeight}`);
  const vertical = getComputedStyle(graph).getPropertyValue("--flow").trim() === "down";
  const parts = [];
  for (const id of graphNodes(wf)) {
    const target = $(`node-${id}`);
    if (!target) continue;
    for (const [name, v] of Object.entries(wf[id].inputs || {})) {
      if (!isLink(v)) continue;
      const source = $(`node-${v[0]}`);
      if (!source) continue;
      const a = source.getBoundingClientRect();
      const b = target.getBoundingClientRect();
      let d;
      if (vertical) {
        const x1 = a.left + a.width / 2 - box.left, y1 = a.bottom - box.top;
        const x2 = b.left + b.width / 2 - box.left, y2 = b.top - box.top;
        const my = (y1 + y2) / 2;
        d = `M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`;
      } else {
        const x1 = a.right - box.left, y1 = a.top + a.height / 2 - box.top;
        const x2 = b.left - box.left, y2 = b.top + b.height / 2 - box.top;
        const mx = (x1 + x2) / 2;
        d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
      }
      parts.push(`<path class="edge" data-from="${esc(String(v[0]))}" data-to="${esc(id)}" data-input="${esc(name)}" d="${d}" marker-end="url(#arrow)"></path>`);
    }
  }
  svg.innerHTML = `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
    orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"></path></marker></defs>${parts.join("")}`;
}

function showNoWorkflow(err) {
  state.workflow = null;
  $("workflow").hidden = false;
  $("workflow-body").hidden = true;
  const status = $("workflow-status");
  status.replaceChildren(el("p", { class: "calm" },
    err.status && err.status < 500 ? "There is no runnable workflow for this answer: " : "The workflow could not be built: ",
    err.message));
}

function showWorkflow(wf) {
  state.workflow = wf;
  const meta = wf.meta || {};
  $("workflow").hidden = false;
  $("workflow-status").textContent = "";
  $("workflow-body").hidden = false;
  const runs = (meta.models || []).find((m) => m.role === "runs");
  const metaLine = $("workflow-meta");
  metaLine.replaceChildren(el("strong", { text: meta.title || "Workflow" }),
    runs ? ` — runs ${runs.name}` : "", meta.task ? ` (${taskName(meta.task)})` : "");
  drawGraph(wf);
  const notes = $("workflow-notes");
  notes.replaceChildren(...(meta.notes || []).map((n) => el("li", { html: renderInline(n) })));
  notes.hidden = !(meta.notes || []).length;
  const blob = new Blob([JSON.stringify(wf, null, 2)], { type: "application/json" });
  const link = $("workflow-download");
  if (link.dataset.url) URL.revokeObjectURL(link.dataset.url);
  link.dataset.url = link.href = URL.createObjectURL(blob);
  setupRun(wf);
}

/* ---------- running ---------- */

function namedInputs(wf) {
  const found = {};
  for (const id of graphNodes(wf)) {
    for (const v of Object.values(wf[id].inputs || {})) if (isNamed(v)) found[v.slice(1)] = true;
  }
  for (const k of Object.keys((wf.meta && wf.meta.inputs) || {})) found[k] = true;
  return Object.keys(found);
}

function isTextInput(name, description) {
  return /^TEXT|^STRING/i.test(description || "") || name === "prompt";
}

function resetRun() {
  closeEvents();
  state.run = null;
  state.inputURLs.forEach((u) => URL.revokeObjectURL(u));
  state.inputURLs = [];
  $("run-live").hidden = true;
  $("run-nodes").replaceChildren();
  $("run-errors").hidden = true;
  $("run-errors").replaceChildren();
  $("result").hidden = true;
  $("result").replaceChildren();
  $("run-status").textContent = "";
  $("cancel-button").disabled = true;
  $("run-button").disabled = false;
  $("run-button").textContent = "Run";
}

function setupRun(wf) {
  resetRun();
  const classes = graphNodes(wf).map((id) => wf[id].class_type);
  const foreign = [...new Set(classes.filter((c) => !LOCAL_NODES.has(c)))];
  const form = $("run-form");
  const elsewhere = $("run-elsewhere");
  if (foreign.length) {
    form.hidden = true;
    elsewhere.hidden = false;
    elsewhere.textContent = `This workflow runs on a ComfyUI server: its ${foreign.join(", ")} node` +
      `${foreign.length > 1 ? "s are" : " is"} not one of muselab's local nodes. Download the JSON and load it there.`;
    return;
  }
  elsewhere.hidden = true;
  form.hidden = false;
  const described = (wf.meta && wf.meta.inputs) || {};
  const box = $("run-inputs");
  box.replaceChildren();
  namedInputs(wf).forEach((name) => {
    const id = `input-${name}`;
    const description = described[name] || "";
    if (isTextInput(name, description)) {
      box.append(el("div", { class: "field" },
        el("label", { for: id, text: name === "prompt" ? "Prompt" : name }),
        el("textarea", { id, name, rows: "2", required: true, "data-named": name, "data-kind": "text",
          placeholder: name === "prompt" ? "portrait with soft lighting" : "" })));
    } else {
      const label = { image: "Image", content: "Content image (the picture to restyle)",
        style: "Style image (the look to copy)" }[name] || `Image for “${name}”`;
      box.append(el("div", { class: "field" },
        el("label", { for: id, text: label }),
        el("input", { id, name, type: "file", accept: "image/png,image/jpeg,image/webp", required: true,
          "data-named": name, "data-kind": "file", "aria-describedby": `${id}-hint` }),
        el("p", { class: "hint", id: `${id}-hint`, text: "PNG, JPEG or WebP." })));
    }
  });
  setupSettings(wf);
}

function setupSettings(wf) {
  const fields = $("settings-fields");
  fields.replaceChildren();
  let count = 0;
  for (const id of graphNodes(wf)) {
    const node = wf[id];
    const inputs = Object.entries(node.inputs || {}).filter(([, v]) => !isLink(v) && !isNamed(v) &&
      ["string", "number", "boolean"].includes(typeof v));
    if (!inputs.length) continue;
    const set = el("fieldset", { class: "node-settings" }, el("legend", { text: `#${id} ${node.class_type}` }));
    for (const [name, value] of inputs) {
      const fid = `set-${id}-${name}`;
      const attrs = { id: fid, "data-override": `${id}.${name}`, "data-type": typeof value };
      let input;
      if (typeof value === "boolean") {
        input = el("input", { ...attrs, type: "checkbox" });
        input.checked = value;
        input.dataset.original = String(value);
      } else {
        const isPath = typeof value === "string" && /[\\/]/.test(value);
        input = el("input", { ...attrs, type: typeof value === "number" ? "number" : "text",
          step: typeof value === "number" ? "any" : null, readonly: isPath, title: isPath ? "a file on the server" : null });
        input.value = String(value);
        input.dataset.original = String(value);
      }
      input.addEventListener("input", () => showSetting(id, name, input));
      input.addEventListener("change", () => showSetting(id, name, input));
      set.append(el("div", { class: "setting" }, el("label", { for: fid, text: name }), input));
      count++;
    }
    fields.append(set);
  }
  $("settings").hidden = !count;
}

function showSetting(id, name, input) {
  // the graph shows the value the run will use
  const port = document.querySelector(`#node-${CSS.escape(id)} .port.literal[data-input="${CSS.escape(name)}"]`);
  if (!port) return;
  const value = input.type === "checkbox" ? input.checked : input.value;
  const changed = String(value) !== input.dataset.original;
  port.classList.toggle("changed", changed);
  port.lastChild.textContent = `: ${short(value)}`;
  port.title = `${name}: ${value}${changed ? " (changed for this run)" : ""}`;
  requestAnimationFrame(() => drawEdges(state.workflow));
}

function overrides() {
  const out = {};
  document.querySelectorAll("#settings-fields [data-override]").forEach((input) => {
    const type = input.dataset.type;
    if (type === "boolean") {
      if (String(input.checked) !== input.dataset.original) out[input.dataset.override] = input.checked;
      return;
    }
    if (input.value === input.dataset.original) return;
    if (type === "number") {
      const n = Number(input.value);
      if (input.value.trim() !== "" && Number.isFinite(n)) out[input.dataset.override] = n;
    } else {
      out[input.dataset.override] = input.value;
    }
  });
  return out;
}

function buildRunForm(wf) {
  const data = new FormData();
  const text = {};
  const files = [];
  const missing = [];
  document.querySelectorAll("#run-inputs [data-named]").forEach((input) => {
    const name = input.dataset.named;
    if (input.dataset.kind === "text") {
      if (!input.value.trim()) missing.push(input);
      text[name] = input.value.trim();
    } else if (!input.files.length) {
      missing.push(input);
    } else {
      files.push([name, input.files[0]]);
    }
  });
  if (missing.length) return { missing };
  // a text input is written into the workflow itself: the server takes uploads as files (images) only
  const filled = JSON.parse(JSON.stringify(wf), (k, v) =>
    (isNamed(v) && Object.prototype.hasOwnProperty.call(text, v.slice(1)) ? text[v.slice(1)] : v));
  data.append("workflow", JSON.stringify(filled));
  files.forEach(([name, file]) => data.append(name, file, file.name));
  const o = overrides();
  if (Object.keys(o).length) data.append("overrides", JSON.stringify(o));
  return { data, files };
}

async function startRun(event) {
  event.preventDefault();
  const wf = state.workflow;
  if (!wf) return;
  clearAlert();
  if (!$("token-box").hidden) state.token = $("token").value.trim() || null;
  const built = buildRunForm(wf);
  if (built.missing) {
    showAlert(`Please choose ${built.missing.map((i) => `“${i.labels[0] ? i.labels[0].textContent : i.name}”`).join(" and ")} first.`);
    built.missing[0].focus();
    return;
  }
  resetRun();
  const button = $("run-button");
  button.disabled = true;
  button.textContent = "Sending…";
  $("run-live").hidden = false;
  $("run-status").textContent = "Uploading…";
  built.files.forEach(([name, file]) => state.inputURLs.push(URL.createObjectURL(file)));
  state.inputs = built.files.map(([name, file], i) => ({ name, file, url: state.inputURLs[i] }));
  try {
    const created = await api("/api/runs", { method: "POST", body: built.data, headers: authHeaders() });
    state.run = { id: created.run_id, state: "queued", outputs: [] };
    $("run-live").dataset.runId = created.run_id;
    $("token-box").hidden = true;
    $("cancel-button").disabled = false;
    button.textContent = "Running…";
    setNodeStates({});
    follow(created.run_id);
  } catch (err) {
    $("run-live").hidden = true;
    button.disabled = false;
    button.textContent = "Run";
    if (err.status === 401) {
      const box = $("token-box");
      const retry = !box.hidden && state.token;
      box.hidden = false;
      state.token = null;
      showAlert(retry ? "That token was not accepted; please check it and run again."
        : "This server asks for its access token before it runs anything. Please enter it and press Run again.");
      $("token").focus();
    } else if (err.status === 429) {
      showAlert(`The server is busy: ${err.message}`);
    } else if (err.status === 415) {
      showAlert(`That file is not an image muselab can read (PNG, JPEG or WebP): ${err.message}`);
    } else {
      showAlert(`The run could not start: ${describeError(err)}`);
    }
  }
}

function closeEvents() {
  if (state.events) {
    state.events.close();
    state.events = null;
  }
}

function follow(runId) {
  closeEvents();
  const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
  state.events = source;
  const on = (kind, fn) => source.addEventListener(kind, (e) => {
    if (!state.run || state.run.id !== runId) return;
    let data = {};
    try { data = JSON.parse(e.data || "{}"); } catch (_) { /* keep {} */ }
    fn(data);
  });
  on("queued", () => status("Waiting in the queue…"));
  on("running", () => { state.run.state = "running"; status("Running…"); });
  on("started", (d) => {
    state.run.nodes = (d.nodes || []).map((n) => ({ ...n, state: "pending" }));
    renderRunNodes();
  });
  on("node", (d) => {
    (state.run.nodes || []).forEach((n) => { if (n.state === "running") n.state = "done"; });
    const n = findNode(d.node, d.class_type);
    n.state = "running";
    renderRunNodes();
    status(`Running node #${d.node} ${d.class_type || n.class_type || ""}…`);
  });
  on("cached", (d) => {
    (d.nodes || []).forEach((id) => { findNode(id).state = "cached"; });
    renderRunNodes();
  });
  on("progress", (d) => {
    const n = findNode(d.node);
    n.value = d.value;
    n.max = d.max;
    renderRunNodes();
  });
  on("saved", (d) => {
    if (Number.isInteger(d.output)) state.run.outputs.push(d.output);
  });
  ["done", "failed", "cancelled"].forEach((kind) => on(kind, () => finish(kind)));
  source.onerror = () => {
    if (!state.run || state.run.id !== runId || FINISHED.has(state.run.state)) return;
    closeEvents();
    poll(runId); // the stream broke: ask for the state instead
  };
}

async function poll(runId) {
  for (let i = 0; i < 600 && state.run && state.run.id === runId && !FINISHED.has(state.run.state); i++) {
    try {
      const run = await api(`/api/runs/${encodeURIComponent(runId)}`);
      state.run.nodes = run.nodes;
      state.run.outputs = (run.outputs || []).map((_, n) => n);
      renderRunNodes();
      if (FINISHED.has(run.state)) return finish(run.state, run);
    } catch (err) {
      status(`Lost touch with the run: ${err.message}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function findNode(id, classType) {
  const nodes = (state.run.nodes = state.run.nodes || []);
  let n = nodes.find((x) => String(x.node) === String(id));
  if (!n) {
    n = { node: String(id), class_type: classType || (state.workflow[id] || {}).class_type, state: "pending" };
    nodes.push(n);
  }
  return n;
}

function status(text) {
  $("run-status").textContent = text;
}

const STATE_WORDS = { pending: "waiting", running: "running", done: "done", cached: "cached (reused)",
  failed: "failed", cancelled: "cancelled" };

function setNodeStates(byId) {
  document.querySelectorAll("#graph .node").forEach((box) => {
    const n = byId[box.dataset.node];
    const stateBox = box.querySelector(".node-state");
    const bar = box.querySelector(".node-progress");
    const word = n ? n.state : "idle";
    box.dataset.state = word;
    stateBox.dataset.state = word;
    box.querySelector(".node-state-text").textContent = n ? STATE_WORDS[n.state] || n.state : "";
    if (n && n.max && n.state === "running") {
      bar.hidden = false;
      bar.max = n.max;
      bar.value = n.value || 0;
    } else {
      bar.hidden = true;
    }
  });
}

function renderRunNodes() {
  const nodes = state.run.nodes || [];
  const byId = Object.fromEntries(nodes.map((n) => [String(n.node), n]));
  setNodeStates(byId);
  $("run-nodes").replaceChildren(...nodes.map((n) => {
    const pct = n.max ? Math.round((100 * (n.value || 0)) / n.max) : null;
    return el("li", { class: `run-node ${n.state}`, "data-node": n.node, "data-state": n.state },
      el("span", { class: "dot", "aria-hidden": "true" }),
      `#${n.node} ${n.class_type || ""}: ${STATE_WORDS[n.state] || n.state}`,
      n.state === "running" && pct !== null ? ` (${pct}%)` : "");
  }));
}

async function finish(kind, run) {
  if (!state.run || FINISHED.has(state.run.state)) return;
  closeEvents();
  const runId = state.run.id;
  state.run.state = kind;
  (state.run.nodes || []).forEach((n) => {
    if (n.state === "running") n.state = kind === "done" ? "done" : kind;
  });
  renderRunNodes();
  $("cancel-button").disabled = true;
  const button = $("run-button");
  button.disabled = false;
  button.textContent = "Run again";
  if (kind === "done") {
    status("Done.");
    showResult(runId);
    return;
  }
  if (kind === "cancelled") {
    status("The run was cancelled.");
    return;
  }
  status("The run failed.");
  try {
    run = run || await api(`/api/runs/${encodeURIComponent(runId)}`);
    showErrors(run.errors || []);
  } catch (err) {
    showErrors([{ node: "-", kind: "error", message: err.message }]);
  }
}

function showErrors(errors) {
  const box = $("run-errors");
  box.hidden = false;
  box.replaceChildren(el("h4", { text: "What went wrong" }),
    el("ul", {}, ...(errors.length ? errors : [{ node: "-", kind: "error", message: "no reason was given" }]).map((e) =>
      el("li", {}, e.node && e.node !== "-" ? el("strong", { text: `Node #${e.node}` }) : null,
        e.node && e.node !== "-" ? " " : null, e.kind ? el("span", { class: "badge warn", text: e.kind }) : null,
        " ", e.message || ""))));
  errors.forEach((e) => {
    const box = e.node && $(`node-${e.node}`);
    if (box) {
      box.dataset.state = "failed";
      box.querySelector(".node-state-text").textContent = "failed";
    }
  });
  showAlert("Sorry, the run failed; what went wrong is listed under the workflow.");
}

function figure(src, caption, alt, id) {
  const img = el("img", { src, alt, id, decoding: "async" });
  const size = el("span", { class: "size" });
  img.addEventListener("load", () => { size.textContent = ` ${img.naturalWidth} × ${img.naturalHeight}`; });
  return el("figure", {}, img, el("figcaption", {}, caption, size));
}

function showResult(runId) {
  const box = $("result");
  box.hidden = false;
  box.replaceChildren();
  const outputs = state.run.outputs.length ? state.run.outputs : [0];
  const row = el("div", { class: "compare" });
  (state.inputs || []).forEach((input) => row.append(figure(input.url, `Your ${input.name}`, `The uploaded ${input.name}`,
    `input-${input.name}-preview`)));
  outputs.forEach((n, i) => {
    const url = `/api/runs/${encodeURIComponent(runId)}/outputs/${n}`;
    const fig = figure(url, outputs.length > 1 ? `Result ${i + 1}` : "Result", "The result of the run",
      i === 0 ? "result-image" : null);
    fig.querySelector("figcaption").append(" ", el("a", { href: url, download: `muselab-${runId}-${n}.png`,
      text: "Download" }));
    row.append(fig);
  });
  box.append(el("h4", { text: "Result" }), row);
}

async function cancelRun() {
  if (!state.run || FINISHED.has(state.run.state)) return;
  $("cancel-button").disabled = true;
  status("Cancelling…");
  try {
    await api(`/api/runs/${encodeURIComponent(state.run.id)}`, { method: "DELETE", headers: authHeaders() });
  } catch (err) {
    $("cancel-button").disabled = false;
    showAlert(`The run could not be cancelled: ${err.message}`);
  }
}

/* ---------- start ---------- */

async function loadHealth() {
  try {
    const h = await api("/api/health");
    const n = (x) => (typeof x === "number" ? x.toLocaleString("en") : "?");
    $("health").textContent = `muselab ${h.version} · ${n(h.models)} models · ${n(h.papers)} papers` +
      (typeof h.tasks === "number" ? ` · ${h.tasks} tasks` : "");
  } catch (err) {
    $("health").textContent = "muselab's server does not answer.";
  }
  try {
    const tasks = await api("/api/tasks");
    tasks.forEach((t) => { state.tasks[t.id] = t; });
  } catch (_) { /* task ids are shown as they are */ }
}

function start() {
  setupExamples();
  const form = $("ask-form");
  const question = $("question");
  form.addEventListener("submit", (e) => { e.preventDefault(); ask(question.value); });
  question.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  $("alert-close").addEventListener("click", clearAlert);
  $("run-form").addEventListener("submit", startRun);
  $("cancel-button").addEventListener("click", cancelRun);
  $("token").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); $("run-form").requestSubmit(); }
  });
  let pending = 0;
  const redraw = () => { cancelAnimationFrame(pending); pending = requestAnimationFrame(() => drawEdges(state.workflow)); };
  window.addEventListener("resize", redraw);
  if ("ResizeObserver" in window) new ResizeObserver(redraw).observe($("graph"));
  loadHealth();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

// for tests and the curious: the renderer is a pure function
window.muselab = { renderMarkdown, renderInline };
