/* The regression check on an entry's page: which questions would be answered differently after publishing. */
(function () {
  "use strict";
  var LL = window.LL;
  var button = document.getElementById("check-btn");
  if (!button || !LL) { return; }
  var status = document.getElementById("check-status");
  var out = document.getElementById("check-report");
  var INTENTS = { out_of_scope: "答不上（兜底回复）", greet: "问候", goodbye: "告别", thanks: "致谢",
    human_handoff: "转人工", start_lost_notice: "开始办理遗失公告", start_medical_validation: "开始办理医疗机构校验",
    check_status: "查询办件进度", search_notice: "查询遗失公告", bot_identity: "询问灵灵身份" };

  function answerText(a) {
    if (a.faq_id) { return a.question + "（" + a.faq_id + "，" + a.score.toFixed(2) + "）"; }
    return INTENTS[a.intent] || a.intent;
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    LL.clear(out);
    status.textContent = "";
    status.appendChild(LL.el("span", "spinner"));
    status.appendChild(document.createTextNode(" 正在逐条比对问题，请稍候…"));
    LL.postJson("/admin/api/knowledge/" + encodeURIComponent(button.getAttribute("data-item")) + "/check").then(function (res) {
      button.disabled = false;
      var d = res.data || {};
      if (!res.ok) { status.textContent = d.message || "检查失败，请稍后重试。"; return; }
      if (!d.index_touched) {
        status.textContent = "本次修改不涉及问题和问法，" + d.checked + " 个问题的命中结果都不变。";
        return;
      }
      if (!d.changes.length) {
        status.textContent = "已比对 " + d.checked + " 个问题，回答全部不变（用时 " + d.seconds + " 秒）。";
        return;
      }
      status.textContent = "已比对 " + d.checked + " 个问题，其中 " + d.changes.length + " 个的回答会变化：变差 " +
        d.counts.worse + "，改善 " + d.counts.better + "，其他变化 " + d.counts.changed + "（用时 " + d.seconds + " 秒）。";
      var rows = d.changes.map(function (c) {
        var badge = LL.el("span", "badge " + c.verdict, d.labels[c.verdict]);
        return [c.text, c.expected || "—", answerText(c.before), answerText(c.after), badge];
      });
      out.appendChild(LL.table(["问题", "应命中", "现在的回答", "发布后的回答", "结论"], rows));
    }).catch(function () {
      button.disabled = false;
      status.textContent = "网络错误，请稍后重试。";
    });
  });
})();
