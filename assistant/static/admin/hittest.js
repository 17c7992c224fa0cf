/* 命中测试: send a question, show what chat understood and answered. Texts only via textContent. */
(function () {
  "use strict";
  var LL = window.LL;
  var form = document.getElementById("hittest-form");
  if (!form || !LL) { return; }
  var input = document.getElementById("hittest-text");
  var focusSelect = document.getElementById("hittest-focus");
  var status = document.getElementById("hittest-status");
  var result = document.getElementById("hit-result");

  function set(id, text) { document.getElementById(id).textContent = text; }
  function fixed(x) { return Number(x).toFixed(3); }

  function bar(value) {
    var track = LL.el("span", "bar-track");
    var fill = LL.el("span", "bar");
    fill.setAttribute("data-w", String(Math.round(Math.max(0, Math.min(1, value)) * 100)));
    track.appendChild(fill);
    return track;
  }

  function sizeBars(root) {  // widths through CSSOM: allowed by the CSP (no style attributes in markup)
    root.querySelectorAll(".bar[data-w]").forEach(function (b) { b.style.width = b.getAttribute("data-w") + "%"; });
  }

  function reply(messages, hasDialogue) {
    var box = document.getElementById("hit-reply");
    LL.clear(box);
    if (!hasDialogue) { box.appendChild(LL.el("p", "muted", "对话服务未启动，只显示理解结果。")); return; }
    messages.forEach(function (m) {
      var bubble = LL.el("div", "bubble");
      if (m.text) { bubble.appendChild(LL.el("div", null, m.text)); }
      var custom = m.custom || {};
      if (custom.type === "answer_card") {
        bubble.appendChild(LL.el("div", "muted", "答案卡片：" + custom.service_name + " › " + custom.question + "（" + custom.faq_id + "）"));
      } else if (custom.type) {
        bubble.appendChild(LL.el("div", "muted", "卡片类型：" + custom.type));
      }
      if (m.buttons && m.buttons.length) {
        var row = LL.el("div", "buttons");
        m.buttons.forEach(function (b) { row.appendChild(LL.el("span", null, b.title)); });
        bubble.appendChild(row);
      }
      box.appendChild(bubble);
    });
  }

  function show(d) {
    set("hit-text", d.text);
    set("hit-normalized", d.normalized);
    set("hit-intent", d.intent.name + "（" + fixed(d.intent.confidence) + "）");
    set("hit-raw-intent", d.raw_intent);
    var f = d.focus;
    set("hit-focus", f ? (f.service_name + "：" + f.explain + (f.applied && f.resolved_service_name ? "（按“" + f.resolved_service_name + "”排序）" : "")) : "无");
    set("hit-parts", (d.parts || []).length ? d.parts.map(function (p, i) {
      return (i + 1) + ". " + p.text + " → " + (p.faq_id || p.intent) + (p.focus && p.focus.applied ? "（追问）" : "");
    }).join("；") : "一个问题");
    set("hit-timings", Object.keys(d.timings_ms || {}).map(function (k) { return k + " " + d.timings_ms[k] + " ms"; }).join("，") || "—");
    set("hit-explain", d.explain);
    reply(d.reply, d.dialogue);

    var ranking = document.getElementById("hit-ranking");
    LL.clear(ranking);
    if (!d.ranking.length) { ranking.appendChild(LL.el("p", "muted", "没有命中任何问答。")); }
    else {
      ranking.appendChild(LL.table(["#", "问答", "事项", "综合得分", "向量 dense", "词项 lexical", "提示词加分", "匹配的文本"],
        d.ranking.map(function (h, i) {
          var q = LL.el("span");
          q.appendChild(LL.el("span", null, h.question));
          q.appendChild(document.createElement("br"));
          q.appendChild(LL.el("code", null, h.faq_id));
          var score = LL.el("span");
          score.appendChild(bar(h.score));
          score.appendChild(document.createTextNode(" " + fixed(h.score)));
          return [String(i + 1), q, h.service_name, score, fixed(h.dense), fixed(h.lexical), fixed(h.boost), h.matched];
        })));
      ranking.querySelector("tbody tr").classList.add("top-hit");
    }
    var intents = document.getElementById("hit-intents");
    LL.clear(intents);
    intents.appendChild(LL.table(["意图", "置信度"], d.intent_ranking.map(function (i) {
      var cell = LL.el("span");
      cell.appendChild(bar(i.confidence));
      cell.appendChild(document.createTextNode(" " + fixed(i.confidence)));
      return [i.name, cell];
    })));
    var ents = document.getElementById("hit-entities");
    LL.clear(ents);
    if (!d.entities.length) { ents.appendChild(LL.el("p", "muted", "没有识别出实体。")); }
    else {
      ents.appendChild(LL.table(["类型", "原文", "取值", "位置", "识别器"], d.entities.map(function (e) {
        return [e.entity, e.text, e.value, e.start + "–" + e.end, e.extractor];
      })));
    }
    sizeBars(result);
    result.hidden = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { status.textContent = "请输入要测试的问题。"; return; }
    status.textContent = "测试中…";
    var body = { text: text };
    if (focusSelect && focusSelect.value) { body.focus = focusSelect.value; }
    LL.postJson("/admin/api/hittest", body).then(function (res) {
      if (!res.ok) { status.textContent = (res.data && res.data.message) || "测试失败，请稍后重试。"; return; }
      status.textContent = "";
      show(res.data);
    }).catch(function () { status.textContent = "网络错误，请稍后重试。"; });
  });

  if (input.value.trim()) { form.requestSubmit(); }
})();
