// Kubesnap report: sorting, filtering, search, and lazily drawn rows of large sites.
// Data from the bundles is only ever inserted as text (textContent), never as markup.
(function () {
  "use strict";
  var body = document.body;
  window.addEventListener("error", function (e) {
    body.setAttribute("data-js-error", String(e.message || e));
  });
  var data = {};
  try {
    data = JSON.parse(document.getElementById("kubesnap-data").textContent || "{}");
  } catch (e) {
    body.setAttribute("data-js-error", "embedded data: " + e);
  }

  function cellValue(td) {
    var v = td.getAttribute("data-v");
    if (v !== null) { return parseFloat(v); }
    var t = td.textContent.trim();
    var n = parseFloat(t);
    return (t !== "" && !isNaN(n) && /^[-+]?[\d.]+/.test(t)) ? n : t.toLowerCase();
  }

  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, idx) {
      th.addEventListener("click", function () {
        var asc = th.getAttribute("data-sort") !== "asc";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("data-sort"); });
        th.setAttribute("data-sort", asc ? "asc" : "desc");
        var tbody = table.tBodies[0];
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a.cells[idx]), y = cellValue(b.cells[idx]);
          if (x === y) { return 0; }
          return (x < y ? -1 : 1) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { tbody.appendChild(r); });
      });
    });
  }

  function makeFilterable(table) {
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "filter rows";
    input.setAttribute("aria-label", "filter rows");
    table.parentNode.insertBefore(input, table);
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.classList.toggle("hidden", q !== "" && r.textContent.toLowerCase().indexOf(q) < 0);
      });
    });
  }

  function appendRows(table, rows, keys) {
    var tbody = table.tBodies[0];
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      keys.forEach(function (k) {
        var td = document.createElement("td");
        td.textContent = row[k] === null || row[k] === undefined ? "" : String(row[k]);
        tr.appendChild(td);
      });
      if (row.severity) { tr.className = "sev-" + row.severity; }
      tbody.appendChild(tr);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
  Array.prototype.forEach.call(document.querySelectorAll("table.filterable"), makeFilterable);

  // findings beyond the first page
  var more = document.querySelector("[data-lazy=findings]");
  if (more && data.findings && data.findings.length) {
    var t = document.getElementById(more.getAttribute("data-target"));
    appendRows(t, data.findings, ["severity", "rule", "node", "object", "message", "evidence"]);
  }

  // The lazily drawn parts of a big site (pod chains, last lines, process trees, long tables) are packed: gzip in base64
  // (reports/render.py, packed), inflated once, when the reader first opens one of them. A small site's are in `data`.
  // The text is taken out of the document at once: the page keeps it as one string, not as a node of some MiB
  // that every walk or serialization of the document would carry (headless Chromium's --dump-dom: 0.4 s at 5,000 pods).
  var packedData = null;
  var packedHolder = document.getElementById("kubesnap-packed");
  var packedText = packedHolder ? packedHolder.textContent : null;
  if (packedHolder) { packedHolder.remove(); }
  function source() {
    if (packedData !== null) { return packedData; }
    if (packedText === null) {
      packedData = Promise.resolve(data);
      return packedData;
    }
    packedData = Promise.resolve().then(function () {
      var bin = atob(packedText.trim());
      packedText = null;
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      return new Response(stream).text();
    }).then(JSON.parse).catch(function (e) {
      body.setAttribute("data-js-error", "packed data: " + e);
      return {};
    });
    return packedData;
  }

  function h(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var x = arguments[i];
      parent.appendChild(typeof x === "string" ? document.createTextNode(x) : x);
    }
    return parent;
  }
  var ANCHOR = /^x-[A-Za-z0-9_-]*$/;

  // last lines of each container: drawn when opened
  function bindLines(root) {
    Array.prototype.forEach.call(root.querySelectorAll("pre[data-lazy-lines]"), function (pre) {
      var det = pre.parentNode;
      det.addEventListener("toggle", function () {
        if (!det.open || pre.getAttribute("data-done")) { return; }
        pre.setAttribute("data-done", "1");
        source().then(function (d) {
          var lines = (d.lines || {})[pre.getAttribute("data-lazy-lines")] || [];
          pre.textContent = lines.map(function (l) {
            return l[0] + " " + (l[1] || "") + " " + l[2] + " " + l[3];
          }).join("\n") || "no lines";
        });
      });
    });
  }
  bindLines(document);
  // a big site's journal highlights of each node: drawn when opened
  Array.prototype.forEach.call(document.querySelectorAll("pre[data-lazy-journal]"), function (pre) {
    var det = pre.parentNode;
    det.addEventListener("toggle", function () {
      if (!det.open || pre.getAttribute("data-done")) { return; }
      pre.setAttribute("data-done", "1");
      source().then(function (d) {
        pre.textContent = ((d.journal || {})[pre.getAttribute("data-lazy-journal")] || []).join("\n");
      });
    });
  });

  // a big site's pod chains, from the rows of render._pod_row, drawn as the template draws a small site's
  function drawPod(p) {
    var pod = h("div", "pod");
    if (ANCHOR.test(p[0])) { pod.id = p[0]; }
    var top = add(h("div", "line"), h("span", "k", "pod"), " ", h("b", "", p[1] + "/" + p[2]));
    if (p[3]) { top.appendChild(h("span", "tag", p[3])); }
    p[4].forEach(function (f) { top.appendChild(h("span", "tag bad", f)); });
    if (p[5]) { top.appendChild(h("span", "tag", "static: " + p[5])); }
    if (p[16].length) {
      var meta = add(h("details", "meta"), h("summary", "muted", "labels"));
      p[16].forEach(function (kv) { meta.appendChild(add(h("div"), h("span", "k", "label"), " ", h("code", "", kv))); });
      top.appendChild(meta);
    }
    pod.appendChild(top);
    var sid = h("code", "", String(p[6]).slice(0, 13));
    sid.title = p[6];
    var info = [p[7]];
    if (p[8]) { info.push("created " + p[8]); }
    if (p[9]) { info.push("uid " + p[9]); }
    var sb = add(h("div", "line l1"), h("span", "k", "sandbox"), " ", sid, "\u2026 ", h("span", "muted", info.join(", ")));
    if (p[10]) { add(sb, " \u2192 ", h("span", "k", "shim"), " ", h("b", "", p[10])); }
    if (p[11]) { add(sb, " \u2192 ", h("span", "k", "pause"), " " + p[11]); }
    pod.appendChild(sb);
    p[17].forEach(function (c) {
      var cid = h("code", "", String(c[1]).slice(0, 13));
      cid.title = c[1];
      var what = c[2] + (c[3] ? " (" + c[3] + ")" : "") + ", " + c[4] + ", attempt " + (c[5] === null ? "?" : c[5]);
      var line = add(h("div", "line l2"), h("span", "k", "container"), " ", h("b", "", c[0]), " ", cid, " ", h("span", "muted", what));
      if (c[6]) { add(line, " ", h("span", "k", "shim"), " " + c[6]); }
      add(line, " ", h("span", "tag join-" + String(c[7]).replace(/[^a-z]/g, ""), c[7]));
      pod.appendChild(line);
      if (c[8].length) {
        var procs = h("div", "l3 procs");
        c[8].forEach(function (q) {
          var row = h("div");
          row.style.paddingLeft = (14 * Math.min(q[0], 20)) + "px";
          add(row, q[0] ? "\u2514 " : "", h("span", "k", "pid"), " ", h("b", "", q[1]), " ", h("span", "k", "ppid"),
              " " + (q[2] === null ? "" : q[2]) + " ", h("span", "muted", q[3]), " ", h("code", "", q[4]), " ", h("span", "k", q[5]));
          procs.appendChild(row);
        });
        pod.appendChild(procs);
      }
      if (c[9]) {
        pod.appendChild(add(h("div", "l3 files"), h("span", "k", "logs"), " " + c[9] + " files, " + c[10] + ", " + c[11] + " lines"));
      }
      if (c[12]) {
        var pre = h("pre", "logs");
        pre.setAttribute("data-lazy-lines", c[12]);
        pod.appendChild(add(h("details", "l3"), h("summary", "", "last lines"), pre));
      }
    });
    if (p[12]) {
      var rot = p[15] ? ", " + p[15] + " rotated" : "";
      pod.appendChild(add(h("div", "line l1"), h("span", "k", "log directory"), " ", h("code", "", p[12]), " ",
                          h("span", "muted", p[13] + " in " + p[14] + " files" + rot)));
    }
    return pod;
  }
  var chainHolders = document.querySelectorAll("[data-chains]");
  function drawChains(holder, d) {
    if (holder.getAttribute("data-done")) { return; }
    holder.setAttribute("data-done", "1");
    var frag = document.createDocumentFragment();
    ((d.chains || {})[holder.getAttribute("data-chains")] || []).forEach(function (p) { frag.appendChild(drawPod(p)); });
    holder.textContent = "";
    holder.appendChild(frag);
    bindLines(holder);
  }
  Array.prototype.forEach.call(chainHolders, function (holder) {
    var det = holder.parentNode;
    det.addEventListener("toggle", function () {
      if (det.open) { source().then(function (d) { drawChains(holder, d); }); }
    });
  });
  // a link to a pod of a node not drawn yet: draw the node, open it, go to the pod
  function reveal(id) {
    if (!ANCHOR.test(id) || document.getElementById(id) || !chainHolders.length) { return; }
    source().then(function (d) {
      Array.prototype.forEach.call(chainHolders, function (holder) {
        var pods = (d.chains || {})[holder.getAttribute("data-chains")] || [];
        if (pods.some(function (p) { return p[0] === id; })) {
          drawChains(holder, d);
          holder.parentNode.open = true;
          var target = document.getElementById(id);
          if (target) { target.scrollIntoView(); }
        }
      });
    });
  }
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[href^='#x-pod-']") : null;
    if (a) { reveal(a.getAttribute("href").slice(1)); }
  });
  if (location.hash) { reveal(location.hash.slice(1)); }

  // the rows of a long table a big site's page does not hold: a page of them at each press
  Array.prototype.forEach.call(document.querySelectorAll("[data-more=dirs]"), function (more) {
    var table = document.getElementById(more.getAttribute("data-target"));
    var shown = 0;
    var button = more.querySelector("button");
    if (!table || !button) { return; }
    button.addEventListener("click", function () {
      source().then(function (d) {
        var rows = d.dirs || [];
        var tbody = table.tBodies[0];
        rows.slice(shown, shown + 500).forEach(function (r) {
          var link = h("a", "", r[2]);
          if (ANCHOR.test(r[1])) { link.setAttribute("href", "#" + r[1]); }
          var size = h("td", "num", r[4]);
          size.setAttribute("data-v", String(Number(r[5]) || 0));
          tbody.appendChild(add(h("tr"), h("td", "", r[0]), add(h("td"), link), h("td", "cmd", r[3]), size, h("td", "num", r[6]),
                                h("td", "num", r[7])));
        });
        shown = Math.min(rows.length, shown + 500);
        if (shown >= rows.length) { more.classList.add("hidden"); }
      });
    });
  });

  // process trees of large sites: drawn when opened, from [pid, ppid, owner, command, detail] rows
  var OWNERS = [["pod", "#2f7ed8"], ["runtime", "#8c6d31"], ["host-service", "#2ca02c"], ["host", "#999999"]];
  var SVGNS = "http://www.w3.org/2000/svg";
  function el(name, attrs, text) {
    var e = document.createElementNS(SVGNS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function drawTree(holder, rows) {
    var byPid = {}, kids = {}, order = [];
    rows.forEach(function (r) { byPid[r[0]] = r; });
    rows.forEach(function (r) {
      var parent = (byPid[r[1]] && r[1] !== r[0]) ? r[1] : "root";
      (kids[parent] = kids[parent] || []).push(r);
    });
    var seen = {};
    (function walk(parent, depth) {
      (kids[parent] || []).sort(function (a, b) { return a[0] - b[0]; }).forEach(function (r) {
        if (seen[r[0]] || order.length >= 400) { return; }
        seen[r[0]] = true;
        order.push([depth, r]);
        walk(r[0], depth + 1);
      });
    }("root", 0));
    var svg = el("svg", { width: 1100, height: 18 * order.length + 30, "class": "tree" });
    var yOf = {};
    order.forEach(function (item, i) {
      var depth = item[0], r = item[1], y = 20 + i * 18, x = 8 + depth * 18;
      yOf[r[0]] = y;
      if (depth > 0 && yOf[r[1]] !== undefined) {
        svg.appendChild(el("path", { d: "M" + (x - 14) + "," + (yOf[r[1]] + 4) + " V" + (y - 4) + " H" + x, fill: "none", stroke: "#bbb" }));
      }
      svg.appendChild(el("rect", { x: x, y: y - 9, width: 8, height: 8, fill: OWNERS[r[2]][1] }));
      var t = el("text", { x: x + 12, y: y, "class": "t" });
      t.appendChild(el("tspan", { "class": "pid" }, String(r[0])));
      t.appendChild(document.createTextNode(" " + r[3] + " "));
      t.appendChild(el("tspan", { "class": "d" }, r[4]));
      svg.appendChild(t);
    });
    holder.textContent = "";
    holder.appendChild(svg);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-tree]"), function (holder) {
    if (holder.querySelector("svg")) { return; }  // a small site's tree is on the page already
    var det = holder.parentNode;
    det.addEventListener("toggle", function () {
      if (!det.open || holder.getAttribute("data-done")) { return; }
      holder.setAttribute("data-done", "1");
      source().then(function (d) {
        var rows = (d.trees || {})[holder.getAttribute("data-tree")];
        if (rows) { drawTree(holder, rows); }
      });
    });
  });

  // search: pods, processes and ids across every node (a big site's nodes are drawn where the search finds something)
  var search = document.getElementById("search");
  var podText = {};
  function filterNodes(q) {
    Array.prototype.forEach.call(document.querySelectorAll("details.node"), function (node) {
      var any = false;
      Array.prototype.forEach.call(node.querySelectorAll(".pod"), function (pod) {
        var hit = q === "" || pod.textContent.toLowerCase().indexOf(q) >= 0;
        pod.classList.toggle("hidden", !hit);
        any = any || hit;
      });
      if (q !== "") { node.open = any; }
      node.classList.toggle("hidden", q !== "" && !any && node.textContent.toLowerCase().indexOf(q) < 0);
    });
  }
  if (search) {
    search.addEventListener("input", function () {
      var q = search.value.toLowerCase().trim();
      if (q === "" || !chainHolders.length) {
        filterNodes(q);
        return;
      }
      source().then(function (d) {
        Array.prototype.forEach.call(chainHolders, function (holder) {
          var key = holder.getAttribute("data-chains");
          if (holder.getAttribute("data-done")) { return; }
          if (!podText[key]) {
            podText[key] = ((d.chains || {})[key] || []).map(function (p) { return JSON.stringify(p).toLowerCase(); }).join("\n");
          }
          if (podText[key].indexOf(q) >= 0) { drawChains(holder, d); }
        });
        if (search.value.toLowerCase().trim() === q) { filterNodes(q); }
      });
    });
  }
  body.setAttribute("data-js", "on");
}());
