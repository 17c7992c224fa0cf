// The hall kiosk `/kiosk`: touch first, 长辈模式, 朗读, QR code to continue on a phone, printing, and
// the privacy wipe after idle time (screen, inputs, storage and server state; then a new sender id).
import { Chat, api, decorateIcons, newSender, speakableText, wireComposer } from './chat-core.js';

const $ = (id) => document.getElementById(id);
const body = document.body;
const IDLE_SECONDS = Math.max(1, Number(body.dataset.idleSeconds) || 90);
const COUNTDOWN_SECONDS = Math.min(15, IDLE_SECONDS);
const SENDER_KEY = 'lingling.kiosk.sender';

const log = $('log');
const welcome = $('welcome');
const input = $('composer-input');
const scroller = $('k-scroll');
const viewer = $('viewer');
const viewerFrame = $('viewer-frame');
const viewerTitle = $('viewer-title');
const viewerPrint = $('viewer-print');
const idleBox = $('idle');
const idleText = $('idle-text');
const qr = $('qr');
const printButton = $('btn-print');
const printHint = $('print-hint');
const elderButton = $('btn-elder');
const speakButton = $('btn-speak');

decorateIcons();

// ------------------------------------------------------------------ read aloud (朗读)

const canSpeak = 'speechSynthesis' in window && 'SpeechSynthesisUtterance' in window;
let speaking = false;

function speak(text) {
  if (!canSpeak || !text) return;
  window.speechSynthesis.cancel();
  const utterance = new window.SpeechSynthesisUtterance(text);
  utterance.lang = 'zh-CN';
  utterance.rate = body.classList.contains('elder') ? 0.8 : 0.95;
  window.speechSynthesis.speak(utterance);
}

function speakTurn(entry) {
  if (!entry) return;
  speak((entry.messages || []).map(speakableText).filter(Boolean).join('。'));
}

function setSpeaking(on) {
  speaking = on;
  speakButton.setAttribute('aria-pressed', on ? 'true' : 'false');
  if (!on && canSpeak) window.speechSynthesis.cancel();
}

if (canSpeak) {
  speakButton.hidden = false;
  speakButton.addEventListener('click', () => {
    setSpeaking(!speaking);
    if (speaking) {
      const last = [...chat.entries].reverse().find((e) => e.role === 'bot');
      if (last) speakTurn(last);
      else speak('朗读已打开。灵灵的回答会读给您听。');
    }
  });
}

// ------------------------------------------------------------------ 长辈模式

function setElder(on) {
  body.classList.toggle('elder', on);
  document.documentElement.classList.toggle('elder', on);
  elderButton.setAttribute('aria-pressed', on ? 'true' : 'false');
}
elderButton.addEventListener('click', () => setElder(!body.classList.contains('elder')));

// ------------------------------------------------------------------ viewer (print preview, notices)

let printFaq = null;

function openViewer(url, title, printable) {
  viewerTitle.textContent = title || '查看';
  viewerPrint.hidden = !printable;
  viewerFrame.src = url;
  viewer.hidden = false;
  viewerPrint.focus();
}

function closeViewer() {
  viewer.hidden = true;
  viewerFrame.removeAttribute('src');
  viewerFrame.src = 'about:blank';
}

function openPrint(faqId) {
  openViewer(`/print/materials?faq_id=${encodeURIComponent(faqId)}&embed=1`, '打印预览：材料清单', true);
}

viewerPrint.addEventListener('click', () => {
  try {
    viewerFrame.contentWindow.focus();
    viewerFrame.contentWindow.print();
  } catch (_) { /* printing unavailable */ }
});
$('viewer-close').addEventListener('click', closeViewer);
printButton.addEventListener('click', () => { if (printFaq) openPrint(printFaq); });

function updatePrintable() {
  printFaq = null;
  let name = '';
  for (const entry of [...chat.entries].reverse()) {
    if (entry.role !== 'bot') continue;
    const card = (entry.messages || [])
      .map((m) => (m && m.custom) || null)
      .reverse()
      .find((c) => c && c.type === 'answer_card' && Array.isArray(c.materials) && c.materials.length && c.faq_id);
    if (card) {
      printFaq = String(card.faq_id);
      name = String(card.service_name || '');
      break;
    }
  }
  printButton.disabled = !printFaq;
  printHint.textContent = printFaq
    ? `可打印“${name || '当前事项'}”需要准备的材料。`
    : '咨询具体事项后，可在这里打印需要准备的材料。';
}

// ------------------------------------------------------------------ the conversation

const chat = new Chat({
  face: 'kiosk',
  kiosk: body.dataset.kioskId || '', // /kiosk?id=3 or LINGLING_KIOSK_ID: where 呼叫导服 sends a staff member
  log,
  scroller,
  typing: $('typing'),
  sendButton: $('btn-send'),
  maxChars: Number(body.dataset.maxChars) || 2000,
  senderStore: window.sessionStorage,
  senderKey: SENDER_KEY,
  linkMode: 'kiosk',
  openViewer: (url, title) => openViewer(url, title, false),
  openPrint,
  onBotTurn: (entry) => {
    touch();
    if (speaking) speakTurn(entry);
  },
  onChange: () => {
    welcome.hidden = !chat.isEmpty();
    updatePrintable();
  },
});

function showQr() {
  qr.src = `/api/qr?sender=${encodeURIComponent(chat.sender)}`;
}

chat.useSender(chat.storedSender() || newSender());
showQr();
chat.restore();

wireComposer($('composer'), input, chat);
welcome.addEventListener('click', (event) => {
  const tile = event.target.closest('[data-send]');
  if (tile) chat.send(tile.dataset.send);
});
$('btn-handoff').addEventListener('click', () => chat.send('转人工'));

// ------------------------------------------------------------------ privacy wipe

/** Wipe everything of the current user: screen, inputs, storage, server state; new sender id. */
function wipe() {
  const old = chat.sender;
  if (canSpeak) window.speechSynthesis.cancel();
  closeViewer();
  document.querySelectorAll('input, textarea').forEach((field) => {
    if (field.type === 'checkbox' || field.type === 'radio') field.checked = false;
    else field.value = '';
  });
  input.style.height = '';
  try {
    sessionStorage.clear();
    Object.keys(localStorage).filter((k) => k.startsWith('lingling.')).forEach((k) => localStorage.removeItem(k));
  } catch (_) { /* storage unavailable */ }
  chat.wipeLocal(); // clears the log, makes and stores a new sender id
  setElder(false);
  setSpeaking(false);
  updatePrintable();
  showQr();
  hideCountdown();
  scroller.scrollTop = 0;
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  api('/api/reset', { sender: old, face: 'kiosk' }, { keepalive: true }).catch(() => {});
  lastActivity = Date.now();
}

$('btn-restart').addEventListener('click', wipe);

let lastActivity = Date.now();
function touch() {
  lastActivity = Date.now();
}
['pointerdown', 'keydown', 'input', 'touchstart', 'wheel'].forEach((type) => {
  document.addEventListener(type, touch, { capture: true, passive: true });
});
$('idle-continue').addEventListener('click', () => {
  touch();
  hideCountdown();
});

/** Anything on screen that belongs to the current user? (Nothing to protect on a fresh screen.) */
function inUse() {
  return !chat.isEmpty() || log.childElementCount > 0 || input.value !== '' || !viewer.hidden
    || body.classList.contains('elder') || speaking;
}

function hideCountdown() {
  idleBox.hidden = true;
  body.classList.remove('idle-warning');
}

function tick() {
  if (!inUse()) {
    lastActivity = Date.now();
    hideCountdown();
    return;
  }
  const left = IDLE_SECONDS - (Date.now() - lastActivity) / 1000;
  if (left <= 0) {
    wipe();
    return;
  }
  if (left <= COUNTDOWN_SECONDS) {
    const text = `无人操作，${Math.ceil(left)} 秒后将自动清空本次对话，保护您的隐私。`;
    if (idleText.textContent !== text) idleText.textContent = text;
    idleBox.hidden = false;
    body.classList.add('idle-warning');
  } else {
    hideCountdown();
  }
}
window.setInterval(tick, 250);
