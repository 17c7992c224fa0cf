// The hall kiosk `/kiosk`: touch first, 长辈模式, 朗读, QR code to continue on a phone, printing, and
// the privacy wipe after idle time (screen, inputs, storage and server state; then a new sender id).
import { Chat, api, decorateIcons, newSender, speakableText, wireComposer } from './chat-core.js';

const $ = (id) => document.getElementById(id);
const body = document.body;
const IDLE_SECONDS = Math.max(1, Number(body.dataset.idleSeconds) || 90);
const ELDER_FACTOR = 2; // 长辈模式: people read more slowly, the wipe waits twice as long
const COUNTDOWN_SECONDS = 15;
const HANDOVER_POLL_MS = 2000; // how often the kiosk asks whether a phone took the conversation over
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
const restartButton = $('btn-restart');
const confirmBox = $('restart-confirm');
const notice = $('k-notice');
const noticeText = $('k-notice-text');
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
  const large = body.classList.contains('elder') ? '&large=1' : ''; // 长辈模式 prints large type
  openViewer(`/print/materials?faq_id=${encodeURIComponent(faqId)}&embed=1${large}`, '打印预览：材料清单', true);
}

// ------------------------------------------------------------------ on-screen notices (print, hand-over)

let noticeTimer = 0;

/** A message on screen for a few seconds (role=status: screen readers announce it too). */
function showNotice(text, seconds = 8) {
  noticeText.textContent = text;
  notice.hidden = false;
  window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(hideNotice, seconds * 1000);
}

function hideNotice() {
  notice.hidden = true;
  window.clearTimeout(noticeTimer);
}
$('k-notice-close').addEventListener('click', hideNotice);

viewerPrint.addEventListener('click', () => {
  try {
    viewerFrame.contentWindow.focus();
    viewerFrame.contentWindow.print();
    showNotice('已发送打印，请在终端下方出纸口取走材料清单。如未出纸，请到咨询台询问。');
  } catch (_) {
    showNotice('暂时无法打印，请到咨询台询问，或扫码在手机上查看材料清单。');
  }
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

/**
 * Wipe everything of the current user: screen, inputs, storage, server state; new sender id.
 * `keepServer`: a phone took the conversation over, the server's copy is theirs now.
 */
function wipe(keepServer = false) {
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
  hideConfirm();
  scroller.scrollTop = 0;
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  if (!keepServer) api('/api/reset', { sender: old, face: 'kiosk' }, { keepalive: true }).catch(() => {});
  lastActivity = Date.now();
}

// 重新开始 asks once (a tap by mistake must not wipe someone's conversation); nothing to lose: at once.
function hideConfirm() {
  confirmBox.hidden = true;
}
restartButton.addEventListener('click', () => {
  if (!inUse()) {
    wipe();
    return;
  }
  confirmBox.hidden = false;
  $('restart-yes').focus();
});
$('restart-yes').addEventListener('click', () => {
  wipe();
  showNotice('已清空本次对话，可以重新开始咨询了。', 5);
});
$('restart-no').addEventListener('click', hideConfirm);

let lastActivity = Date.now();
function touch() {
  lastActivity = Date.now();
}
// Any interaction postpones the wipe: taps, keys, typing, scrolling (wheel, touch, scroll bar, keys), opening
// a card's guide; reading aloud counts as reading (see tick).
['pointerdown', 'pointermove', 'keydown', 'input', 'touchstart', 'touchmove', 'wheel', 'scroll', 'toggle'].forEach((type) => {
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

function idleSeconds() {
  return body.classList.contains('elder') ? IDLE_SECONDS * ELDER_FACTOR : IDLE_SECONDS;
}

function tick() {
  if (!inUse()) {
    lastActivity = Date.now();
    hideCountdown();
    return;
  }
  if (canSpeak && window.speechSynthesis.speaking) touch(); // being read to is reading
  const left = idleSeconds() - (Date.now() - lastActivity) / 1000;
  if (left <= 0) {
    wipe();
    return;
  }
  if (left <= Math.min(COUNTDOWN_SECONDS, idleSeconds())) {
    const text = `无人操作，${Math.ceil(left)} 秒后将自动清空本次对话，保护您的隐私。`;
    if (idleText.textContent !== text) idleText.textContent = text;
    idleBox.hidden = false;
    body.classList.add('idle-warning');
  } else {
    hideCountdown();
  }
}
window.setInterval(tick, 250);

// ------------------------------------------------------------------ hand-over to a phone (QR code)

let asking = false;

/** While someone uses the kiosk: has a phone scanned the QR code and taken the conversation over? */
async function checkHandover() {
  if (asking || !inUse() || chat.isEmpty()) return;
  asking = true;
  const sender = chat.sender;
  try {
    const data = await api(`/api/continued?sender=${encodeURIComponent(sender)}`);
    if (data && data.continued && chat.sender === sender) {
      wipe(true);
      showNotice('本次对话已转到您的手机上继续。为保护您的隐私，本机已清空。', 10);
    }
  } catch (_) { /* offline: the idle wipe still protects */ } finally {
    asking = false;
  }
}
window.setInterval(checkHandover, HANDOVER_POLL_MS);
