// Storyline web page: plain JavaScript, no framework, no external fetches.
//
// Invariants:
// - Data from the API is only ever put into the page through textContent / attribute
//   setters (see `el`), never through innerHTML, so titles, labels and entities cannot inject markup.
// - Outgoing links to article sources are only made for http(s) URLs.
// - The view is a pure function of location.hash (#/, #/page/N, #/storyline/ID, #/event/ID,
//   #/article/ID, #/compare/A/B, #/search/QUERY), so every view can be opened directly by its link.
// - `document.body.dataset.view` names the rendered view and `data-ready="1"` is set once the
//   view's data has been rendered; tests wait on these.
"use strict";

const PAGE_SIZE = 20;
const view = document.getElementById("view");
const errorBox = document.querySelector("[data-testid=error]");
const searchForm = document.querySelector("[data-testid=search-form]");
const searchInput = document.querySelector("[data-testid=search-input]");

// A render in flight is abandoned when the hash changes again (its token is stale).
let renderToken = 0;

/** Creates an element. `attrs` keys: `text`, `class`, `dataset` (object), `on<Event>` handlers, others as attributes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** GET or POST JSON; throws an Error carrying the API's `{"error": msg}` message on failure. */
async function api(path, body) {
  const init = body === undefined
    ? { headers: { Accept: "application/json" } }
    : { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body) };
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new Error(`cannot reach the server (${e.message})`);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    // Non-JSON body: reported below with the status.
  }
  if (!response.ok) {
    const msg = data && typeof data.error === "string" ? data.error : `HTTP ${response.status}`;
    throw new Error(msg);
  }
  if (data === null) throw new Error(`bad response from ${path}`);
  return data;
}

const enc = encodeURIComponent;

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = !message;
}

/** "2024-03-17" from an RFC 3339 string; "undated" for null; the raw string if unparsable. */
function day(date) {
  if (!date) return "undated";
  const d = new Date(date);
  return Number.isNaN(d.getTime()) ? String(date) : d.toISOString().slice(0, 10);
}

/** "2024-03-11 → 2024-03-14", or one day when start and end fall on the same day. */
function span(start, end) {
  const a = day(start);
  const b = day(end);
  if (!start && !end) return "undated";
  return a === b || !end ? a : `${a} → ${b}`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function safeUrl(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
}

function sourceLink(url) {
  const href = safeUrl(url);
  return href ? el("a", { href, class: "source", target: "_blank", rel: "noopener noreferrer", text: "source ↗" }) : null;
}

function articleLink(a) {
  return el("a", { href: `#/article/${enc(a.id)}`, "data-testid": "article-link", text: a.title || a.id });
}

function pct(x) {
  return typeof x === "number" ? x.toFixed(2) : "—";
}

function setReady(name) {
  document.body.dataset.view = name;
  document.body.dataset.ready = "1";
}

// ---------------------------------------------------------------- storyline list

async function renderList(page, token) {
  const offset = page * PAGE_SIZE;
  const data = await api(`/v1/storylines?limit=${PAGE_SIZE}&offset=${offset}`);
  if (token !== renderToken) return;
  const total = Number(data.total) || 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const items = (data.storylines || []).map((s) =>
    el("li", { class: "card storyline", "data-testid": "storyline-item", dataset: { id: s.id, size: s.size, events: s.events } },
      el("a", { href: `#/storyline/${enc(s.id)}`, class: "title", "data-testid": "storyline-link", text: s.label || s.id }),
      el("div", { class: "meta" },
        el("span", { class: "when", text: span(s.start, s.end) }),
        el("span", { class: "pill", text: plural(s.size, "article") }),
        el("span", { class: "pill", text: plural(s.events, "event") }))));
  view.replaceChildren(
    el("h1", { text: "Storylines" }),
    el("p", { class: "muted", "data-testid": "storyline-total", text: `${plural(total, "storyline")}, largest first.` }),
    items.length
      ? el("ul", { class: "cards", "data-testid": "storyline-list" }, items)
      : el("p", { class: "empty", "data-testid": "storyline-list", text: "No storylines yet: ingest some articles." }),
    el("nav", { class: "pager" },
      el("a", { class: page > 0 ? "button" : "button disabled", href: page > 0 ? `#/page/${page - 1}` : null, "data-testid": "pager-prev", text: "← Previous" }),
      el("span", { class: "muted", text: `page ${page + 1} of ${pages}` }),
      el("a", { class: page + 1 < pages ? "button" : "button disabled", href: page + 1 < pages ? `#/page/${page + 1}` : null, "data-testid": "pager-next", text: "Next →" })));
  setReady("list");
}

// ---------------------------------------------------------------- storyline timeline

function eventItem(ev, expanded) {
  const articles = ev.articles || [];
  const list = el("ul", { class: "articles", "data-testid": "event-articles", hidden: !expanded },
    articles.map((a) =>
      el("li", { class: "article", "data-testid": "article-item", dataset: { id: a.id } },
        articleLink(a),
        el("span", { class: "when", text: day(a.date) }),
        sourceLink(a.url))));
  const toggle = el("button", {
    type: "button", class: "toggle", "data-testid": "event-toggle", "aria-expanded": expanded ? "true" : "false",
    text: `${expanded ? "Hide" : "Show"} ${plural(articles.length, "article")}`,
  });
  toggle.addEventListener("click", () => {
    const open = list.hidden;
    list.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.textContent = `${open ? "Hide" : "Show"} ${plural(articles.length, "article")}`;
  });
  return el("li", { class: "event", id: `event-${ev.id}`, "data-testid": "event-item", dataset: { id: ev.id, start: ev.start || "", end: ev.end || "", size: ev.size } },
    el("div", { class: "dot", "aria-hidden": "true" }),
    el("div", { class: "event-body" },
      el("div", { class: "when", text: span(ev.start, ev.end) }),
      el("div", { class: "label", "data-testid": "event-label", text: ev.label || ev.id }),
      articles.length ? el("div", { class: "headline", text: `“${articles[0].title || articles[0].id}”` }) : null,
      el("div", { class: "meta" }, el("span", { class: "pill", text: plural(ev.size, "article") }), toggle),
      list));
}

async function renderStoryline(id, openEvent, token) {
  const s = await api(`/v1/storylines/${enc(id)}`);
  if (token !== renderToken) return;
  const events = s.events || [];
  view.replaceChildren(
    el("a", { href: "#/", class: "back", text: "← All storylines" }),
    el("h1", { "data-testid": "storyline-title", text: s.label || s.id }),
    el("div", { class: "meta" },
      el("span", { class: "when", text: span(s.start, s.end) }),
      el("span", { class: "pill", text: plural(s.size, "article") }),
      el("span", { class: "pill", text: plural(events.length, "event") })),
    el("ol", { class: "timeline", "data-testid": "timeline", dataset: { id: s.id, count: events.length } },
      events.map((ev) => eventItem(ev, ev.id === openEvent))));
  if (openEvent) {
    const target = document.getElementById(`event-${openEvent}`);
    if (target) target.scrollIntoView({ block: "center" });
  }
  setReady("storyline");
}

async function renderEvent(id, token) {
  const ev = await api(`/v1/events/${enc(id)}`);
  if (token !== renderToken) return;
  // An event is shown inside its storyline's timeline, expanded.
  await renderStoryline(ev.storyline_id, ev.id, token);
}

// ---------------------------------------------------------------- article + related + compare

function signalsTable(signals) {
  const names = {
    body: "body text", head: "headline + lead", head_plain: "headline (plain)", plain: "plain terms",
    entities: "entities", gap_days: "time gap (days)",
  };
  const rows = Object.entries(signals || {}).map(([k, v]) =>
    el("tr", { "data-testid": "compare-signal", dataset: { name: k } },
      el("th", { text: names[k] || k }),
      el("td", {}, typeof v === "number" && k !== "gap_days"
        ? el("span", { class: "bar" }, el("span", { style: `width:${Math.max(0, Math.min(1, v)) * 100}%` }))
        : null),
      el("td", { class: "num", text: v === null ? "—" : typeof v === "number" ? (k === "gap_days" ? v.toFixed(1) : v.toFixed(2)) : String(v) })));
  return el("table", { class: "signals" }, rows);
}

function relationName(r) {
  return ({ duplicate: "duplicate", same_event: "same event", same_storyline: "same storyline", unrelated: "unrelated" })[r] || String(r);
}

function renderCompare(box, c) {
  const r = c.reasons || {};
  const gap = r.time_gap_days;
  box.replaceChildren(
    el("div", { class: "compare-head" },
      el("span", { class: `relation rel-${c.relation}`, "data-testid": "compare-relation", dataset: { relation: c.relation }, text: relationName(c.relation) }),
      el("span", { class: "muted", text: ` score ${pct(c.score)}` }),
      el("a", { class: "small-link", href: `#/compare/${enc(c.a && c.a.id)}/${enc(c.b && c.b.id)}`, text: "link to this comparison" })),
    el("p", { class: "pair" },
      el("a", { href: `#/article/${enc(c.a && c.a.id)}`, text: (c.a && (c.a.title || c.a.id)) || "A" }),
      el("span", { class: "muted", text: " vs " }),
      el("a", { href: `#/article/${enc(c.b && c.b.id)}`, text: (c.b && (c.b.title || c.b.id)) || "B" })),
    el("h4", { text: "Why" }),
    el("ul", { class: "explanation", "data-testid": "compare-explanation" }, (r.explanation || []).map((line) => el("li", { text: line }))),
    el("h4", { text: "Signals" }),
    signalsTable(r.signals),
    el("p", { class: "muted", text: `near-duplicate measures: shingle Jaccard ${pct(r.shingle_jaccard)}, containment ${pct(r.containment)}` }),
    el("p", { "data-testid": "compare-gap", text: `Time gap: ${gap === null || gap === undefined ? "unknown (a publication date is missing)" : `${Number(gap).toFixed(1)} days`}` }),
    el("h4", { text: "Shared entities" }),
    (r.shared_entities || []).length
      ? el("ul", { class: "chips", "data-testid": "compare-entities" }, r.shared_entities.map((e) =>
        el("li", { class: `chip kind-${e.kind}`, title: `${e.kind}; mentions ${(e.mentions || []).join(" / ")}`, text: e.name })))
      : el("p", { class: "muted", text: "none" }),
    el("h4", { text: "Shared terms" }),
    (r.shared_terms || []).length
      ? el("ul", { class: "chips", "data-testid": "compare-terms" }, r.shared_terms.map((t) => el("li", { class: "chip", text: t })))
      : el("p", { class: "muted", text: "none" }));
}

async function compare(box, aId, bId) {
  box.hidden = false;
  box.replaceChildren(el("p", { class: "muted", text: "Comparing…" }));
  box.scrollIntoView({ block: "nearest" });
  try {
    renderCompare(box, await api("/v1/compare", { a_id: aId, b_id: bId }));
  } catch (e) {
    box.replaceChildren(el("p", { class: "error-inline", text: `Compare failed: ${e.message}` }));
  }
}

function relatedSection(title, testid, items, currentId, box) {
  return el("section", { class: "related", "data-testid": testid },
    el("h3", { text: `${title} (${items.length})` }),
    items.length
      ? el("ul", { class: "articles" }, items.map((a) =>
        el("li", { class: "article", "data-testid": "related-item", dataset: { id: a.id } },
          articleLink(a),
          el("span", { class: "when", text: day(a.date) }),
          el("button", { type: "button", class: "small", "data-testid": "compare-button", onclick: () => compare(box, currentId, a.id), text: "why related?" }))))
      : el("p", { class: "muted", text: "none" }));
}

async function renderArticle(id, compareWith, token) {
  const [a, rel] = await Promise.all([api(`/v1/articles/${enc(id)}`), api(`/v1/articles/${enc(id)}/related`)]);
  if (token !== renderToken) return;
  const box = el("div", { class: "card compare", "data-testid": "compare-result", hidden: true });
  const otherInput = el("input", { type: "text", placeholder: "another article id", "data-testid": "compare-input", "aria-label": "Article id to compare with" });
  const text = String(a.text || "");
  const body = el("div", { class: "text", "data-testid": "article-text" },
    text.split(/\n\s*\n/).filter((p) => p.trim()).map((p) => el("p", { text: p.trim() })));
  view.replaceChildren(
    a.storyline_id != null ? el("a", { href: `#/storyline/${enc(a.storyline_id)}`, class: "back", text: "← Storyline" }) : el("a", { href: "#/", class: "back", text: "← All storylines" }),
    el("h1", { "data-testid": "article-title", text: a.title || a.id }),
    el("div", { class: "meta" },
      el("span", { class: "when", text: day(a.date) }),
      a.lang ? el("span", { class: "pill", text: a.lang }) : null,
      a.event_id != null ? el("a", { class: "pill", href: `#/event/${enc(a.event_id)}`, "data-testid": "article-event-link", text: "event timeline" }) : null,
      a.duplicate_of != null ? el("a", { class: "pill warn", href: `#/article/${enc(a.duplicate_of)}`, text: "duplicate of an earlier article" }) : null,
      sourceLink(a.url)),
    (a.entities || []).length
      ? el("ul", { class: "chips", "data-testid": "article-entities" }, a.entities.map((e) =>
        el("li", { class: "chip" }, el("a", { href: `#/search/${enc(e)}`, text: e }))))
      : null,
    el("details", { class: "card" }, el("summary", { text: "Article text" }), body),
    el("h2", { text: "Related articles" }),
    el("div", { class: "related-grid" },
      relatedSection("Duplicates", "related-duplicates", rel.duplicates || [], a.id, box),
      relatedSection("Same event", "related-same-event", rel.same_event || [], a.id, box),
      relatedSection("Same storyline", "related-same-storyline", rel.same_storyline || [], a.id, box)),
    el("form", {
      class: "compare-form", "data-testid": "compare-form",
      onsubmit: (ev) => {
        ev.preventDefault();
        const other = otherInput.value.trim();
        if (other) compare(box, a.id, other);
      },
    }, el("label", { text: "Compare with… " }), otherInput, el("button", { type: "submit", text: "Compare" })),
    box);
  if (compareWith) await compare(box, a.id, compareWith);
  setReady("article");
}

// ---------------------------------------------------------------- search

async function renderSearch(q, token) {
  searchInput.value = q;
  if (!q.trim()) {
    view.replaceChildren(el("p", { class: "muted", text: "Type a name, a place or words from a title." }));
    setReady("search");
    return;
  }
  const data = await api(`/v1/search?q=${enc(q)}&limit=20`);
  if (token !== renderToken) return;
  const storylines = data.storylines || [];
  const articles = data.articles || [];
  view.replaceChildren(
    el("h1", { text: `Search: ${q}` }),
    el("div", { class: "search-results", "data-testid": "search-results" },
      el("h2", { text: `Storylines (${storylines.length})` }),
      storylines.length
        ? el("ul", { class: "cards" }, storylines.map((s) =>
          el("li", { class: "card storyline", "data-testid": "search-result", dataset: { kind: "storyline", id: s.id } },
            el("a", { class: "title", href: `#/storyline/${enc(s.id)}`, text: s.label || s.id }),
            el("div", { class: "meta" }, el("span", { class: "pill", text: plural(s.size, "article") })))))
        : el("p", { class: "muted", text: "none" }),
      el("h2", { text: `Articles (${articles.length})` }),
      articles.length
        ? el("ul", { class: "articles" }, articles.map((a) =>
          el("li", { class: "article", "data-testid": "search-result", dataset: { kind: "article", id: a.id } },
            articleLink(a),
            el("span", { class: "when", text: day(a.date) }),
            a.storyline_id != null ? el("a", { class: "small-link", href: `#/storyline/${enc(a.storyline_id)}`, text: "storyline" }) : null)))
        : el("p", { class: "muted", text: "none" })));
  setReady("search");
}

// ---------------------------------------------------------------- routing

function dec(s) {
  try {
    return decodeURIComponent(s);
  } catch (_) {
    return s;
  }
}

function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/");
  const arg = (i) => dec(parts.slice(i).join("/"));
  switch (parts[0]) {
    case "storyline": return { name: "storyline", id: arg(1) };
    case "event": return { name: "event", id: arg(1) };
    case "article": return { name: "article", id: arg(1) };
    case "compare": return { name: "article", id: dec(parts[1] || ""), compareWith: dec(parts[2] || "") };
    case "search": return { name: "search", q: arg(1) };
    case "page": return { name: "list", page: Math.max(0, parseInt(parts[1], 10) || 0) };
    default: return { name: "list", page: 0 };
  }
}

async function route() {
  const token = ++renderToken;
  const r = parseRoute(location.hash);
  delete document.body.dataset.ready;
  showError("");
  view.replaceChildren(el("p", { class: "muted", "data-testid": "loading", text: "Loading…" }));
  if (r.name !== "search") window.scrollTo(0, 0);
  try {
    if (r.name === "storyline") await renderStoryline(r.id, null, token);
    else if (r.name === "event") await renderEvent(r.id, token);
    else if (r.name === "article") await renderArticle(r.id, r.compareWith || null, token);
    else if (r.name === "search") await renderSearch(r.q, token);
    else await renderList(r.page, token);
  } catch (e) {
    if (token !== renderToken) return;
    showError(e.message);
    view.replaceChildren(el("p", { class: "muted", text: "Nothing to show." }), el("a", { href: "#/", text: "← All storylines" }));
    setReady("error");
  }
}

let searchTimer = null;
searchForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  clearTimeout(searchTimer);
  location.hash = `#/search/${enc(searchInput.value.trim())}`;
});
// Search as you type, debounced; an empty box leaves the current view alone.
searchInput.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    const q = searchInput.value.trim();
    if (q.length >= 2) location.hash = `#/search/${enc(q)}`;
  }, 300);
});
window.addEventListener("hashchange", route);
route();
