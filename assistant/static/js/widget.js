/*!
 * 灵灵 chat widget. Include on any portal page:
 *   <script src="https://HOST/widget.js" data-lingling-url="https://HOST" defer></script>
 * Adds a floating 「在线咨询」 button that opens the chat (an iframe of HOST/?embed=1).
 * Self-contained: no globals besides window.LinglingWidget, styles set through the CSSOM (works under a
 * strict host CSP that allows this script and frames from HOST).
 */
(function () {
  'use strict';
  if (window.LinglingWidget) return;

  var script = document.currentScript;
  var base = (script && script.getAttribute('data-lingling-url')) || '';
  if (!base && script && script.src) base = script.src.replace(/\/widget\.js(?:[?#].*)?$/, '');
  var origin;
  try {
    var parsed = new URL(base, window.location.href);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return;
    origin = parsed.origin;
    base = parsed.href.replace(/\/+$/, '');
  } catch (e) {
    return;
  }
  var ACCENT = (script && script.getAttribute('data-lingling-color')) || '#1a5fb4';
  if (!/^#[0-9a-fA-F]{3,8}$/.test(ACCENT)) ACCENT = '#1a5fb4';
  var Z = 2147483000;

  function css(node, styles) {
    for (var k in styles) if (Object.prototype.hasOwnProperty.call(styles, k)) node.style[k] = styles[k];
    return node;
  }

  var button = document.createElement('button');
  button.type = 'button';
  button.id = 'lingling-widget-button';
  button.setAttribute('aria-haspopup', 'dialog');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'lingling-widget-panel');
  button.setAttribute('aria-label', '打开灵灵在线咨询');
  var svgNs = 'http://www.w3.org/2000/svg';
  var svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '24');
  svg.setAttribute('height', '24');
  svg.setAttribute('aria-hidden', 'true');
  var path = document.createElementNS(svgNs, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2zM6 9h12v2H6V9zm8 5H6v-2h8v2zm4-6H6V6h12v2z');
  svg.appendChild(path);
  var label = document.createElement('span');
  label.textContent = '在线咨询';
  button.appendChild(svg);
  button.appendChild(label);
  css(button, {
    position: 'fixed', right: '20px', bottom: '20px', zIndex: String(Z + 1),
    display: 'inline-flex', alignItems: 'center', gap: '8px',
    minHeight: '52px', padding: '0 20px', border: '0', borderRadius: '26px',
    background: ACCENT, color: '#ffffff', cursor: 'pointer',
    font: '600 16px/1.2 "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif',
    boxShadow: '0 6px 20px rgba(16, 42, 84, .28)'
  });
  button.addEventListener('focus', function () { button.style.outline = '3px solid #ffbe3d'; button.style.outlineOffset = '3px'; });
  button.addEventListener('blur', function () { button.style.outline = 'none'; });

  var panel = document.createElement('div');
  panel.id = 'lingling-widget-panel';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', '灵灵在线咨询');
  panel.hidden = true;
  css(panel, {
    position: 'fixed', zIndex: String(Z), background: '#ffffff', overflow: 'hidden',
    boxShadow: '0 12px 40px rgba(16, 42, 84, .30)', border: '1px solid #d0d7de'
  });

  var frame = null;
  var narrow = window.matchMedia ? window.matchMedia('(max-width: 520px)') : null;

  function layout() {
    var small = narrow && narrow.matches;
    css(panel, small
      ? { left: '0', right: '0', top: '0', bottom: '0', width: 'auto', height: 'auto', borderRadius: '0' }
      : { left: 'auto', top: 'auto', right: '20px', bottom: '84px', width: '400px', height: 'min(640px, calc(100vh - 110px))', borderRadius: '12px' });
    panel.style.display = panel.hidden ? 'none' : 'block';
    button.style.display = small && !panel.hidden ? 'none' : 'inline-flex';
  }

  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.title = '灵灵在线咨询';
      frame.src = base + '/?embed=1';
      frame.setAttribute('allow', 'clipboard-write');
      css(frame, { width: '100%', height: '100%', border: '0', display: 'block' });
      panel.appendChild(frame);
    }
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    button.setAttribute('aria-label', '关闭灵灵在线咨询');
    label.textContent = '收起';
    layout();
    try { frame.focus(); } catch (e) { /* ignore */ }
  }

  function close() {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-label', '打开灵灵在线咨询');
    label.textContent = '在线咨询';
    layout();
    button.focus();
  }

  button.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && !panel.hidden) close(); });
  window.addEventListener('message', function (e) {
    if (e.origin === origin && e.data && e.data.type === 'lingling:close' && !panel.hidden) close();
  });
  if (narrow && narrow.addEventListener) narrow.addEventListener('change', layout);

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
    layout();
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);

  window.LinglingWidget = { open: open, close: close };
})();
