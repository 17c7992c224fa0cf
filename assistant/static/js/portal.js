// The portal chat page `/` (and its compact face `/?embed=1` inside the widget's iframe).
import { Chat, SENDER_RE, api, decorateIcons, newSender, wireComposer } from './chat-core.js';

const $ = (id) => document.getElementById(id);
const body = document.body;
const embed = body.dataset.embed === '1';
const log = $('log');
const welcome = $('welcome');
const input = $('composer-input');

decorateIcons();

const chat = new Chat({
  face: 'portal',
  log,
  scroller: $('chat-scroll'),
  typing: $('typing'),
  sendButton: $('btn-send'),
  maxChars: Number(body.dataset.maxChars) || 2000,
  senderStore: window.localStorage,
  senderKey: 'lingling.sender',
  linkMode: 'newtab',
  onChange: () => { welcome.hidden = !chat.isEmpty(); },
});

// A phone that scanned the kiosk's QR code arrives with ?sender=<token>: continue that conversation.
const params = new URLSearchParams(window.location.search);
const handed = params.get('sender');
if (handed && SENDER_RE.test(handed)) {
  chat.useSender(handed);
  try {
    sessionStorage.removeItem(`lingling.transcript.${handed}`);
  } catch (_) { /* ignore */ }
  // Tell the server this phone has taken the conversation over: the kiosk clears its screen within seconds.
  api('/api/continue', { sender: handed }).catch(() => {});
} else {
  chat.useSender(chat.storedSender() || newSender());
}
if (params.has('sender')) {
  // Keep the token out of the address bar and the browser history.
  window.history.replaceState(null, '', window.location.pathname + (embed ? '?embed=1' : ''));
}
chat.restore();

wireComposer($('composer'), input, chat);

welcome.addEventListener('click', (event) => {
  const chip = event.target.closest('[data-send]');
  if (chip) chat.send(chip.dataset.send);
});

$('btn-handoff').addEventListener('click', () => chat.send('转人工'));

// 清空对话 asks once more on the button itself (no pop-up): a second tap within 4 s clears.
const clearButton = $('btn-clear');
const clearLabel = clearButton.lastChild;
let confirmTimer = null;
clearButton.addEventListener('click', async () => {
  if (!confirmTimer) {
    clearButton.classList.add('confirming');
    clearLabel.textContent = '确认清空？';
    confirmTimer = window.setTimeout(() => {
      confirmTimer = null;
      clearButton.classList.remove('confirming');
      clearLabel.textContent = '清空对话';
    }, 4000);
    return;
  }
  window.clearTimeout(confirmTimer);
  confirmTimer = null;
  clearButton.classList.remove('confirming');
  clearLabel.textContent = '清空对话';
  input.value = '';
  await chat.clear();
  input.focus();
});

const closeButton = $('btn-close');
if (closeButton) {
  closeButton.addEventListener('click', () => {
    window.parent.postMessage({ type: 'lingling:close' }, '*');
  });
}
document.addEventListener('keydown', (event) => {
  if (embed && event.key === 'Escape') window.parent.postMessage({ type: 'lingling:close' }, '*');
});
