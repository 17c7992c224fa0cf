/* 灵灵 staff console: shared helpers. No inline scripts or handlers anywhere: everything is bound here.
   Texts from the server are always set with textContent, never as HTML. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /** POST JSON with the session's CSRF token; resolves to {ok, status, data}. */
  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data };
      });
    });
  }

  /** Create an element with optional class and text (textContent only). */
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function table(headers, rows) {
    var t = el("table");
    var thead = el("thead");
    var tr = el("tr");
    headers.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    thead.appendChild(tr);
    t.appendChild(thead);
    var tbody = el("tbody");
    rows.forEach(function (cells) {
      var row = el("tr");
      cells.forEach(function (c) {
        var td = el("td");
        if (c instanceof Node) { td.appendChild(c); } else { td.textContent = c === null || c === undefined ? "" : String(c); }
        row.appendChild(td);
      });
      tbody.appendChild(row);
    });
    t.appendChild(tbody);
    return t;
  }

  // Forms and buttons that ask before doing something irreversible: data-confirm="...".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); return; }
    var button = form.querySelector("button[type=submit]");
    if (button && form.getAttribute("data-busy") !== null) {
      button.disabled = true;
      button.textContent = form.getAttribute("data-busy") || "处理中…";
    }
  });

  // <select data-autosubmit> submits its form on change (filters).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) { target.form.submit(); }
  });

  // <button type="button" data-fill="ID" data-value="..."> puts its value into the field with that id (a suggestion
  // staff choose; nothing is pre-set for them).
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button[data-fill]") : null;
    if (!target) { return; }
    var field = document.getElementById(target.getAttribute("data-fill"));
    if (field) { field.value = target.getAttribute("data-value") || ""; field.focus(); }
  });

  window.LL = { postJson: postJson, el: el, clear: clear, table: table, csrfToken: csrfToken };
})();
