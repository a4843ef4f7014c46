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

  // last lines of each container in large reports: drawn when opened
  Array.prototype.forEach.call(document.querySelectorAll("pre[data-lazy-lines]"), function (pre) {
    var det = pre.parentNode;
    det.addEventListener("toggle", function () {
      if (!det.open || pre.getAttribute("data-done")) { return; }
      var lines = (data.lines || {})[pre.getAttribute("data-lazy-lines")] || [];
      pre.textContent = lines.map(function (l) {
        return l[0] + " " + (l[1] || "") + " " + l[2] + " " + l[3];
      }).join("\n") || "no lines";
      pre.setAttribute("data-done", "1");
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
    var rows = (data.trees || {})[holder.getAttribute("data-tree")];
    if (!rows) { return; }
    var det = holder.parentNode;
    det.addEventListener("toggle", function () {
      if (det.open && !holder.getAttribute("data-done")) {
        drawTree(holder, rows);
        holder.setAttribute("data-done", "1");
      }
    });
  });

  // search: pods, processes and ids across every node
  var search = document.getElementById("search");
  if (search) {
    search.addEventListener("input", function () {
      var q = search.value.toLowerCase().trim();
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
    });
  }
  body.setAttribute("data-js", "on");
}());
