// The review page. Vanilla JS, no build step.
// Every piece of data goes into the DOM as text (textContent, text nodes, Option text,
// dataset values): never as HTML, because releases are scraped from anywhere.
// Offsets are Python string indices, i.e. code points, so text is handled as Array.from(text).
"use strict";

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const csrf = $('meta[name="csrf-token"]').content;
  const S = {
    meta: null, queue: [], rid: null, view: null,
    items: [], cursor: 0, lastSel: null, loading: 0,
    mode: "release", records: null, orgId: null, org: null, orgLoading: 0,
    side: "orgs", personId: null, peopleLoading: 0, recordLoading: 0,
  };

  // ---- small DOM helpers (text only) ----
  function el(tag, props = {}, ...kids) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null) continue;
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
      else if (k === "title" || k === "type" || k === "disabled" || k === "hidden") node[k] = v;
      else node.setAttribute(k, String(v));
    }
    for (const kid of kids) {
      if (kid === undefined || kid === null || kid === false) continue;
      node.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return node;
  }
  const td = (...kids) => el("td", {}, ...kids);
  const fmtScore = (x) => (x === null || x === undefined ? "" : Number(x).toFixed(2));
  const shortTime = (iso) => (iso ? iso.replace("T", " ").slice(0, 16) : "");

  function flash(msg, bad = false) {
    const box = $("#status");
    box.textContent = msg;
    box.classList.toggle("bad", bad);
  }

  async function api(path, body) {
    const opts = { credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      opts.method = "POST";
      opts.headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts);
    let data = {};
    try { data = await res.json(); } catch (_) { /* not JSON */ }
    if (!res.ok) throw new Error(data.error || `${res.status} ${res.statusText}`);
    return data;
  }

  // ---- reviewer name: remembered in localStorage and a cookie ----
  function reviewer() { return $("#reviewer").value.trim(); }
  function initReviewer() {
    const fromCookie = document.cookie.split("; ").find((c) => c.startsWith("reviewer="));
    const saved = localStorage.getItem("reviewer") || (fromCookie ? decodeURIComponent(fromCookie.slice(9)) : "");
    $("#reviewer").value = saved;
    $("#reviewer").addEventListener("change", () => {
      const v = reviewer();
      localStorage.setItem("reviewer", v);
      document.cookie = `reviewer=${encodeURIComponent(v)}; path=/; max-age=31536000; SameSite=Strict`;
    });
  }

  // ---- the text with entities highlighted (displaCy style) ----
  function renderText(box, text, entities) {
    box.textContent = "";
    const cps = Array.from(text || "");
    const n = cps.length;
    const spans = [];
    for (const e of entities) {
      if (e.status === "rejected") continue;
      for (const m of e.mentions || []) {
        const s = Math.max(0, Number(m[0]) | 0), t = Math.min(n, Number(m[1]) | 0);
        if (s < t) spans.push({ s, t, e });
      }
    }
    const cuts = new Set([0, n]);
    for (const sp of spans) { cuts.add(sp.s); cuts.add(sp.t); }
    const pts = [...cuts].sort((a, b) => a - b);
    const frag = document.createDocumentFragment();
    for (let i = 0; i + 1 < pts.length; i++) {
      const a = pts[i], b = pts[i + 1];
      const str = cps.slice(a, b).join("");
      const cover = spans.filter((sp) => sp.s <= a && sp.t >= b);
      if (!cover.length) { frag.append(document.createTextNode(str)); continue; }
      cover.sort((x, y) => (x.t - x.s) - (y.t - y.s));
      const sp = cover[0];
      const mark = el("mark", {
        class: "ent",
        title: `${sp.e.label}: ${sp.e.text_norm || sp.e.text || ""}`,
        dataset: { label: sp.e.label, eid: sp.e.entity_id, eids: cover.map((c) => c.e.entity_id).join(" "), status: sp.e.status },
      }, str);
      if (b === sp.t) mark.classList.add("end");
      if (cover.length > 1) mark.classList.add("nested");
      frag.append(mark);
    }
    box.append(frag);
  }

  // The text selection inside `box` as code-point offsets into the release text, or null.
  function selectionIn(box) {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const r = sel.getRangeAt(0);
    if (!box.contains(r.startContainer) || !box.contains(r.endContainer)) return null;
    const pre = document.createRange();
    pre.selectNodeContents(box);
    pre.setEnd(r.startContainer, r.startOffset);
    const start = Array.from(pre.toString()).length;
    return { start, end: start + Array.from(r.toString()).length, text: r.toString() };
  }

  document.addEventListener("selectionchange", () => {
    const doc = $("#doc");
    const got = selectionIn(doc);
    if (got) { S.lastSel = got; return; }
    const sel = window.getSelection();
    if (sel && sel.isCollapsed && sel.anchorNode && doc.contains(sel.anchorNode)) S.lastSel = null;
  });

  // ---- the queue ----
  function filters() {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData($("#filters"))) if (String(v).trim()) params.set(k, String(v).trim());
    return params;
  }

  async function loadQueue() {
    const token = ++S.loading;
    const data = await api(`/api/queue?${filters()}`);
    if (token !== S.loading) return;
    S.queue = data.items;
    renderQueue();
  }

  function renderQueue() {
    const list = $("#queue");
    list.textContent = "";
    for (const q of S.queue) {
      const facts = [q.lang, q.date, `need ${q.need.toFixed(1)}`];
      if (q.low_entities) facts.push(`${q.low_entities} low ent`);
      if (q.low_relations) facts.push(`${q.low_relations} low rel`);
      if (q.disagreements) facts.push(`${q.disagreements} EN/ZH diff`);
      if (q.decisions) facts.push(`${q.decisions} decided`);
      const li = el("li", { class: q.release_id === S.rid ? "current" : "", dataset: { rid: q.release_id } },
        el("button", { type: "button", class: "qitem", on: { click: () => openRelease(q.release_id) } },
          el("span", { class: "qtitle" }, q.title || q.source_path || q.release_id),
          el("span", { class: "qmeta" }, facts.filter(Boolean).join(" · ")),
          q.reviewed ? el("span", { class: "qdone" }, `✓ ${q.reviewer || ""}`) : null));
      list.append(li);
    }
    $("#queue-count").textContent = `${S.queue.length} release${S.queue.length === 1 ? "" : "s"}`;
  }

  function markCurrentInQueue() {
    for (const li of $("#queue").children) li.classList.toggle("current", li.dataset.rid === S.rid);
    const cur = [...$("#queue").children].find((li) => li.dataset.rid === S.rid);
    if (cur) cur.scrollIntoView({ block: "nearest" });
  }

  function step(delta) {
    if (!S.queue.length) return;
    const i = S.queue.findIndex((q) => q.release_id === S.rid);
    const j = i < 0 ? 0 : Math.min(S.queue.length - 1, Math.max(0, i + delta));
    openRelease(S.queue[j].release_id);
  }

  // ---- one release ----
  async function openRelease(rid) {
    if (!rid) return;
    if (location.hash !== `#release=${encodeURIComponent(rid)}`) history.replaceState(null, "", `#release=${encodeURIComponent(rid)}`);
    const changed = rid !== S.rid;
    S.rid = rid;
    if (changed) { S.cursor = 0; S.lastSel = null; }
    try {
      S.view = await api(`/api/release/${encodeURIComponent(rid)}`);
    } catch (e) {
      flash(`Cannot open release: ${e.message}`, true);
      return;
    }
    renderRelease(changed);
    markCurrentInQueue();
  }

  const reloadRelease = () => openRelease(S.rid);

  function renderRelease(changed) {
    const v = S.view, r = v.release;
    showPane("#release");
    $("#r-title").textContent = r.title || r.source_path || r.release_id;
    $("#r-meta").textContent = [r.lang, r.script, r.dateline_place, r.dateline_date, r.source_path, r.release_id].filter(Boolean).join(" · ");
    $("#r-reviewed").textContent = v.reviewed ? `reviewed by ${v.reviewed.by} ${shortTime(v.reviewed.at)}` : "";
    $("#mark-reviewed").textContent = v.reviewed ? "Reopen" : "Mark reviewed (d)";
    $("#doc").lang = r.lang === "zh" ? "zh" : "en";
    renderText($("#doc"), r.clean_text, v.entities);
    const a = v.aligned;
    $("#aligned-pane").hidden = !a;
    if (a) {
      $("#a-meta").textContent = `${a.release.lang} · ${a.release.title || a.release.release_id} · score ${fmtScore(a.score)}`;
      $("#aligned-doc").lang = a.release.lang === "zh" ? "zh" : "en";
      renderText($("#aligned-doc"), a.release.clean_text, a.entities);
    }
    renderEntities(v.entities);
    renderRelations(v.relations);
    renderLinks(v.links);
    renderRelationForm(v.entities);
    S.items = [
      ...v.entities.map((e) => ({ kind: "entity", key: e.entity_id, row: e })),
      ...v.relations.map((x) => ({ kind: "relation", key: x.relation_id, row: x })),
      ...v.links.map((x) => ({ kind: "link", key: x.link_id, row: x })),
    ];
    if (S.cursor >= S.items.length) S.cursor = Math.max(0, S.items.length - 1);
    showCursor(changed);
    renderHistory().catch(() => {});
  }

  function statusCell(x) {
    const who = x.reviewer ? ` · ${x.reviewer} ${shortTime(x.decided_at)}` : "";
    return el("td", { class: `status st-${x.status}` }, `${x.status}${who}`);
  }

  function actionButtons(kind, x, extra = []) {
    const key = kind === "entity" ? x.entity_id : kind === "relation" ? x.relation_id : x.link_id;
    return el("td", { class: "actions" },
      el("button", { type: "button", class: "ok", title: "accept (a)", on: { click: () => decide(kind, key, "accept", {}, x.decision_id) } }, "Accept"),
      el("button", { type: "button", class: "no", title: "reject (x)", on: { click: () => decide(kind, key, "reject", {}, x.decision_id) } }, "Reject"),
      ...extra);
  }

  function labelOptions(current) {
    const labels = [...S.meta.labels];
    if (current && !labels.includes(current)) labels.push(current);
    return labels.map((L) => new Option(L, L, false, L === current));
  }

  function renderEntities(entities) {
    const body = $("#entities tbody");
    body.textContent = "";
    entities.forEach((e, i) => {
      const sel = el("select", { "aria-label": "label", on: { change: () => decide("entity", e.entity_id, "relabel", { label: sel.value }, e.decision_id) } });
      sel.append(...labelOptions(e.label));
      const tr = el("tr", { class: `st-${e.status}`, dataset: { kind: "entity", key: e.entity_id, label: e.label } },
        td(sel), td(e.text), td(e.text_norm, e.org_id ? el("a", { class: "org-link", href: `#org=${encodeURIComponent(e.org_id)}`, title: "open its organisation" }, " ⟶ organisation") : null,
          e.person_id ? el("a", { class: "person-link", href: `#person=${encodeURIComponent(e.person_id)}`, title: "open the person" }, " ⟶ person") : null),
        td(String((e.mentions || []).length)), td(fmtScore(e.score)), td(e.source),
        statusCell(e),
        actionButtons("entity", e, [el("button", { type: "button", title: "set span from the text selection (s)", on: { click: () => fixSpan(e) } }, "Span")]));
      tr.addEventListener("click", (ev) => { if (ev.target.closest("button, select")) return; S.cursor = i; showCursor(); });
      body.append(tr);
    });
    $("#n-entities").textContent = `(${entities.filter((e) => e.status !== "rejected").length})`;
  }

  function renderRelations(relations) {
    const body = $("#relations tbody");
    body.textContent = "";
    const n0 = S.view.entities.length;
    relations.forEach((x, i) => {
      const details = [x.kind, x.title, x.date].filter(Boolean).join(" · ");
      const tr = el("tr", { class: `st-${x.status}`, dataset: { kind: "relation", key: x.relation_id } },
        td(x.type), td(x.head), td(x.tail || ""), td(details), el("td", { class: "evidence", title: x.evidence || "" }, x.evidence || ""),
        td(fmtScore(x.score)), statusCell(x), actionButtons("relation", x));
      tr.addEventListener("click", (ev) => { if (ev.target.closest("button")) return; S.cursor = n0 + i; showCursor(); });
      body.append(tr);
    });
    $("#n-relations").textContent = `(${relations.filter((x) => x.status === "accepted" || x.status === "pending").length})`;
  }

  function renderLinks(links) {
    const body = $("#links tbody");
    body.textContent = "";
    const n0 = S.view.entities.length + S.view.relations.length;
    links.forEach((x, i) => {
      const tr = el("tr", { class: `st-${x.status}`, dataset: { kind: "link", key: x.link_id } },
        td(x.en_text), td(x.zh_text), td(fmtScore(x.score)), statusCell(x), actionButtons("link", x));
      tr.addEventListener("click", (ev) => { if (ev.target.closest("button")) return; S.cursor = n0 + i; showCursor(); });
      body.append(tr);
    });
    $("#n-links").textContent = links.length ? `(${links.length})` : "(none yet)";
  }

  function renderRelationForm(entities) {
    const form = $("#add-relation");
    const keep = { type: form.elements.type.value, head_id: form.elements.head_id.value, tail_id: form.elements.tail_id.value };
    form.elements.type.textContent = "";
    for (const t of S.meta.relation_types) form.elements.type.append(new Option(t, t, false, t === keep.type));
    for (const name of ["head_id", "tail_id"]) {
      const sel = form.elements[name];
      sel.textContent = "";
      sel.append(new Option(name === "head_id" ? "head…" : "tail (none)", ""));
      for (const e of entities) {
        if (e.status === "rejected") continue;
        sel.append(new Option(`${e.label}: ${e.text}`, e.entity_id, false, e.entity_id === keep[name]));
      }
    }
  }

  async function renderHistory() {
    const box = $("#history");
    if (!box.open || !S.rid) return;
    const list = box.querySelector("ol");
    const data = await api(`/api/history/${encodeURIComponent(S.rid)}`);
    list.textContent = "";
    for (const d of data.decisions.slice().reverse()) {
      const what = d.state.label || d.state.type || d.state.status || "";
      list.append(el("li", {}, `${shortTime(d.at)} · ${d.reviewer} · ${d.kind} ${d.key} · ${d.action} ${what}`));
    }
    if (!data.decisions.length) list.append(el("li", { class: "muted" }, "no decisions yet"));
  }

  // ---- cursor over entities, relations and links ----
  function current() { return S.items[S.cursor] || null; }

  function showCursor(scroll = true) {
    const cur = current();
    for (const tr of document.querySelectorAll("table.items tbody tr")) {
      const on = !!cur && tr.dataset.kind === cur.kind && tr.dataset.key === cur.key;
      tr.classList.toggle("cur", on);
      if (on && scroll) tr.scrollIntoView({ block: "nearest" });
    }
    const here = new Set(), there = new Set();
    if (cur && cur.kind === "entity") here.add(cur.key);
    if (cur && cur.kind === "relation") { here.add(cur.row.head_id); if (cur.row.tail_id) here.add(cur.row.tail_id); }
    const rid = S.rid;
    for (const lk of S.view ? S.view.links : []) {
      const mine = lk.en_release_id === rid ? lk.en_entity_id : lk.zh_entity_id;
      const other = lk.en_release_id === rid ? lk.zh_entity_id : lk.en_entity_id;
      if ((cur && cur.kind === "link" && cur.key === lk.link_id) || here.has(mine)) { here.add(mine); there.add(other); }
    }
    let first = null;
    for (const m of $("#doc").querySelectorAll("mark.ent")) {
      const on = m.dataset.eids.split(" ").some((id) => here.has(id));
      m.classList.toggle("sel", on);
      if (on && !first) first = m;
    }
    for (const m of $("#aligned-doc").querySelectorAll("mark.ent")) m.classList.toggle("sel", m.dataset.eids.split(" ").some((id) => there.has(id)));
    if (first && scroll) first.scrollIntoView({ block: "nearest" });
  }

  function move(delta) {
    if (!S.items.length) return;
    S.cursor = Math.min(S.items.length - 1, Math.max(0, S.cursor + delta));
    showCursor();
  }

  // ---- decisions ----
  async function decide(kind, key, action, data = {}, base = null) {
    const name = reviewer();
    if (!name) {
      flash("Type your name in the Reviewer box first: every decision records who made it.", true);
      $("#reviewer").focus();
      return null;
    }
    try {
      const res = await api("/api/decision", { release_id: S.rid, kind, key, action, data, reviewer: name, base });
      const sup = res.superseded;
      if (sup && (sup.reviewer !== name || kind !== "release")) {
        flash(`Saved ${kind} ${action}. It replaced ${sup.reviewer}'s ${sup.action} from ${shortTime(sup.at)}: both are kept in the history.`);
      } else {
        flash(`Saved: ${kind} ${action}`);
      }
      if (kind !== "release") await reloadRelease();
      return res;
    } catch (e) {
      flash(`Not saved: ${e.message}`, true);
      return null;
    }
  }

  function fixSpan(entity) {
    const sel = selectionIn($("#doc")) || S.lastSel;
    if (!sel) { flash("Select the right text in the release first, then press s.", true); return; }
    S.lastSel = null;
    decide("entity", entity.entity_id, "span", { start: sel.start, end: sel.end }, entity.decision_id);
  }

  function addEntity() {
    const sel = selectionIn($("#doc")) || S.lastSel;
    if (!sel) { flash("Select the missed entity's text in the release first, then press e.", true); return; }
    S.lastSel = null;
    decide("entity", "", "add", { start: sel.start, end: sel.end, label: $("#new-label").value });
  }

  async function addRelation(ev) {
    if (ev) ev.preventDefault();
    const f = $("#add-relation");
    if (!f.elements.head_id.value) { flash("Pick the head entity of the relation.", true); f.elements.head_id.focus(); return; }
    const res = await decide("relation", "", "add", {
      type: f.elements.type.value, head_id: f.elements.head_id.value, tail_id: f.elements.tail_id.value,
      kind: f.elements.kind.value, title: f.elements.title.value, date: f.elements.date.value,
    });
    if (res) { f.elements.kind.value = ""; f.elements.title.value = ""; f.elements.date.value = ""; }
  }

  async function toggleReviewed() {
    const reopen = !!(S.view && S.view.reviewed);
    const res = await decide("release", S.rid, reopen ? "reopen" : "reviewed");
    if (!res) return;
    if (reopen) { await reloadRelease(); loadQueue(); return; }
    const i = S.queue.findIndex((q) => q.release_id === S.rid);
    const next = S.queue.slice(i + 1).find((q) => !q.reviewed) || S.queue.find((q) => !q.reviewed && q.release_id !== S.rid);
    await loadQueue();
    if (next) await openRelease(next.release_id); else await reloadRelease();
  }

  async function exportNow() {
    try {
      const res = await api("/api/export", { name: $("#export-name").value.trim(), all: $("#export-all").checked });
      flash(`Exported ${res.releases} release(s) to ${res.folder}: ${res.files.join(", ")}`);
    } catch (e) {
      flash(`Export failed: ${e.message}`, true);
    }
  }

  // ---- records across releases: organisations, their partner graph, deals and their reports ----
  // `side`: the list beside a records pane, "orgs" (organisations, deals) or "people" (the person view)
  const PANES = ["#empty", "#release", "#org-view", "#deal-view", "#person-view", "#no-records"];
  function showPane(which, records = which !== "#release" && which !== "#empty",
    side = which === "#person-view" ? "people" : which === "#org-view" || which === "#deal-view" ? "orgs" : S.side) {
    for (const p of PANES) $(p).hidden = p !== which;
    S.mode = records ? "records" : "release";
    S.side = side;
    $("#queue-panel").hidden = records;
    $("#orgs-panel").hidden = !records || side !== "orgs";
    $("#people-panel").hidden = !records || side !== "people";
    for (const [tab, on] of [["#nav-releases", !records], ["#nav-orgs", records && side === "orgs"], ["#nav-people", records && side === "people"]]) {
      $(tab).classList.toggle("on", on);
      if (on) $(tab).setAttribute("aria-current", "page"); else $(tab).removeAttribute("aria-current");
    }
  }
  const go = (what, id) => { location.hash = `${what}=${encodeURIComponent(id)}`; };
  const DATA_KEY = { org: "orgId", deal: "dealId", person: "personId", release: "rid" };
  const hashLink = (what, id, ...kids) => el("a", { href: `#${what}=${encodeURIComponent(id)}`, dataset: { [DATA_KEY[what] || "rid"]: id } }, ...kids);
  const dash = (x) => (x === null || x === undefined || x === "" ? "—" : String(x));

  async function loadOrgs() {
    const token = ++S.orgLoading;
    const data = await api(`/api/orgs?${new URLSearchParams({ q: $("#org-q").value.trim() })}`);
    if (token !== S.orgLoading) return;
    S.records = data.records;
    const list = $("#orgs");
    list.textContent = "";
    for (const o of data.items) {
      const zh = [o.name_hant, o.name_hans].filter((n) => n && n !== o.name).filter((n, i, a) => a.indexOf(n) === i);
      const facts = [zh.join(" / "), `${o.n_deals} deal${o.n_deals === 1 ? "" : "s"}`, `${o.n_releases} release${o.n_releases === 1 ? "" : "s"}`];
      list.append(el("li", { class: o.org_id === S.orgId ? "current" : "", dataset: { orgId: o.org_id } },
        el("button", { type: "button", class: "qitem", on: { click: () => go("org", o.org_id) } },
          el("span", { class: "qtitle" }, o.name),
          el("span", { class: "qmeta" }, facts.filter(Boolean).join(" · ")))));
    }
    $("#orgs-count").textContent = data.records
      ? `${data.items.length} organisation${data.items.length === 1 ? "" : "s"}`
      : "No records in this folder.";
  }

  async function showOrgs() {
    showPane(S.orgId ? "#org-view" : "#empty", true, "orgs");
    if (!S.orgId) $("#empty").textContent = "Pick an organisation.";
    await loadOrgs();
    if (!S.records) showPane("#no-records", true, "orgs");
  }

  async function loadPeople() {
    const token = ++S.peopleLoading;
    const data = await api(`/api/people?${new URLSearchParams({ q: $("#person-q").value.trim() })}`);
    if (token !== S.peopleLoading) return;
    S.records = data.records;
    const list = $("#people");
    list.textContent = "";
    for (const p of data.items) {
      const zh = p.name_zh && p.name_zh !== p.name ? p.name_zh : "";
      const facts = [zh, p.titles.slice(0, 2).join(", "), `${p.n_roles} role${p.n_roles === 1 ? "" : "s"}`,
        `${p.n_releases} release${p.n_releases === 1 ? "" : "s"}`];
      list.append(el("li", { class: p.person_id === S.personId ? "current" : "", dataset: { personId: p.person_id } },
        el("button", { type: "button", class: "qitem", on: { click: () => go("person", p.person_id) } },
          el("span", { class: "qtitle" }, p.name),
          el("span", { class: "qmeta" }, facts.filter(Boolean).join(" · ")))));
    }
    $("#people-count").textContent = data.records
      ? `${data.items.length} ${data.items.length === 1 ? "person" : "people"}`
      : "No records in this folder.";
  }

  async function showPeople() {
    showPane(S.personId ? "#person-view" : "#empty", true, "people");
    if (!S.personId) $("#empty").textContent = "Pick a person.";
    await loadPeople();
    if (!S.records) showPane("#no-records", true, "people");
  }

  // The record behind `path`, or null after saying why it cannot be opened (the list beside it,
  // organisations or people, stays usable). Like the lists, a fetch takes a token and only the
  // newest is shown: a view answered for an earlier navigation (back, then another link) is null.
  async function fetchRecord(path, what, side = "orgs") {
    const token = ++S.recordLoading;
    try {
      const v = await api(path);
      return token === S.recordLoading ? v : null;
    } catch (e) {
      if (token !== S.recordLoading) return null;
      await (side === "people" ? loadPeople() : loadOrgs()).catch(() => {});
      showPane(S.records === false ? "#no-records" : "#empty", true, side);
      flash(`Cannot open ${what}: ${e.message}`, true);
      return null;
    }
  }

  async function openOrg(id) {
    const v = await fetchRecord(`/api/org/${encodeURIComponent(id)}`, "organisation");
    if (!v) return;
    S.orgId = id;
    S.org = v;
    showPane("#org-view");  // first: the graph measures its labels
    renderOrg(v);
    if ($("#orgs").children.length === 0) await loadOrgs();
    for (const li of $("#orgs").children) li.classList.toggle("current", li.dataset.orgId === id);
  }

  function renderOrg(v) {
    const o = v.org;
    $("#o-name").textContent = o.name;
    $("#o-meta").textContent = [o.org_id, `${o.n_mentions} mention${o.n_mentions === 1 ? "" : "s"}`,
      o.joined_by.length ? `names joined by ${o.joined_by.join(", ")}` : "one name"].join(" · ");
    const names = $("#o-names");
    names.textContent = "";
    for (const [label, value, lang] of [["English", o.name_en, "en"], ["Simplified", o.name_hans, "zh-Hans"], ["Traditional", o.name_hant, "zh-Hant"],
      ["Aliases", o.aliases.join(" · "), null], ["Joined by", o.joined_by.join(", "), null]]) {
      names.append(el("dt", {}, label), el("dd", { lang, class: value ? "" : "muted", dataset: { field: label.toLowerCase() } }, value || "—"));
    }
    const partners = v.graph.nodes.filter((n) => !n.center).length;
    $("#n-partners").textContent = `${partners} partner${partners === 1 ? "" : "s"}, ${v.graph.edges.length} deal${v.graph.edges.length === 1 ? "" : "s"}`;
    renderGraph($("#o-graph"), v.graph);
    const body = $("#o-deals tbody");
    body.textContent = "";
    for (const d of v.deals) {
      const others = el("td", {});
      d.partners.forEach((p, i) => { if (i) others.append(", "); others.append(hashLink("org", p.org_id, p.name)); });
      const kind = d.kind || (d.role === "subsidiary" ? "subsidiary of" : d.role === "parent" ? "parent of" : d.type);
      body.append(el("tr", { dataset: { key: d.deal_id }, class: d.disagreements.length ? "disagrees" : "" },
        td(dash(d.date)), td(dash(kind)), others, td(String(d.n_reports)), td(d.disagreements.join(", ")),
        td(hashLink("deal", d.deal_id, "open deal"))));
    }
    if (!v.deals.length) body.append(el("tr", {}, el("td", { colspan: 6, class: "muted" }, "no deals")));
    $("#n-deals").textContent = String(v.deals.length);
    const people = $("#o-people");
    people.textContent = "";
    for (const p of v.people) {
      const zh = p.name_zh && p.name_zh !== p.name ? p.name_zh : null;
      const when = p.first === p.last ? dash(p.first) : `${dash(p.first)} – ${dash(p.last)}`;
      people.append(el("li", { dataset: { personId: p.person_id } }, hashLink("person", p.person_id, p.name),
        zh ? el("span", { lang: "zh" }, ` ${zh}`) : null,
        el("span", { class: "muted" }, ` · ${p.titles.join(", ") || "no title"} · ${when}`)));
    }
    if (!v.people.length) people.append(el("li", { class: "muted" }, "nobody holds a role here in these releases"));
    $("#n-o-people").textContent = String(v.people.length);
    const rels = $("#o-releases");
    rels.textContent = "";
    for (const r of v.releases) {
      rels.append(el("li", {}, hashLink("release", r.release_id, r.title || r.source_path || r.release_id),
        el("span", { class: "muted" }, ` ${[r.lang, r.dateline_date].filter(Boolean).join(" · ")}`)));
    }
    $("#n-o-releases").textContent = String(v.releases.length);
    const merged = $("#o-merged");
    merged.textContent = "";
    for (const m of v.merged_with) {
      merged.append(el("li", { dataset: { orgId: m.org_id } }, "One organisation with ", hashLink("org", m.org_id, m.name),
        el("span", { class: "muted" }, ` (merged by ${m.by} ${shortTime(m.at)}) `),
        el("button", { type: "button", on: { click: () => decideOrg({ kind: "org_merge", action: "unmerge", data: { org_ids: [o.org_id, m.org_id] }, base: m.decision_id }) } }, "Undo merge")));
    }
    if (!v.merged_with.length) merged.append(el("li", { class: "muted" }, "not merged with another organisation"));
    const ents = $("#o-entities tbody");
    ents.textContent = "";
    for (const e of v.entities) {
      const split = !!e.split;
      ents.append(el("tr", { dataset: { key: `${e.release_id}:${e.entity_id}` }, class: split ? "st-rejected" : "" },
        td(hashLink("release", e.release_id, e.release_id)), td(e.label), td(e.text), td(e.text_norm),
        el("td", { class: `status ${split ? "st-rejected" : ""}` }, split ? `split off · ${e.split.by}` : "in this organisation"),
        el("td", { class: "actions" }, el("button", {
          type: "button", title: split ? "It is this organisation after all" : "This mention is another organisation",
          on: { click: () => decideOrg({ kind: "org_split", action: split ? "unsplit" : "split", release_id: e.release_id, key: e.entity_id, base: e.decision_id }) },
        }, split ? "Undo split" : "Split off"))));
    }
    $("#n-o-entities").textContent = String(v.entities.length);
    $("#merge-q").value = "";
    $("#merge-target").textContent = "";
  }

  async function findMergeTarget() {
    const q = $("#merge-q").value.trim();
    const sel = $("#merge-target");
    const data = q ? await api(`/api/orgs?${new URLSearchParams({ q })}`) : { items: [] };
    sel.textContent = "";
    for (const o of data.items) if (o.org_id !== S.orgId) sel.append(new Option(`${o.name} (${o.org_id})`, o.org_id));
  }

  async function decideOrg(body) {
    const name = reviewer();
    if (!name) {
      flash("Type your name in the Reviewer box first: every decision records who made it.", true);
      $("#reviewer").focus();
      return null;
    }
    try {
      const res = await api("/api/decision", { ...body, reviewer: name });
      flash(`Saved: ${body.kind.replace("_", " ")} ${body.action}`);
      await openOrg(S.orgId);
      return res;
    } catch (e) {
      flash(`Not saved: ${e.message}`, true);
      return null;
    }
  }

  function mergeNow() {
    const target = $("#merge-target").value;
    if (!target) { flash("Find the organisation to merge with first.", true); $("#merge-q").focus(); return; }
    decideOrg({ kind: "org_merge", action: "merge", data: { org_ids: [S.orgId, target] } });
  }

  // The partner graph: the organisation in the middle, its partners on an ellipse around it, one
  // edge per deal (several deals with one partner bend apart), built as SVG nodes, text as text.
  const SVGNS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs = {}, ...kids) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    for (const kid of kids) if (kid !== undefined && kid !== null) node.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    return node;
  }
  // a name in at most two lines of about n characters, broken at spaces
  function wrap(name, n) {
    const words = String(name || "").split(/\s+/).filter(Boolean);
    const lines = [""];
    for (const w of words) {
      const cur = lines[lines.length - 1];
      if (cur && Array.from(cur).length + 1 + Array.from(w).length > n) lines.push(w);
      else lines[lines.length - 1] = cur ? `${cur} ${w}` : w;
    }
    return lines.length > 2 ? [clip(lines[0], n), clip(lines.slice(1).join(" "), n)] : lines.map((l) => clip(l, n + 6));
  }
  const clip = (s, n) => { const cps = Array.from(s || ""); return cps.length > n ? `${cps.slice(0, n - 1).join("")}…` : cps.join(""); };

  function renderGraph(box, graph) {
    box.textContent = "";
    const center = graph.nodes.find((n) => n.center);
    const partners = graph.nodes.filter((n) => !n.center);
    const W = 760, H = partners.length <= 2 ? 320 : 480, cx = W / 2, cy = H / 2;
    const pos = new Map([[center.org_id, [cx, cy]]]);
    const rx = W / 2 - 120, ry = H / 2 - 70;
    partners.forEach((p, i) => {
      const n = partners.length;  // an odd count starts at the top; an even one straddles it (two: left and right)
      const a = -Math.PI / 2 + (2 * Math.PI * i) / n + (n % 2 === 0 ? Math.PI / n : 0);
      pos.set(p.org_id, [cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
    });
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `partners of ${center.name}`, class: "partner-graph" });
    root.append(svg("title", {}, `Partners of ${center.name}`));
    const byTarget = new Map();
    for (const e of graph.edges) byTarget.set(e.target, [...(byTarget.get(e.target) || []), e]);
    const edges = svg("g", { class: "edges" });
    for (const [target, list] of byTarget) {
      const [x0, y0] = pos.get(center.org_id), [x1, y1] = pos.get(target);
      const len = Math.hypot(x1 - x0, y1 - y0) || 1, nx = -(y1 - y0) / len, ny = (x1 - x0) / len;
      list.forEach((e, k) => {
        const step = k - (list.length - 1) / 2;
        const off = step * 120;
        const qx = (x0 + x1) / 2 + nx * off, qy = (y0 + y1) / 2 + ny * off;
        const lx = 0.25 * x0 + 0.5 * qx + 0.25 * x1, ly = 0.25 * y0 + 0.5 * qy + 0.25 * y1;  // the curve's midpoint
        const kind = e.kind || (e.role === "subsidiary" ? "subsidiary of" : e.role === "parent" ? "parent of" : e.type);
        const label = `${kind || "deal"}, ${e.date || "no date"}`;
        const g = svg("g", { class: "edge", tabindex: 0, role: "link", "data-deal-id": e.deal_id, "data-target": target, "aria-label": `deal: ${label}` },
          svg("title", {}, `${label}: open the deal`),
          svg("path", { d: `M ${x0} ${y0} Q ${qx} ${qy} ${x1} ${y1}` }),
          svg("text", { x: lx, y: ly, "text-anchor": "middle", "dominant-baseline": "middle", class: "elabel" }, label));
        const open = () => go("deal", e.deal_id);
        g.addEventListener("click", open);
        g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") open(); });
        edges.append(g);
      });
    }
    root.append(edges);
    const nodes = svg("g", { class: "nodes" });
    for (const n of [center, ...partners]) {
      const [x, y] = pos.get(n.org_id);
      const zh = n.name_hant || n.name_hans;
      const r = n.center ? 16 : 11;
      const g = svg("g", { class: n.center ? "node center" : "node partner", "data-org-id": n.org_id, transform: `translate(${x} ${y})` },
        svg("title", {}, [n.name_en, n.name_hant, n.name_hans].filter(Boolean).filter((v, i, a) => a.indexOf(v) === i).join(" / ") || n.name),
        svg("circle", { r }),
        ...wrap(n.name_en || n.name, 26).map((line, i) => svg("text", { y: r + 15 + 15 * i, "text-anchor": "middle", class: "nlabel" }, line)));
      const lines = g.querySelectorAll("text").length;
      if (zh && zh !== (n.name_en || n.name)) g.append(svg("text", { y: r + 16 + 15 * lines, "text-anchor": "middle", class: "nlabel zh", lang: "zh" }, clip(zh, 16)));
      if (!n.center) {
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "link");
        g.setAttribute("aria-label", `open ${n.name}`);
        const open = () => go("org", n.org_id);
        g.addEventListener("click", open);
        g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") open(); });
      }
      nodes.append(g);
    }
    root.append(nodes);
    if (!partners.length) root.append(svg("text", { x: cx, y: cy + 70, "text-anchor": "middle", class: "nlabel muted" }, "no deals with other organisations"));
    box.append(root);
    for (const t of root.querySelectorAll("text.elabel")) {  // a plate under each edge label, now that it has a size
      const b = t.getBBox();
      t.before(svg("rect", { x: b.x - 4, y: b.y - 1, width: b.width + 8, height: b.height + 2, rx: 3, class: "lbg" }));
    }
  }

  async function openPerson(id) {
    const v = await fetchRecord(`/api/person/${encodeURIComponent(id)}`, "person", "people");
    if (!v) return;
    S.personId = id;
    showPane("#person-view");
    renderPerson(v);
    if ($("#people").children.length === 0) await loadPeople();
    for (const li of $("#people").children) li.classList.toggle("current", li.dataset.personId === id);
  }

  function renderPerson(v) {
    const p = v.person;
    $("#p-name").textContent = p.name;
    $("#p-meta").textContent = [p.person_id, `${p.n_roles} role${p.n_roles === 1 ? "" : "s"}`,
      `${p.n_releases} release${p.n_releases === 1 ? "" : "s"}`].join(" · ");
    const names = $("#p-names");
    names.textContent = "";
    for (const [label, value, lang] of [["English", p.name_en, "en"], ["Chinese", p.name_zh, "zh"], ["Aliases", p.aliases.join(" · "), null]]) {
      names.append(el("dt", {}, label), el("dd", { lang, class: value ? "" : "muted", dataset: { field: label.toLowerCase() } }, value || "—"));
    }
    const body = $("#p-roles tbody");
    body.textContent = "";
    for (const r of v.roles) {
      const org = !r.org_id ? el("td", { class: "muted" }, "no organisation named")
        : td(r.org_known ? hashLink("org", r.org_id, r.org_name) : dash(r.org_name));
      const rel = r.release_id && r.release_known
        ? td(hashLink("release", r.release_id, r.release_title || r.source_path || r.release_id), el("span", { class: "muted" }, ` ${dash(r.lang)}`))
        : td(dash(r.release_id));
      body.append(el("tr", { dataset: { orgId: r.org_id || "", rid: r.release_id || "" } },
        td(dash(r.date)), el("td", { lang: r.lang === "zh" ? "zh" : "en" }, dash(r.title)), org, rel));
    }
    if (!v.roles.length) body.append(el("tr", {}, el("td", { colspan: 4, class: "muted" }, "no roles found in these releases")));
    $("#n-p-roles").textContent = String(v.roles.length);
    const rels = $("#p-releases");
    rels.textContent = "";
    for (const r of v.releases) {
      const title = r.title || r.source_path || r.release_id;
      rels.append(el("li", { dataset: { rid: r.release_id } }, r.known ? hashLink("release", r.release_id, title) : title,
        el("span", { class: "muted" }, ` ${[r.lang, r.dateline_date].filter(Boolean).join(" · ")}`)));
    }
    $("#n-p-releases").textContent = String(v.releases.length);
  }

  async function openDeal(id) {
    const v = await fetchRecord(`/api/deal/${encodeURIComponent(id)}`, "deal");
    if (!v) return;
    renderDeal(v);
    showPane("#deal-view");
    if ($("#orgs").children.length === 0) await loadOrgs();
  }

  function renderDeal(v) {
    const d = v.deal;
    const disagree = new Set(d.disagreements);
    $("#d-title").textContent = `${d.parties.map((p) => p.name).join(" – ")}${d.kind ? `: ${d.kind}` : ""}`;
    const meta = $("#d-meta");
    meta.textContent = "";
    const field = (name, value, all) => el("span", { class: disagree.has(name) ? "differs" : "", dataset: { field: name } },
      `${name} ${dash(value)}${all && all.length > 1 ? ` (reports: ${all.join(", ")})` : ""}`);
    meta.append(`${d.type} · `, field("date", d.date, d.dates), " · ", field("kind", d.kind, d.kinds), ` · ${d.deal_id}`);
    if (v.event) meta.append(` · event ${v.event.event_id}`);
    const parties = $("#d-parties tbody");
    parties.textContent = "";
    d.parties.forEach((p, i) => {
      const role = d.type === "subsidiary_of" ? (i === 0 ? "subsidiary" : "parent") : `party ${i + 1}`;
      parties.append(el("tr", { dataset: { orgId: p.org_id } }, td(p.known ? hashLink("org", p.org_id, role) : role),
        td(dash(p.name_en)), el("td", { lang: "zh-Hans" }, dash(p.name_hans)), el("td", { lang: "zh-Hant" }, dash(p.name_hant))));
    });
    const box = $("#d-disagree");
    box.className = d.disagreements.length ? "differs" : "muted";
    box.textContent = d.disagreements.length ? `The reports disagree on: ${d.disagreements.join(", ")}` : "The reports agree.";
    const reports = $("#d-reports");
    reports.textContent = "";
    for (const r of v.reports) {
      const rel = r.release, differs = new Set(r.differs);
      const row = (name, value) => [el("dt", {}, name), el("dd", { class: differs.has(name.toLowerCase()) ? "differs" : "", dataset: { field: name.toLowerCase() } }, dash(value))];
      reports.append(el("article", { class: `report${differs.size ? " disagrees" : ""}`, dataset: { rid: rel.release_id }, lang: rel.lang === "zh" ? "zh" : "en" },
        el("h4", {}, hashLink("release", rel.release_id, rel.title || rel.source_path || rel.release_id)),
        el("p", { class: "muted" }, [rel.lang, rel.script, rel.dateline_place, rel.dateline_date].filter(Boolean).join(" · ") || "no dateline"),
        el("dl", {}, ...row("Date", r.date), ...row("Kind", r.kind), ...row("Parties", r.head ? `${r.head} – ${r.tail || ""}` : null)),
        r.states_deal ? el("blockquote", { class: "evidence" }, dash(r.evidence))
          : el("p", { class: "differs", dataset: { field: "parties" } },
            r.in_deal ? "No relation of this release names these parties." : "This report of the event does not state this deal.")));
    }
    $("#n-reports").textContent = String(v.reports.length);
  }

  // ---- the address says what is open: #release=ID, #org=ID, #deal=ID, #person=ID, #orgs, #people, #releases ----
  async function route() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.get("org")) return openOrg(params.get("org"));
    if (params.get("deal")) return openDeal(params.get("deal"));
    if (params.get("person")) return openPerson(params.get("person"));
    if (params.has("orgs")) { S.orgId = null; return showOrgs(); }
    if (params.has("people")) { S.personId = null; return showPeople(); }
    const rid = params.get("release");
    if (rid) return openRelease(rid);
    showPane(S.rid ? "#release" : "#empty", false);
    $("#empty").textContent = "Pick a release from the queue.";
    if (!S.rid && S.queue.length) return openRelease(S.queue[0].release_id);
    return null;
  }

  // ---- keyboard ----
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) {
      if (ev.key === "Escape") t.blur();
      return;
    }
    if ($("#help").open && ev.key !== "?" && ev.key !== "Escape") return;
    if (S.mode === "records") {
      if (ev.key === "/") { ev.preventDefault(); $(S.side === "people" ? "#person-q" : "#org-q").focus(); }
      if (ev.key === "?") { ev.preventDefault(); if ($("#help").open) $("#help").close(); else $("#help").showModal(); }
      return;
    }
    const cur = current();
    const form = $("#add-relation");
    const keys = {
      j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
      a: () => cur && decide(cur.kind, cur.key, "accept", {}, cur.row.decision_id),
      x: () => cur && decide(cur.kind, cur.key, "reject", {}, cur.row.decision_id),
      s: () => cur && cur.kind === "entity" && fixSpan(cur.row),
      e: () => addEntity(),
      h: () => { if (cur && cur.kind === "entity") { form.elements.head_id.value = cur.key; flash(`head: ${cur.row.text}`); } },
      t: () => { if (cur && cur.kind === "entity") { form.elements.tail_id.value = cur.key; flash(`tail: ${cur.row.text}`); } },
      r: () => form.elements.type.focus(),
      d: () => S.rid && toggleReviewed(),
      n: () => step(1), "]": () => step(1), p: () => step(-1), "[": () => step(-1),
      "/": () => $("#filters").elements.q.focus(),
      "?": () => ($("#help").open ? $("#help").close() : $("#help").showModal()),
    };
    if (/^[1-9]$/.test(ev.key) && cur && cur.kind === "entity") {
      const label = S.meta.labels[Number(ev.key) - 1];
      if (label) decide("entity", cur.key, "relabel", { label }, cur.row.decision_id);
      ev.preventDefault();
      return;
    }
    if (!S.rid && !["n", "]", "p", "[", "/", "?"].includes(ev.key)) return;
    const fn = keys[ev.key];
    if (fn) { ev.preventDefault(); fn(); }
  });

  // ---- start ----
  async function init() {
    initReviewer();
    S.meta = await api("/api/meta");
    const f = $("#filters");
    for (const L of S.meta.labels) f.elements.label.append(new Option(L, L));
    for (const t of S.meta.relation_types) f.elements.rtype.append(new Option(t, t));
    for (const l of S.meta.langs) f.elements.lang.append(new Option(l, l));
    for (const o of S.meta.orgs) $("#org-list").append(el("option", { value: o }));
    $("#new-label").append(...labelOptions("ORG"));
    let timer = null;
    f.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(loadQueue, 200); });
    f.addEventListener("submit", (ev) => { ev.preventDefault(); loadQueue(); });
    $("#add-relation").addEventListener("submit", addRelation);
    $("#add-entity").addEventListener("click", addEntity);
    $("#fix-span").addEventListener("click", () => { const cur = current(); if (cur && cur.kind === "entity") fixSpan(cur.row); else flash("Pick an entity row first (j/k).", true); });
    $("#mark-reviewed").addEventListener("click", toggleReviewed);
    $("#export").addEventListener("click", exportNow);
    $("#open-aligned").addEventListener("click", () => S.view && S.view.aligned && openRelease(S.view.aligned.release.release_id));
    $("#help-button").addEventListener("click", () => $("#help").showModal());
    $("#help-close").addEventListener("click", () => $("#help").close());
    $("#history").addEventListener("toggle", () => renderHistory().catch((e) => flash(e.message, true)));
    $("#doc").addEventListener("click", (ev) => {
      const m = ev.target.closest("mark.ent");
      if (!m || !window.getSelection().isCollapsed) return;
      const i = S.items.findIndex((it) => it.kind === "entity" && it.key === m.dataset.eid);
      if (i >= 0) { S.cursor = i; showCursor(); }
    });
    let orgTimer = null, mergeTimer = null, personTimer = null;
    $("#org-q").addEventListener("input", () => { clearTimeout(orgTimer); orgTimer = setTimeout(() => loadOrgs().catch((e) => flash(e.message, true)), 200); });
    $("#person-q").addEventListener("input", () => { clearTimeout(personTimer); personTimer = setTimeout(() => loadPeople().catch((e) => flash(e.message, true)), 200); });
    $("#merge-q").addEventListener("input", () => { clearTimeout(mergeTimer); mergeTimer = setTimeout(() => findMergeTarget().catch((e) => flash(e.message, true)), 200); });
    $("#merge").addEventListener("click", mergeNow);
    $("#nav-orgs").classList.toggle("disabled", !S.meta.records);
    $("#nav-people").classList.toggle("disabled", !S.meta.records);
    window.addEventListener("hashchange", () => { route().catch((e) => flash(e.message, true)); });
    await loadQueue();
    await route();
    document.body.dataset.ready = "1";
  }

  init().catch((e) => flash(`Could not start: ${e.message}`, true));
})();
