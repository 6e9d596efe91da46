"use strict";
// The VM table of the plan report (docs/report.md): data from the JSON island, one page of rows in the DOM at a
// time, every value written as textContent (never as markup).
(function () {
  var island = document.getElementById("plan-data");
  var data = JSON.parse(island.textContent);
  var T = data.texts, VMS = data.vms, F = {};
  data.fields.forEach(function (name, i) { F[name] = i; });
  var FITS = ["excellent", "good", "moderate", "poor", "none", "unknown"];
  var STRATEGIES = ["containerize", "refactor", "keep-vm", "retire", "investigate", "exclude"];
  var SEVERITIES = data.severities;
  var state = { text: "", fit: "", strategy: "", wave: "", sort: "display", dir: 1, page: 0, size: 100 };
  var expanded = {};
  var order = [], searchText = null;
  var $ = function (id) { return document.getElementById(id); };
  var tbody = $("vm-rows");

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function t(i) { return T[i] || ""; }
  function fmt(n) { return n === null || n === undefined ? "-" : Number(n).toLocaleString("en-US", { maximumFractionDigits: 2 }); }
  function rank(list, value) { var i = list.indexOf(value); return i < 0 ? list.length : i; }

  var KEYS = {
    display: function (r) { return r[F.display].toLowerCase(); },
    fit: function (r) { return rank(FITS, t(r[F.fit])); },
    score: function (r) { return r[F.score] === null ? -1 : r[F.score]; },
    strategy: function (r) { return rank(STRATEGIES, t(r[F.strategy])); },
    wave: function (r) { return r[F.wave] === null ? Infinity : r[F.wave]; },
    cpu: function (r) { return r[F.cpu] || 0; },
    memory_mib: function (r) { return r[F.memory_mib] || 0; },
    request: function (r) { var s = r[F.sizing]; return s && s[0] !== null ? s[0] : -1; },
    stacks: function (r) { return r[F.stacks].length ? t(r[F.stacks][0][0]) : "\uffff"; },
    worst: function (r) { return r[F.worst]; }
  };

  function haystack(i) {
    if (searchText === null) {
      searchText = VMS.map(function (r) {
        var parts = [r[F.display], r[F.key], r[F.name] || "", t(r[F.cluster]), t(r[F.folder])];
        r[F.stacks].forEach(function (s) { parts.push(t(s[0]), s[1]); });
        r[F.tags].forEach(function (tag) { parts.push(tag); });
        return parts.join("\n").toLowerCase();
      });
    }
    return searchText[i];
  }

  function matches(i) {
    var r = VMS[i];
    if (state.fit && t(r[F.fit]) !== state.fit) return false;
    if (state.strategy && t(r[F.strategy]) !== state.strategy) return false;
    if (state.wave === "none" && r[F.wave] !== null) return false;
    if (state.wave && state.wave !== "none" && String(r[F.wave]) !== state.wave) return false;
    return !state.text || haystack(i).indexOf(state.text) >= 0;
  }

  function recompute() {
    var key = KEYS[state.sort], dir = state.dir, keys = new Array(VMS.length);
    order = [];
    for (var i = 0; i < VMS.length; i++) if (matches(i)) { order.push(i); keys[i] = key(VMS[i]); }
    order.sort(function (a, b) { return keys[a] < keys[b] ? -dir : keys[a] > keys[b] ? dir : a - b; });
    var pages = Math.max(1, Math.ceil(order.length / state.size));
    if (state.page >= pages) state.page = pages - 1;
    render();
  }

  function badge(text, prefix, known) {
    return el("span", text, known.indexOf(text) >= 0 ? "badge " + prefix + text : "badge");
  }

  function cells(tr, r, i) {
    var button = el("button", expanded[i] ? "\u25BE" : "\u25B8", "expand");
    button.type = "button";
    button.setAttribute("aria-expanded", expanded[i] ? "true" : "false");
    button.setAttribute("aria-label", "details of " + r[F.display]);
    button.addEventListener("click", function () { expanded[i] = !expanded[i]; render(); });
    var td = el("td"); td.appendChild(button); tr.appendChild(td);
    tr.appendChild(el("td", r[F.display], "name"));
    td = el("td"); td.appendChild(badge(t(r[F.fit]), "fit-", FITS)); tr.appendChild(td);
    tr.appendChild(el("td", fmt(r[F.score]), "num"));
    tr.appendChild(el("td", t(r[F.strategy])));
    tr.appendChild(el("td", r[F.wave] === null ? "-" : r[F.wave], "num"));
    tr.appendChild(el("td", fmt(r[F.cpu]), "num"));
    tr.appendChild(el("td", r[F.memory_mib] === null ? "-" : fmt(r[F.memory_mib] / 1024) + " GiB", "num"));
    var s = r[F.sizing];
    tr.appendChild(el("td", s ? fmt(s[0]) + " CPU, " + fmt(s[1]) + " MiB" : "-"));
    tr.appendChild(el("td", r[F.stacks].map(function (x) { return t(x[0]); }).join(", ")));
    var worst = r[F.worst];
    td = el("td", r[F.findings].length + (worst >= 0 ? " (worst: " + SEVERITIES[worst] + ")" : ""));
    if (worst >= 0) td.className = "sev-" + SEVERITIES[worst];
    tr.appendChild(td);
  }

  function list(parent, title, items) {
    if (!items.length) return;
    parent.appendChild(el("h4", title));
    var ul = el("ul");
    items.forEach(function (item) { var li = el("li"); if (typeof item === "string") li.textContent = item; else li.appendChild(item); ul.appendChild(li); });
    parent.appendChild(ul);
  }

  function detail(r) {
    var box = el("div", null, "detail-box");
    var where = ["key: " + r[F.key]];
    if (r[F.name] !== null) where.push("name: " + r[F.name]);
    [["cluster", F.cluster], ["folder", F.folder], ["power", F.power], ["guest OS", F.os], ["move group", F.group]]
      .forEach(function (p) { if (t(r[p[1]])) where.push(p[0] + ": " + t(r[p[1]])); });
    if (r[F.disk_gib] !== null) where.push("disk: " + fmt(r[F.disk_gib]) + " GiB");
    if (r[F.effort] !== null) where.push("effort: " + fmt(r[F.effort]) + " person-days");
    list(box, "VM", where);
    if (r[F.annotation]) { box.appendChild(el("h4", "annotation")); box.appendChild(el("div", r[F.annotation], "pre")); }
    list(box, "tags", r[F.tags]);
    var s = r[F.sizing];
    if (s) list(box, "sizing", ["request: " + fmt(s[0]) + " CPU, " + fmt(s[1]) + " MiB; limit: " + fmt(s[2]) +
      " CPU, " + fmt(s[3]) + " MiB", "reclaimable: " + fmt(s[4]) + " vCPU, " + fmt(s[5]) + " GiB",
      "basis: CPU " + t(s[6]) + ", memory " + t(s[7])]);
    list(box, "stacks", r[F.stacks].map(function (x) { return t(x[0]) + " \u2192 image " + x[1] + " (" + t(x[2]) + " confidence)"; }));
    if (r[F.findings].length) {
      box.appendChild(el("h4", "findings"));
      var table = el("table", null, "data"), head = el("tr");
      ["severity", "criterion", "rule", "finding", "evidence", "remediation"].forEach(function (h) { head.appendChild(el("th", h)); });
      table.appendChild(el("thead")).appendChild(head);
      var body = table.appendChild(el("tbody"));
      r[F.findings].forEach(function (f) {
        var tr = el("tr"), td = el("td");
        td.appendChild(badge(t(f[2]), "sev-", SEVERITIES)); tr.appendChild(td);
        [t(f[1]), t(f[0]), t(f[3]), f[4], t(f[5])].forEach(function (v, k) { tr.appendChild(el("td", v, k >= 3 ? "text" : "")); });
        body.appendChild(tr);
      });
      box.appendChild(table);
    } else { box.appendChild(el("p", "No findings.")); }
    list(box, "artifacts", r[F.artifacts].map(function (a) {
      if (a[1] === null) return el("span", a[0]);
      var link = el("a", a[0]); link.setAttribute("href", a[1]); link.rel = "noopener noreferrer"; return link;
    }));
    return box;
  }

  function render() {
    var start = state.page * state.size, end = Math.min(order.length, start + state.size);
    var fragment = document.createDocumentFragment();
    for (var k = start; k < end; k++) {
      var i = order[k], r = VMS[i], tr = el("tr");
      tr.setAttribute("data-key", r[F.key]);
      cells(tr, r, i);
      fragment.appendChild(tr);
      if (expanded[i]) {
        var row = el("tr", null, "detail"), td = el("td");
        td.colSpan = 11; td.appendChild(detail(r)); row.appendChild(td); fragment.appendChild(row);
      }
    }
    tbody.replaceChildren(fragment);
    var info = order.length ? "rows " + fmt(start + 1) + "\u2013" + fmt(end) + " of " + fmt(order.length) : "no VM matches";
    if (order.length !== VMS.length) info += " (filtered from " + fmt(VMS.length) + ")";
    $("page-info").textContent = info;
    $("prev").disabled = state.page === 0;
    $("next").disabled = end >= order.length;
    var table = $("vm-table");
    table.setAttribute("data-shown", String(end - start));
    table.setAttribute("data-matching", String(order.length));
    document.querySelectorAll("th[data-sort]").forEach(function (th) {
      if (th.getAttribute("data-sort") === state.sort) th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
  }

  var timer = null;
  $("f-text").addEventListener("input", function (event) {
    clearTimeout(timer);
    timer = setTimeout(function () { state.text = event.target.value.trim().toLowerCase(); state.page = 0; recompute(); }, 150);
  });
  ["fit", "strategy", "wave"].forEach(function (name) {
    $("f-" + name).addEventListener("change", function (event) { state[name] = event.target.value; state.page = 0; recompute(); });
  });
  $("page-size").addEventListener("change", function (event) { state.size = Number(event.target.value); state.page = 0; recompute(); });
  $("prev").addEventListener("click", function () { if (state.page > 0) { state.page--; render(); } });
  $("next").addEventListener("click", function () { if ((state.page + 1) * state.size < order.length) { state.page++; render(); } });
  document.querySelectorAll("th[data-sort]").forEach(function (th) {
    th.tabIndex = 0;
    var sort = function () {
      var key = th.getAttribute("data-sort");
      state.dir = state.sort === key ? -state.dir : 1; state.sort = key; state.page = 0; recompute();
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (event) { if (event.key === "Enter") sort(); });
  });
  recompute();
  document.body.setAttribute("data-ready", "true");
})();
