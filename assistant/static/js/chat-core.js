// 灵灵 chat core: talks to /api/* and renders every kind of bot message.
// Shared by the portal chat (portal.js) and the hall kiosk (kiosk.js).
//
// Safety rule of this file: every text from users or the knowledge base reaches the page through
// textContent / createElement / setAttribute only — never innerHTML — and links only keep http(s) URLs.

export const SENDER_RE = /^[A-Za-z0-9_-]{16,64}$/;
const TRANSCRIPT_PREFIX = 'lingling.transcript.';
const UPDATES_EVERY_MS = 4000; // while a handoff ticket is open, staff's answers are fetched this often

// ------------------------------------------------------------------ small DOM helpers

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null && text !== '') node.textContent = String(text);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
// Material Design icon paths (Apache-2.0).
const ICON_PATHS = {
  up: 'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z',
  down: 'M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z',
  print: 'M19 8H5c-1.66 0-3 1.34-3 3v6h4v4h12v-4h4v-6c0-1.66-1.34-3-3-3zm-3 11H8v-5h8v5zm3-7c-.55 0-1-.45-1-1s.45-1 1-1 1 .45 1 1-.45 1-1 1zm-1-9H6v4h12V3z',
  phone: 'M6.62 10.79c1.44 2.83 3.76 5.14 6.59 6.59l2.2-2.2c.27-.27.67-.36 1.02-.24 1.12.37 2.33.57 3.57.57.55 0 1 .45 1 1V20c0 .55-.45 1-1 1-9.39 0-17-7.61-17-17 0-.55.45-1 1-1h3.5c.55 0 1 .45 1 1 0 1.25.2 2.45.57 3.57.11.35.03.74-.25 1.02l-2.2 2.2z',
  link: 'M19 19H5V5h7V3H5c-1.11 0-2 .9-2 2v14c0 1.1.89 2 2 2h14c1.1 0 2-.9 2-2v-7h-2v7zM14 3v2h3.59l-9.83 9.83 1.41 1.41L19 6.41V10h2V3h-7z',
  file: 'M14 2H6c-1.1 0-2 .9-2 2v16c0 1.1.9 2 2 2h12c1.1 0 2-.9 2-2V8l-6-6zm-1 7V3.5L18.5 9H13z',
  check: 'M9 16.17 4.83 12l-1.42 1.41L9 19 21 7l-1.41-1.41z',
  speaker: 'M3 9v6h4l5 5V4L7 9H3zm13.5 3c0-1.77-1.02-3.29-2.5-4.03v8.05c1.48-.73 2.5-2.25 2.5-4.02zM14 3.23v2.06c2.89.86 5 3.54 5 6.71s-2.11 5.85-5 6.71v2.06c4.01-.91 7-4.49 7-8.77s-2.99-7.86-7-8.77z',
  person: 'M12 12c2.21 0 4-1.79 4-4s-1.79-4-4-4-4 1.79-4 4 1.79 4 4 4zm0 2c-2.67 0-8 1.34-8 4v2h16v-2c0-2.66-5.33-4-8-4z',
  restart: 'M12 5V1L7 6l5 5V7c3.31 0 6 2.69 6 6s-2.69 6-6 6-6-2.69-6-6H4c0 4.42 3.58 8 8 8s8-3.58 8-8-3.58-8-8-8z',
  trash: 'M6 19c0 1.1.9 2 2 2h8c1.1 0 2-.9 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z',
  send: 'M2.01 21 23 12 2.01 3 2 10l15 2-15 2z',
  close: 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z',
  text: 'M9 4v3h5v12h3V7h5V4H9zm-6 8h3v7h3v-7h3V9H3v3z',
};

export function icon(name) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICON_PATHS[name] || '');
  path.setAttribute('fill', 'currentColor');
  svg.appendChild(path);
  return svg;
}

/** Put icons (markup created here) into every [data-icon] element of the page. */
export function decorateIcons(root = document) {
  root.querySelectorAll('[data-icon]').forEach((node) => {
    if (!node.querySelector(':scope > svg.icon')) node.prepend(icon(node.dataset.icon));
  });
}

/** A URL object for http(s) links only (relative ones resolve against the page); null otherwise. */
export function safeUrl(value) {
  if (typeof value !== 'string' || !value.trim()) return null;
  try {
    const url = new URL(value.trim(), window.location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch (_) {
    return null;
  }
}

function telHref(phone) {
  const match = String(phone || '').match(/[0-9][0-9-]{5,}[0-9]/);
  return match ? `tel:${match[0].replace(/-/g, '')}` : null;
}

function str(value) {
  return value === undefined || value === null ? '' : String(value);
}

function list(value) {
  return Array.isArray(value) ? value : [];
}

let uid = 0;
function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

// ------------------------------------------------------------------ identity and API

export function newSender() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export async function api(path, body, options = {}) {
  const init = { method: body ? 'POST' : 'GET', credentials: 'same-origin', headers: {}, keepalive: !!options.keepalive };
  if (body) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new ApiError('网络连接不太稳定，请检查网络后再试。', 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.message === 'string' ? data.message : '服务暂时不可用，请稍后再试。';
    throw new ApiError(message, response.status);
  }
  return data;
}

// ------------------------------------------------------------------ labels

const FILING_KINDS = { lost_notice: '许可证遗失公告登记', medical_validation: '医疗机构校验申请' };
const RECEIPT_TONES = ['ok', 'info', 'warn', 'bad'];
const FORM_LABELS = {
  lost_notice_form: '许可证遗失公告登记',
  medical_validation_form: '医疗机构校验申请',
};

function formatDateTime(value) {
  const text = str(value);
  const d = new Date(text);
  if (!text || Number.isNaN(d.getTime())) return text;
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const UNCONFIRMED_ANSWER = '这条答复中的部分信息正在核实，仅供参考；请以大厅窗口公示为准，或拨打 12345 政务服务便民热线咨询。';

function sourceKind(source) {
  return str(source && typeof source === 'object' ? source.kind : source);
}

function sourceNote(source) {
  if (sourceKind(source) === 'statute') return source && source.ref ? `依据：${source.ref}` : '依据：相关法规';
  return '';
}

/** Plain text of one wire message, for reading aloud. */
export function speakableText(msg) {
  const parts = [];
  const c = msg && msg.custom && typeof msg.custom === 'object' ? msg.custom : null;
  if (msg && msg.text && !(c && c.type === 'answer_card' && c.answer === msg.text)) parts.push(str(msg.text));
  if (c) {
    if (c.type === 'answer_card') {
      parts.push(str(c.answer));
      if (sourceKind(c.source) === 'example') parts.push(UNCONFIRMED_ANSWER);
      const materials = list(c.materials).map((m) => str(m && m.name)).filter(Boolean);
      if (materials.length) parts.push(`需要准备的材料：${materials.join('；')}`);
    } else if (c.type === 'receipt') {
      parts.push(`办件编号 ${str(c.filing_id)}，${str(c.status_label)}`);
    } else if (c.type === 'readback') {
      list(c.fields).forEach((f) => parts.push(`${str(f && f.label)}：${str(f && f.value)}`));
    } else if (c.type === 'staff_reply' && !(msg && msg.text)) {
      parts.push(str(c.body));
    } else if (c.type === 'multi_select') {
      parts.push(list(c.options).map((o) => str(o && o.title)).join('，'));
    }
  }
  return parts.filter(Boolean).join('。');
}

// ------------------------------------------------------------------ the chat

/**
 * One conversation on a page.
 * options: face ('portal' | 'kiosk'), kiosk (the hall kiosk's id), log, typing, sendButton, maxChars,
 *   senderStore (Storage), senderKey,
 *   linkMode ('newtab' | 'kiosk'), openViewer(url, title), openPrint(faqId), onBotTurn(entry), onChange(),
 *   scroller (the scrolling element; default the log)
 */
export class Chat {
  constructor(options) {
    this.o = options;
    this.log = options.log;
    this.sender = null;
    this.entries = [];
    this.busy = false;
    this.generation = 0; // bumped by every wipe; answers of an older generation are dropped
    this.cursor = 0; // the last staff reply shown (GET /api/chat/updates?since=)
    this.updatesTimer = null;
  }

  // ---------------------------------------------------------------- sender and storage

  useSender(sender) {
    this.sender = sender;
    this.cursor = 0;
    this.stopUpdates();
    try {
      this.o.senderStore.setItem(this.o.senderKey, sender);
    } catch (_) { /* storage may be unavailable (private mode); the page still works */ }
  }

  storedSender() {
    try {
      const value = this.o.senderStore.getItem(this.o.senderKey);
      return value && SENDER_RE.test(value) ? value : null;
    } catch (_) {
      return null;
    }
  }

  save() {
    try {
      sessionStorage.setItem(TRANSCRIPT_PREFIX + this.sender, JSON.stringify(this.entries));
    } catch (_) { /* quota or unavailable */ }
  }

  /** Show the conversation again: from this tab's sessionStorage, else from the server. */
  async restore() {
    let entries = null;
    try {
      const raw = sessionStorage.getItem(TRANSCRIPT_PREFIX + this.sender);
      entries = raw ? JSON.parse(raw) : null;
    } catch (_) {
      entries = null;
    }
    let waiting = false;
    if (!Array.isArray(entries)) {
      const generation = this.generation;
      try {
        const data = await api(`/api/history?sender=${encodeURIComponent(this.sender)}`);
        if (generation !== this.generation) return;
        entries = data && Array.isArray(data.entries) ? data.entries : [];
        waiting = !!(data && data.waiting);
      } catch (_) {
        entries = [];
      }
    }
    this.entries = [];
    this.log.replaceChildren();
    entries.forEach((entry) => this.append(entry, true));
    this.save();
    this.changed();
    // A handoff ticket in this conversation: staff may have answered since (or will).
    if (waiting || this.entries.some((e) => hasCard(e, 'handoff_ticket'))) this.pollUpdates();
  }

  // ---------------------------------------------------------------- staff's answers (handoff tickets)

  /** Fetch what staff said since the last one shown; keep polling while a ticket is open. */
  async pollUpdates() {
    this.stopUpdates();
    const sender = this.sender;
    const generation = this.generation;
    let waiting = true;
    try {
      const data = await api(`/api/chat/updates?sender=${encodeURIComponent(sender)}&since=${this.cursor}`);
      if (generation !== this.generation || sender !== this.sender) return;
      list(data && data.entries).forEach((entry) => {
        if (!entry || Number(entry.reply_id) <= this.cursor) return;
        this.append(entry);
        if (this.o.onBotTurn) this.o.onBotTurn(entry);
      });
      this.changed();
      waiting = !!(data && data.waiting);
    } catch (_) { /* offline for a moment: try again */ }
    if (waiting && generation === this.generation) {
      this.updatesTimer = window.setTimeout(() => this.pollUpdates(), UPDATES_EVERY_MS);
    }
  }

  stopUpdates() {
    if (this.updatesTimer) window.clearTimeout(this.updatesTimer);
    this.updatesTimer = null;
  }

  isEmpty() {
    return this.entries.length === 0;
  }

  changed() {
    if (this.o.onChange) this.o.onChange();
  }

  // ---------------------------------------------------------------- sending

  setBusy(busy) {
    this.busy = busy;
    if (this.o.typing) this.o.typing.hidden = !busy;
    if (this.o.sendButton) this.o.sendButton.disabled = busy;
    this.log.setAttribute('aria-busy', busy ? 'true' : 'false');
    if (busy && this.o.typing) this.scrollToEnd();
  }

  /** Why `text` cannot be sent now (a sentence for the user), or '' when it can. */
  refusal(text) {
    const message = str(text).trim();
    const max = this.o.maxChars || 2000;
    if (message.length > max) return `消息太长了，灵灵一次最多能读 ${max} 个字。请精简后再发送，或分几次发送。`;
    return '';
  }

  /** Send `text` (typed text or a button payload); `shown` is what the user's bubble says. */
  async send(text, shown) {
    const message = str(text).trim();
    if (!message || this.busy) return false;
    const refused = this.refusal(message);
    if (refused) {
      this.note(refused);
      return false;
    }
    const display = str(shown || message).trim();
    const generation = this.generation;
    const sender = this.sender;
    this.append({ role: 'user', text: display });
    this.setBusy(true);
    try {
      const body = { sender, message, face: this.o.face };
      if (this.o.kiosk) body.kiosk = this.o.kiosk; // which hall kiosk (呼叫导服 sends staff there)
      const data = await api('/api/chat', body);
      if (generation !== this.generation) {
        // The screen was wiped while waiting: forget what the server just stored for the old sender.
        api('/api/reset', { sender, face: this.o.face }, { keepalive: true }).catch(() => {});
        return false;
      }
      const entry = { role: 'bot', turn_id: str(data.turn_id), messages: list(data.messages) };
      this.append(entry);
      if (this.o.onBotTurn) this.o.onBotTurn(entry);
      if (hasCard(entry, 'handoff_ticket')) this.pollUpdates();
      return true;
    } catch (err) {
      if (generation === this.generation) this.note(err.message || '发送失败，请稍后再试。');
      return false;
    } finally {
      if (generation === this.generation) this.setBusy(false);
      this.changed();
    }
  }

  /** A friendly notice in the log (not stored: it is not part of the conversation). */
  note(text) {
    const row = el('div', 'msg system');
    const bubble = el('p', 'bubble notice', text);
    bubble.setAttribute('role', 'alert');
    row.appendChild(bubble);
    this.log.appendChild(row);
    this.scrollToEnd();
  }

  // ---------------------------------------------------------------- wiping

  /** Clear the screen and this tab's storage; start a new conversation (new sender id). */
  wipeLocal() {
    this.generation += 1;
    this.stopUpdates();
    try {
      sessionStorage.removeItem(TRANSCRIPT_PREFIX + this.sender);
    } catch (_) { /* ignore */ }
    this.entries = [];
    this.log.replaceChildren();
    this.setBusy(false);
    this.useSender(newSender());
    this.changed();
  }

  /** 清空对话: wipe on the server, then on the screen. */
  async clear() {
    const old = this.sender;
    this.wipeLocal();
    try {
      await api('/api/reset', { sender: old, face: this.o.face }, { keepalive: true });
    } catch (_) { /* the server forgets idle sessions anyway */ }
  }

  // ---------------------------------------------------------------- rendering

  append(entry, restored = false) {
    if (!entry || (entry.role !== 'user' && entry.role !== 'bot')) return;
    this.entries.push(entry);
    if (Number(entry.reply_id) > this.cursor) this.cursor = Number(entry.reply_id);
    const node = entry.role === 'user' ? this.renderUser(entry) : this.renderBotTurn(entry, restored);
    this.log.appendChild(node);
    if (!restored) {
      this.save();
      if (entry.role === 'bot') this.scrollToTurn(node);
      else this.scrollToEnd();
    } else {
      this.scrollToEnd();
    }
  }

  scrollToEnd() {
    const scroller = this.o.scroller || this.log;
    scroller.scrollTop = scroller.scrollHeight;
  }

  scrollToTurn(node) {
    const scroller = this.o.scroller || this.log;
    // Long answers: show the question asked and the answer's beginning; short ones: the end of the log.
    const question = node.previousElementSibling && node.previousElementSibling.classList.contains('user')
      ? node.previousElementSibling : node;
    const top = question.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop;
    const bottom = node.getBoundingClientRect().bottom - scroller.getBoundingClientRect().top + scroller.scrollTop;
    if (bottom - top > scroller.clientHeight - 16) {
      scroller.scrollTop = Math.max(0, top - 12);
    } else {
      this.scrollToEnd();
    }
  }

  renderUser(entry) {
    const row = el('div', 'msg user');
    row.appendChild(el('span', 'visually-hidden', '我说：'));
    row.appendChild(el('p', 'bubble', entry.text));
    return row;
  }

  renderBotTurn(entry, restored) {
    const turn = el('div', entry.kind === 'staff' ? 'turn bot staff' : 'turn bot');
    turn.dataset.turnId = entry.turn_id || '';
    const messages = list(entry.messages);
    messages.forEach((msg, index) => turn.appendChild(this.renderMessage(msg, entry, index, restored)));
    if (entry.turn_id && messages.length) turn.appendChild(this.renderFeedback(entry));
    return turn;
  }

  renderMessage(msg, entry, index, restored) {
    const row = el('div', 'msg bot');
    row.appendChild(el('span', 'visually-hidden', '灵灵说：'));
    const body = el('div', 'msg-body');
    row.appendChild(body);
    const custom = msg && msg.custom && typeof msg.custom === 'object' ? msg.custom : null;
    const type = custom ? str(custom.type) : '';
    const text = str(msg && msg.text);
    // Cards that repeat their message's text show it once: in the card.
    const skipText = type === 'multi_select' || type === 'readback'
      || (type === 'answer_card' && text.trim() === str(custom.answer).trim())
      || (type === 'notice' && !!custom.company_name)
      || type === 'staff_reply';
    if (text && !skipText) body.appendChild(el('p', 'bubble', text));
    const used = !!(entry.used && entry.used[index]);
    const markUsed = () => {
      entry.used = Object.assign({}, entry.used, { [index]: true });
      this.save();
    };
    if (custom) {
      const card = this.renderCustom(custom, msg, { used, markUsed });
      if (card) body.appendChild(card);
    }
    const image = safeUrl(msg && msg.image);
    if (image) {
      const img = el('img', 'msg-image');
      img.src = image.href;
      img.alt = '图片';
      img.loading = 'lazy';
      body.appendChild(img);
    }
    let buttons = list(msg && msg.buttons);
    if (type === 'readback' && !buttons.length) {
      buttons = [
        { title: '确认提交', payload: '/affirm' },
        { title: '修改', payload: '/correct' },
        { title: '取消', payload: '/deny' },
      ];
    }
    if (buttons.length && type !== 'multi_select') {
      // The answer card's next questions of the same service: labelled, so they read as "you may also mean".
      if (type === 'answer_card' && list(custom.related).length) body.appendChild(el('p', 'choices-label', '相关问题'));
      body.appendChild(this.renderButtons(buttons, type === 'readback', { used, markUsed }));
    }
    return row;
  }

  renderButtons(buttons, once, state) {
    const group = el('div', once ? 'choices readback-actions' : 'choices');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', '可选操作');
    const nodes = [];
    buttons.forEach((b) => {
      const title = str(b && b.title);
      const payload = str(b && b.payload) || title;
      if (!title) return;
      const button = el('button', 'choice', title);
      button.type = 'button';
      if (once && /affirm/.test(payload)) button.classList.add('primary');
      if (once && /deny/.test(payload)) button.classList.add('quiet');
      button.addEventListener('click', async () => {
        if (this.busy) return;
        if (once) {
          nodes.forEach((n) => { n.disabled = true; });
          button.classList.add('chosen');
          state.markUsed();
        }
        await this.send(payload, title);
      });
      if (once && state.used) button.disabled = true;
      nodes.push(button);
      group.appendChild(button);
    });
    return group;
  }

  renderCustom(c, msg, state) {
    switch (str(c.type)) {
      case 'answer_card': return this.renderAnswerCard(c);
      case 'multi_select': return this.renderMultiSelect(c, msg, state);
      case 'readback': return this.renderReadback(c, msg);
      case 'office_hours': return this.renderOfficeHours(c);
      case 'receipt': return this.renderReceipt(c);
      case 'notice': return this.renderNotice(c);
      case 'handoff': return this.renderHandoff(c);
      case 'handoff_ticket': return this.renderTicket(c);
      case 'staff_reply': return this.renderStaffReply(c, msg);
      default: return null;
    }
  }

  section(parent, title) {
    const section = el('section', 'card-section');
    const id = nextId('sec');
    const heading = el('h4', 'card-section-title', title);
    heading.id = id;
    section.setAttribute('aria-labelledby', id);
    section.appendChild(heading);
    parent.appendChild(section);
    return section;
  }

  link(url, label, iconName) {
    const safe = safeUrl(url);
    if (!safe) return null;
    const internal = safe.origin === window.location.origin;
    if (this.o.linkMode === 'kiosk') {
      if (internal && this.o.openViewer) {
        const button = el('button', 'link-button', label);
        button.type = 'button';
        if (iconName) button.prepend(icon(iconName));
        button.addEventListener('click', () => this.o.openViewer(safe.href, label));
        return button;
      }
      // A kiosk never leaves the page: external addresses are shown, not followed.
      const span = el('span', 'link-text');
      span.appendChild(el('span', 'link-label', `${label}：`));
      span.appendChild(el('span', 'link-url', safe.href));
      return span;
    }
    const a = el('a', 'link', label);
    a.href = safe.href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    if (iconName) a.prepend(icon(iconName));
    if (!internal) a.appendChild(el('span', 'visually-hidden', '（在新窗口打开外部网站）'));
    return a;
  }

  /**
   * The answer first; the guide (materials, steps, time limit, place, legal basis) folded behind one tap
   * (a <details>: keyboard and screen readers know it). Facts the knowledge base still marks `example` arrive
   * empty and named in `pending`: the card says they are being confirmed and where to ask.
   */
  renderAnswerCard(c) {
    const card = el('article', 'card answer-card');
    const titleId = nextId('card');
    card.setAttribute('aria-labelledby', titleId);
    if (c.service_name) card.appendChild(el('p', 'card-kicker', c.service_name));
    const title = el('h3', 'card-title', c.question || c.service_name || '办事指南');
    title.id = titleId;
    card.appendChild(title);
    if (c.answer) card.appendChild(el('p', 'card-answer', c.answer));
    const unconfirmed = sourceKind(c.source) === 'example';
    if (unconfirmed) card.appendChild(el('p', 'card-unconfirmed', UNCONFIRMED_ANSWER));

    const details = el('details', 'card-details');
    const summary = el('summary', 'card-summary');
    details.appendChild(summary);
    const body = el('div', 'card-details-body');
    details.appendChild(body);
    const shown = [];

    const materials = list(c.materials).filter((m) => m && m.name);
    if (materials.length) {
      shown.push(`材料 ${materials.length} 项`);
      const section = this.section(body, '需要准备的材料');
      section.appendChild(el('p', 'card-hint', '可逐项勾选，核对是否带齐：'));
      const ul = el('ul', 'checklist');
      materials.forEach((m) => {
        const li = el('li', 'check-item');
        const id = nextId('mat');
        const box = el('input');
        box.type = 'checkbox';
        box.id = id;
        const label = el('label');
        label.htmlFor = id;
        label.appendChild(el('span', 'check-name', m.name));
        const meta = [str(m.form_label || formLabel(m.form)), m.copies ? `${m.copies} 份` : ''].filter(Boolean).join(' · ');
        if (meta) label.appendChild(el('span', 'check-meta', meta));
        if (m.required_when) label.appendChild(el('span', 'check-when', `适用：${m.required_when}`));
        if (m.notes) label.appendChild(el('span', 'check-notes', m.notes));
        li.append(box, label);
        ul.appendChild(li);
      });
      section.appendChild(ul);
    }

    const steps = list(c.steps).filter((s) => s && s.title);
    if (steps.length) {
      shown.push(`流程 ${steps.length} 步`);
      const section = this.section(body, '办理流程');
      const ol = el('ol', 'steps');
      steps.forEach((s) => {
        const li = el('li');
        li.appendChild(el('strong', 'step-title', s.title));
        if (s.detail) li.appendChild(el('p', 'step-detail', s.detail));
        ol.appendChild(li);
      });
      section.appendChild(ol);
    }

    const facts = el('dl', 'facts');
    const factLabels = [];
    const fact = (label, value, className) => {
      if (!value) return;
      if (!className) factLabels.push(label);
      const row = el('div', className ? `fact ${className}` : 'fact');
      row.append(el('dt', '', label), el('dd', '', value));
      facts.appendChild(row);
    };
    const t = c.time_limit && typeof c.time_limit === 'object' ? c.time_limit : null;
    if (t) {
      const parts = [];
      if (t.promised_days === 0) parts.push('承诺时限：当场办结');
      else if (typeof t.promised_days === 'number') parts.push(`承诺时限：${t.promised_days} 个工作日`);
      if (typeof t.statutory_days === 'number') parts.push(`法定时限：${t.statutory_days} 个工作日`);
      if (t.notes) parts.push(str(t.notes));
      fact('办理时限', parts.join('；'));
    }
    const w = c.where && typeof c.where === 'object' ? c.where : null;
    if (w) fact('办理地点', [w.zone, w.window, w.address].map(str).filter(Boolean).join('，'));
    fact('办公时间', str(c.hours));
    fact('咨询电话', str(c.phone));
    const pending = list(c.pending).map((p) => str(p && p.label)).filter(Boolean);
    pending.forEach((label) => fact(label, '正在核实', 'pending'));
    const main = factLabels.filter((label) => label === '办理时限' || label === '办理地点');
    if (main.length) shown.push(main.map((label) => label.slice(2)).join('、'));
    if (facts.childElementCount) body.appendChild(facts);
    if (pending.length) {
      body.appendChild(el('p', 'card-pending',
        `${pending.join('、')}正在核实，暂不提供，以免误导您。请到政务服务中心大厅咨询台询问，或拨打 12345 政务服务便民热线。`));
    }

    const basis = list(c.legal_basis).filter((b) => b && b.statute);
    if (basis.length) {
      shown.push('办理依据');
      const section = this.section(body, '办理依据');
      const ul = el('ul', 'basis');
      basis.forEach((b) => {
        const li = el('li');
        li.appendChild(el('strong', '', `《${str(b.statute)}》${str(b.article)}`));
        if (b.summary) li.append(`：${str(b.summary)}`);
        ul.appendChild(li);
      });
      section.appendChild(ul);
    }

    if (body.childElementCount) {
      summary.appendChild(el('span', 'card-summary-title', '查看办事指南'));
      if (shown.length) summary.appendChild(el('span', 'card-summary-meta', shown.filter(Boolean).join(' · ')));
      card.appendChild(details);
    }

    const actions = el('div', 'card-actions');
    const entry = c.online_entry && typeof c.online_entry === 'object' ? c.online_entry : null;
    if (entry && entry.url) {
      const link = this.link(entry.url, `网上办理：${str(entry.name) || '办事入口'}`, 'link');
      if (link) actions.appendChild(link);
    } else if (entry && entry.name) {
      actions.appendChild(el('span', 'link-text', `网上办理：${entry.name}`));
    }
    if (materials.length && c.faq_id) {
      const url = `/print/materials?faq_id=${encodeURIComponent(str(c.faq_id))}`;
      if (this.o.linkMode === 'kiosk') {
        if (this.o.openPrint) {
          const button = el('button', 'link-button', '打印材料清单');
          button.type = 'button';
          button.prepend(icon('print'));
          button.addEventListener('click', () => this.o.openPrint(str(c.faq_id)));
          actions.appendChild(button);
        }
      } else {
        const a = this.link(url, '打印材料清单', 'print');
        if (a) actions.appendChild(a);
      }
    }
    if (actions.childElementCount) card.appendChild(actions);
    const note = sourceNote(c.source);
    if (note) card.appendChild(el('p', 'card-source', note));
    return card;
  }

  renderMultiSelect(c, msg, state) {
    const form = el('form', 'card multi-select');
    const fieldset = el('fieldset');
    const legend = el('legend', 'card-title', str(msg && msg.text) || '请选择（可多选）');
    fieldset.appendChild(legend);
    const min = Math.max(1, Number(c.min) || 1);
    const options = list(c.options).filter((o) => o && (o.title || o.value));
    const boxes = [];
    options.forEach((o) => {
      const id = nextId('opt');
      const row = el('div', 'option');
      const box = el('input');
      box.type = 'checkbox';
      box.id = id;
      box.value = str(o.value !== undefined ? o.value : o.title);
      box.dataset.title = str(o.title || o.value);
      box.disabled = state.used;
      const label = el('label', '', o.title || o.value);
      label.htmlFor = id;
      row.append(box, label);
      fieldset.appendChild(row);
      boxes.push(box);
    });
    const hint = el('p', 'card-hint', min > 1 ? `至少选择 ${min} 项` : '可选择一项或多项');
    hint.id = nextId('hint');
    fieldset.setAttribute('aria-describedby', hint.id);
    fieldset.appendChild(hint);
    form.appendChild(fieldset);
    const submit = el('button', 'choice primary', '确定');
    submit.type = 'submit';
    const update = () => {
      submit.disabled = state.used || boxes.filter((b) => b.checked).length < min;
    };
    boxes.forEach((b) => b.addEventListener('change', update));
    update();
    form.appendChild(submit);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosen = boxes.filter((b) => b.checked);
      if (chosen.length < min || this.busy) return;
      boxes.forEach((b) => { b.disabled = true; });
      submit.disabled = true;
      state.markUsed();
      // The entity a Rasa domain declares (older cards name only the slot, which the built-in dialogue reads too).
      const key = str(c.entity) || str(c.slot) || 'selection';
      const payload = `/inform${JSON.stringify({ [key]: chosen.map((b) => b.value) })}`;
      await this.send(payload, chosen.map((b) => b.dataset.title).join('、'));
    });
    return form;
  }

  renderReadback(c, msg) {
    const card = el('article', 'card readback');
    const titleId = nextId('card');
    card.setAttribute('aria-labelledby', titleId);
    card.appendChild(el('p', 'card-kicker', FORM_LABELS[str(c.form)] || '请核对'));
    const firstLine = str(msg && msg.text).split('\n')[0].trim().replace(/[：:]$/, '');
    const title = el('h3', 'card-title', firstLine || '请核对您填写的信息');
    title.id = titleId;
    card.appendChild(title);
    const dl = el('dl', 'facts');
    list(c.fields).forEach((f) => {
      if (!f) return;
      const row = el('div', 'fact');
      const value = Array.isArray(f.value) ? f.value.map(str).join('、') : str(f.value);
      row.append(el('dt', '', f.label || f.slot), el('dd', '', value || '（未填写）'));
      dl.appendChild(row);
    });
    card.appendChild(dl);
    card.appendChild(el('p', 'card-hint', '确认无误请点“确认提交”；需要改动请点“修改”。'));
    return card;
  }

  renderOfficeHours(c) {
    const card = el('article', 'card');
    card.setAttribute('aria-label', '办公时间和地址');
    card.appendChild(el('p', 'card-kicker', '办公时间和地址'));
    const dl = el('dl', 'facts');
    [['办公时间', c.hours], ['地址', c.address], ['咨询电话', c.phone]].forEach(([label, value]) => {
      if (!value) return;
      const row = el('div', 'fact');
      row.append(el('dt', '', label), el('dd', '', value));
      dl.appendChild(row);
    });
    // Facts the knowledge base still marks `example` arrive empty and named: being confirmed, where to ask.
    const pending = list(c.pending).map((p) => str(p && p.label)).filter(Boolean);
    pending.forEach((label) => {
      const row = el('div', 'fact pending');
      row.append(el('dt', '', label), el('dd', '', '正在核实'));
      dl.appendChild(row);
    });
    card.appendChild(dl);
    if (pending.length) {
      card.appendChild(el('p', 'card-pending', '正在核实的信息请以大厅现场公示为准，或拨打 12345 政务服务便民热线咨询。'));
    }
    return card;
  }

  renderReceipt(c) {
    // The card's colour follows the status: ok (done), info (under way), warn (needs the applicant), bad (refused).
    const tone = RECEIPT_TONES.includes(str(c.tone)) ? str(c.tone) : 'ok';
    const card = el('article', `card receipt tone-${tone}`);
    card.dataset.tone = tone;
    card.setAttribute('aria-label', '办件回执');
    card.appendChild(el('p', 'card-kicker', `${FILING_KINDS[c.kind] || '办件'} · ${str(c.status_label) || '已提交'}`));
    card.appendChild(el('h3', 'card-title', '受理编号'));
    const number = el('p', 'receipt-number', c.filing_id);
    card.appendChild(number);
    const dl = el('dl', 'facts');
    const fact = (label, value) => {
      if (!value) return;
      const row = el('div', 'fact');
      row.append(el('dt', '', label), el('dd', '', value));
      dl.appendChild(row);
    };
    fact('当前状态', str(c.status_label || c.status));
    fact('提交时间', formatDateTime(c.submitted_at));
    card.appendChild(dl);
    if (c.status_hint) card.appendChild(el('p', 'card-hint', c.status_hint));
    if (!c.status || c.status === 'submitted') {
      card.appendChild(el('p', 'card-source', '请记下受理编号，之后对灵灵说“查进度”即可查询。'));
    }
    return card;
  }

  renderNotice(c) {
    const card = el('article', 'card notice');
    card.setAttribute('aria-label', '遗失公告');
    card.appendChild(el('p', 'card-kicker', c.number ? `遗失公告 ${str(c.number)}` : '遗失公告'));
    card.appendChild(el('h3', 'card-title', c.company_name || '遗失公告'));
    const dl = el('dl', 'facts');
    [['许可证', c.license_type], ['发布日期', c.published_on]].forEach(([label, value]) => {
      if (!value) return;
      const row = el('div', 'fact');
      row.append(el('dt', '', label), el('dd', '', value));
      dl.appendChild(row);
    });
    card.appendChild(dl);
    const actions = el('div', 'card-actions');
    const view = this.link(c.url, '查看公告', 'link');
    const pdf = this.link(c.pdf_url, '下载 PDF', 'file');
    if (view) actions.appendChild(view);
    if (pdf) actions.appendChild(pdf);
    if (actions.childElementCount) card.appendChild(actions);
    return card;
  }

  renderHandoff(c) {
    const card = el('article', 'card handoff');
    card.setAttribute('aria-label', '人工服务');
    card.appendChild(el('p', 'card-kicker', '人工服务'));
    card.appendChild(el('h3', 'card-title', '联系工作人员'));
    const dl = el('dl', 'facts');
    const row = (label, node) => {
      const r = el('div', 'fact');
      const dd = el('dd');
      dd.appendChild(node);
      r.append(el('dt', '', label), dd);
      dl.appendChild(r);
    };
    if (c.open === false) {
      row('现在', el('span', 'handoff-closed', `不在服务时间${c.opens ? `，${str(c.opens)}上班` : ''}`));
    } else if (c.open === true) {
      row('现在', el('span', 'handoff-open', '工作人员在岗'));
    }
    if (c.hours) row('服务时间', el('span', '', c.hours));
    card.appendChild(dl); // what to tap (留言, 呼叫导服) is said by the message's own text and buttons
    if (c.hotline) {
      const line = el('p', 'card-source');
      line.append('紧急事项或投诉建议，可拨打 ');
      const href = /^\d{3,12}$/.test(str(c.hotline)) ? `tel:${str(c.hotline)}` : null;
      if (href && this.o.linkMode !== 'kiosk') {
        const a = el('a', '', str(c.hotline));
        a.href = href;
        line.appendChild(a);
      } else {
        line.append(str(c.hotline));
      }
      line.append(' 政务服务便民热线。');
      card.appendChild(line);
    }
    return card;
  }

  renderTicket(c) {
    const call = c.kind === 'call_staff';
    const card = el('article', 'card ticket');
    card.setAttribute('aria-label', call ? '呼叫导服' : '留言');
    card.appendChild(el('p', 'card-kicker', `人工服务 · ${call ? '呼叫导服' : '留言'}已受理`));
    card.appendChild(el('h3', 'card-title', str(c.number)));
    const dl = el('dl', 'facts');
    const fact = (label, value) => {
      if (!value) return;
      const row = el('div', 'fact');
      row.append(el('dt', '', label), el('dd', '', value));
      dl.appendChild(row);
    };
    fact(call ? '地点' : '来自', str(c.where));
    fact('回电号码', str(c.phone));
    if (c.off_hours) fact('处理时间', c.opens ? `${str(c.opens)}上班后` : '上班后');
    card.appendChild(dl);
    card.appendChild(el('p', 'card-hint', call
      ? '请在这里稍候，导服人员收到后会马上过来。'
      : '工作人员的答复会显示在这里，无需刷新页面；也可能打电话联系您。'));
    return card;
  }

  renderStaffReply(c, msg) {
    const reply = c.kind === 'reply';
    const card = el('article', reply ? 'card staff-reply' : 'card staff-reply status');
    card.setAttribute('aria-label', reply ? '工作人员回复' : '人工服务进度');
    card.appendChild(el('p', 'card-kicker', reply ? '工作人员回复' : '人工服务进度'));
    card.appendChild(el('p', 'card-answer', str(c.body) || str(msg && msg.text)));
    const meta = [formatDateTime(c.at), c.closed ? '本次人工服务已结束' : ''].filter(Boolean).join(' · ');
    if (meta) card.appendChild(el('p', 'card-hint', meta));
    return card;
  }

  renderFeedback(entry) {
    // Answers from the knowledge base ask for feedback in words; other turns just offer the two icons.
    const answered = list(entry.messages).some((m) => m && m.custom && m.custom.type === 'answer_card');
    const bar = el('div', answered ? 'feedback' : 'feedback compact');
    bar.setAttribute('role', 'group');
    bar.setAttribute('aria-label', '这条回答有帮助吗？');
    bar.appendChild(el('span', 'feedback-q', '有帮助吗？'));
    const status = el('span', 'feedback-status');
    status.setAttribute('role', 'status');
    const make = (rating, name, label) => {
      const b = el('button', `fb fb-${name}`);
      b.type = 'button';
      b.dataset.rating = String(rating);
      b.setAttribute('aria-label', label);
      b.title = label;
      b.setAttribute('aria-pressed', entry.rating === rating ? 'true' : 'false');
      b.appendChild(icon(name));
      b.appendChild(el('span', 'fb-label', rating > 0 ? '有用' : '没用'));
      return b;
    };
    const up = make(1, 'up', '有帮助');
    const down = make(-1, 'down', '没帮助');
    const show = (rating) => {
      up.setAttribute('aria-pressed', rating === 1 ? 'true' : 'false');
      down.setAttribute('aria-pressed', rating === -1 ? 'true' : 'false');
      bar.classList.toggle('rated', rating === 1 || rating === -1);
      status.textContent = rating === 1 ? '感谢您的反馈！' : rating === -1 ? '感谢反馈，灵灵会继续改进。需要时可点“转人工”。' : '';
    };
    const rate = async (rating) => {
      if (entry.rating === rating) return;
      const previous = entry.rating;
      entry.rating = rating;
      show(rating);
      try {
        await api('/api/feedback', { sender: this.sender, turn_id: entry.turn_id, rating });
        this.save();
      } catch (err) {
        entry.rating = previous;
        show(previous);
        status.textContent = err.message || '反馈没有提交成功，请稍后再试。';
      }
    };
    up.addEventListener('click', () => rate(1));
    down.addEventListener('click', () => rate(-1));
    bar.append(up, down, status);
    if (entry.rating === 1 || entry.rating === -1) {
      bar.classList.add('rated');
    }
    return bar;
  }
}

function hasCard(entry, type) {
  return list(entry && entry.messages).some((m) => m && m.custom && m.custom.type === type);
}

function formLabel(form) {
  return { original: '原件', copy: '复印件', original_and_copy: '原件及复印件', electronic: '电子版' }[str(form)] || '';
}

/**
 * Enter sends, Shift+Enter makes a new line; the textarea grows with its content. The text stays in the
 * box while an answer is awaited or when it is refused (too long), so nothing typed is lost.
 */
export function wireComposer(form, input, chat) {
  const grow = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  };
  input.addEventListener('input', grow);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() || chat.busy) {
      input.focus();
      return;
    }
    const refused = chat.refusal(text);
    if (refused) {
      chat.note(refused);
      return;
    }
    input.value = '';
    grow();
    await chat.send(text);
  });
}
