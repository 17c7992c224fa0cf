/* 人工咨询 queue: refreshed every 5 seconds from /admin/api/handoff/queue (texts set with textContent only).
   New tickets are marked and the page title shows how many are waiting. */
(function () {
  "use strict";
  var REFRESH_MS = 5000;
  var table = document.getElementById("queue");
  if (!table) { return; }
  var tbody = table.querySelector("tbody");
  var empty = document.getElementById("queue-empty");
  var count = document.getElementById("queue-count");
  var refreshed = document.getElementById("queue-refreshed");
  var baseTitle = document.title;
  var known = {};
  Array.prototype.forEach.call(tbody.querySelectorAll("tr[data-id]"), function (tr) { known[tr.getAttribute("data-id")] = true; });

  function cell(tr, text, cls) {
    var td = LL.el("td", cls || null, text);
    tr.appendChild(td);
    return td;
  }

  function row(t) {
    var tr = LL.el("tr", "ticket " + t.kind + (t.status === "open" ? " waiting" : "") + (known[String(t.id)] ? "" : " new"));
    tr.setAttribute("data-id", String(t.id));
    var link = LL.el("a", null, t.number);
    link.href = "/admin/handoff/" + encodeURIComponent(String(t.id));
    var first = LL.el("td");
    first.appendChild(link);
    tr.appendChild(first);
    var kind = LL.el("td");
    kind.appendChild(LL.el("span", "badge" + (t.kind === "call_staff" ? " bad" : ""), t.kind_label));
    tr.appendChild(kind);
    cell(tr, t.where, "where");
    cell(tr, t.question || "—", "question");
    cell(tr, t.phone || "—");
    var waited = cell(tr, t.waiting);
    if (t.off_hours) { waited.appendChild(document.createTextNode(" ")); waited.appendChild(LL.el("span", "badge", "非工作时间")); }
    cell(tr, t.status_label + (t.claimed_by ? "（" + t.claimed_by + "）" : ""));
    return tr;
  }

  function show(data) {
    var tickets = Array.isArray(data.tickets) ? data.tickets : [];
    LL.clear(tbody);
    var seen = {};
    tickets.forEach(function (t) { tbody.appendChild(row(t)); seen[String(t.id)] = true; });
    known = seen;
    table.hidden = tickets.length === 0;
    empty.hidden = tickets.length !== 0;
    var waiting = tickets.filter(function (t) { return t.status === "open"; }).length;
    count.textContent = tickets.length + " 条待处理";
    count.className = "badge" + (tickets.length ? " warn" : "");
    document.title = (waiting ? "(" + waiting + ") " : "") + baseTitle;
    refreshed.textContent = "每 5 秒自动刷新 · " + (data.now || "");
  }

  function refresh() {
    fetch("/admin/api/handoff/queue", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(show)
      .catch(function () { refreshed.textContent = "刷新失败，稍后自动重试（请检查网络或重新登录）"; });
  }

  window.setInterval(refresh, REFRESH_MS);
})();
