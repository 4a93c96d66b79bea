/**
 * The sandbox page: a small chat client for the bot's own workspace API (routes.ts). No framework
 * and no build step; the whole page is re-rendered from `state` after each fetch, which is plenty
 * for a few hundred messages.
 *
 * Safety: every piece of text from the server reaches the DOM either through textContent or
 * through `markup()`, which escapes HTML first and only then adds the few tags of the chat markup.
 */

const API = '/sandbox/api';
const STORE = {
  user: 'incident-bot.sandbox.user',
  channel: 'incident-bot.sandbox.channel',
  history: 'incident-bot.sandbox.history',
};
const POLL_MS = 3000;
/** EventSource retries on its own; after this many failures in a row the page polls instead. */
const SSE_MAX_ERRORS = 3;
const SSE_RETRY_MS = 30_000;
const REQUEST_TIMEOUT_MS = 30_000;
const HISTORY_MAX = 50;
const KEY_EMOJI = '📌';
const HOME_CHANNELS = new Set(['general', 'incidents']);
const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const el = {
  userSelect: /** @type {HTMLSelectElement} */ (byId('user-select')),
  channelList: byId('channel-list'),
  archivedList: byId('archived-list'),
  archivedHeading: byId('archived-heading'),
  connection: byId('connection'),
  tzNote: byId('tz-note'),
  title: byId('channel-title'),
  topic: byId('channel-topic'),
  errorBar: byId('error-bar'),
  errorMessage: byId('error-message'),
  errorHint: byId('error-hint'),
  errorCode: byId('error-code'),
  errorClose: byId('error-close'),
  messages: byId('messages'),
  form: /** @type {HTMLFormElement} */ (byId('composer-form')),
  composer: /** @type {HTMLTextAreaElement} */ (byId('composer')),
  send: /** @type {HTMLButtonElement} */ (byId('send')),
  archivedNote: byId('archived-note'),
  confirmDialog: /** @type {HTMLDialogElement} */ (byId('confirm-dialog')),
  confirmTitle: byId('confirm-title'),
  confirmText: byId('confirm-text'),
  confirmOk: byId('confirm-ok'),
  confirmDeny: byId('confirm-deny'),
  editDialog: /** @type {HTMLDialogElement} */ (byId('edit-dialog')),
  editText: /** @type {HTMLTextAreaElement} */ (byId('edit-text')),
};

const state = {
  /** @type {{id: string, name: string, groups: string[]}[]} */
  users: [],
  /** @type {any[]} */
  channels: [],
  user: storageGet(STORE.user) ?? '',
  channelId: storageGet(STORE.channel) ?? '',
  /** @type {any} */
  channel: null,
  /** @type {any[]} */
  messages: [],
  /** Channels with messages the user has not looked at since this page opened. */
  unread: new Set(),
  /** `messageId:buttonId` of clicks waiting for the bot: rendered disabled, never sent twice. */
  inFlight: new Set(),
  /** `user:messageId` → why that person's click did not count, shown under the buttons they clicked. */
  clickNotes: new Map(),
  /** Messages whose file is shown open: re-rendering the page keeps a reader's place. */
  openFiles: new Set(),
  sending: false,
  /** @type {string[]} */
  history: loadHistory(),
  historyIndex: -1,
  /** 'action' errors stay until the next action; 'background' ones clear when fetching works again. */
  errorSource: '',
  scrollToEnd: true,
  /** Whether `messages` holds the current channel's messages yet. */
  loaded: false,
};

// ---------------------------------------------------------------------------------------------
// Small utilities

function storageGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled (private mode, policy): the page still works, it just forgets
  }
}

function storageSet(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // see storageGet
  }
}

function loadHistory() {
  try {
    const list = JSON.parse(storageGet(STORE.history) ?? '[]');
    return Array.isArray(list) ? list.filter((x) => typeof x === 'string').slice(-HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

/** crypto.randomUUID exists only in secure contexts; the sandbox may be opened over plain http on a LAN. */
function newEventId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = String(v);
    else if (k === 'text') node.textContent = String(v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c !== undefined && c !== null && c !== false) node.append(c);
  }
  return node;
}

const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------------
// Markup: escape first, then the chat markup (*bold*, _italic_, `code`, ```blocks```, <url|label>)

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Splits `text` by `re`, mapping matches with `onMatch` and the text between with `onText`. */
function splitMap(text, re, onMatch, onText) {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(re)) {
    out += onText(text.slice(last, m.index));
    out += onMatch(m);
    last = m.index + m[0].length;
  }
  return out + onText(text.slice(last));
}

function markup(text) {
  return splitMap(
    String(text ?? ''),
    /```\n?([\s\S]*?)\n?```/g,
    (m) => `<pre class="code-block"><code>${escapeHtml(m[1])}</code></pre>`,
    inlineCode,
  );
}

function inlineCode(text) {
  return splitMap(text, /`([^`\n]+)`/g, (m) => codeSpan(m[1]), links);
}

/**
 * `code`, and a path of this bot's own API (`/api/incidents/1/postmortem`) as a link to it: the
 * page is served by the bot, so the path is one click away.
 */
function codeSpan(code) {
  const html = `<code>${escapeHtml(code)}</code>`;
  if (!/^\/api\/[A-Za-z0-9/_.-]+$/.test(code)) return html;
  return `<a href="${escapeHtml(code)}" target="_blank" rel="noopener noreferrer" class="api-link">${html}</a>`;
}

// ---------------------------------------------------------------------------------------------
// Markdown, for files the bot uploads (the post-mortem draft): headings, paragraphs, lists and
// task lists, tables, quotes, rules, fenced code, `code`, **bold**, _italic_ and [links](https://…).
// Everything is escaped first; only http(s) links become links.

function mdInline(text) {
  return splitMap(
    text,
    /`([^`\n]+)`/g,
    (m) => codeSpan(m[1]),
    (plain) =>
      splitMap(
        plain,
        /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g,
        (m) =>
          `<a href="${escapeHtml(m[2])}" target="_blank" rel="noopener noreferrer">${mdEmphasis(m[1])}</a>`,
        mdEmphasis,
      ),
  );
}

function mdEmphasis(text) {
  return escapeHtml(text)
    .replace(/\*\*(?=\S)([^*\n]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/g, '$1<em>$2</em>');
}

/** A table row's cells: split at `|` that are not escaped (`\|` is a pipe inside a cell). */
function mdCells(row) {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

const MD_BULLET = /^\s*[-*+]\s+(.*)$/;
const MD_NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const MD_RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const MD_TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

function markdownHtml(md) {
  const lines = String(md).replace(/\r\n?/g, '\n').split('\n');
  const out = [];
  const special = (l) =>
    /^(```|#{1,6}\s|>)/.test(l) || MD_BULLET.test(l) || MD_NUMBERED.test(l) || MD_RULE.test(l);
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
    } else if (line.startsWith('```')) {
      const body = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
      i++;
      out.push(`<pre class="code-block"><code>${escapeHtml(body.join('\n'))}</code></pre>`);
    } else if (/^#{1,6}\s/.test(line)) {
      const level = /^#+/.exec(line)[0].length;
      out.push(`<h${level}>${mdInline(line.slice(level).trim())}</h${level}>`);
      i++;
    } else if (line.includes('|') && MD_TABLE_RULE.test(lines[i + 1] ?? '')) {
      const head = mdCells(line);
      const rows = [];
      for (i += 2; i < lines.length && lines[i].includes('|') && lines[i].trim() !== ''; i++)
        rows.push(mdCells(lines[i]));
      out.push(
        `<table><thead><tr>${head.map((c) => `<th>${mdInline(c)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${head.map((_, j) => `<td>${mdInline(r[j] ?? '')}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`,
      );
    } else if (MD_RULE.test(line)) {
      out.push('<hr>');
      i++;
    } else if (MD_BULLET.test(line) || MD_NUMBERED.test(line)) {
      const numbered = !MD_BULLET.test(line);
      const re = numbered ? MD_NUMBERED : MD_BULLET;
      const items = [];
      for (; i < lines.length && re.test(lines[i]); i++) {
        const item = re.exec(lines[i])[1];
        const task = /^\[( |x|X)\]\s+(.*)$/.exec(item);
        items.push(
          task
            ? `<li class="task"><input type="checkbox" disabled${task[1] === ' ' ? '' : ' checked'}> ${mdInline(task[2])}</li>`
            : `<li>${mdInline(item)}</li>`,
        );
      }
      const tag = numbered ? 'ol' : 'ul';
      out.push(`<${tag}>${items.join('')}</${tag}>`);
    } else if (line.startsWith('>')) {
      const quoted = [];
      for (; i < lines.length && lines[i].startsWith('>'); i++) quoted.push(lines[i].replace(/^>\s?/, ''));
      out.push(`<blockquote>${mdInline(quoted.join(' '))}</blockquote>`);
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() !== '' && !special(lines[i]); i++) {
        if (lines[i].includes('|') && MD_TABLE_RULE.test(lines[i + 1] ?? '')) break;
        para.push(lines[i].trim());
      }
      out.push(`<p>${mdInline(para.join(' '))}</p>`);
    }
  }
  return out.join('');
}

/** A size as people read it: `512 B`, `41.2 KiB`, `1.2 MiB`, as the bot says sizes in chat. */
function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A file the bot uploaded: a download link with its name and size. Text (the post-mortem draft)
 * comes with the message and is shown below, collapsible: Markdown rendered, anything else as it
 * is. Bytes (a diagnostic bundle) come only when downloaded, from the file's own route.
 */
function fileElement(m) {
  const file = m.file;
  if (file.encoding === 'base64') return binaryFileElement(m);
  const { filename, content } = file;
  const bytes = new TextEncoder().encode(content).length;
  const type = file.contentType?.split(';')[0] ?? (/\.md$/i.test(filename) ? 'text/markdown' : 'text/plain');
  const download = h(
    'a',
    {
      class: 'file-download',
      'data-testid': 'file-download',
      href: `data:${type};charset=utf-8,${encodeURIComponent(content)}`,
      download: filename,
    },
    h('span', { 'aria-hidden': 'true', text: '📄 ' }),
    h('span', { class: 'file-name', text: filename }),
  );
  const lines = content.split('\n').length;
  const view = h('div', { class: type === 'text/markdown' ? 'markdown' : 'file-text' });
  // Escaped inside markdownHtml.
  if (type === 'text/markdown') view.innerHTML = markdownHtml(content);
  else view.append(h('pre', { class: 'code-block', text: content }));
  const details = h(
    'details',
    {
      class: 'file-view',
      'data-testid': 'file-view',
      open: state.openFiles.has(m.id),
      ontoggle: (e) => {
        if (e.currentTarget.open) state.openFiles.add(m.id);
        else state.openFiles.delete(m.id);
      },
    },
    h('summary', { text: `Read ${filename} (${lines} lines)` }),
    view,
  );
  return h(
    'div',
    { class: 'file', 'data-testid': 'file' },
    h('div', { class: 'file-head' }, download, h('span', { class: 'file-size', text: formatSize(bytes) })),
    details,
  );
}

/**
 * A file of bytes: its name and size, and a link that downloads it as it was sent (the message's
 * header above it carries the title). Nothing to read in place: it is not text.
 */
function binaryFileElement(m) {
  const { filename, size } = m.file;
  const download = h(
    'a',
    {
      class: 'file-download',
      'data-testid': 'file-download',
      href: `${API}/messages/${enc(m.id)}/file?user=${enc(state.user)}`,
      download: filename,
    },
    h('span', { 'aria-hidden': 'true', text: '📦 ' }),
    h('span', { class: 'file-name', text: filename }),
  );
  return h(
    'div',
    { class: 'file', 'data-testid': 'file' },
    h(
      'div',
      { class: 'file-head' },
      download,
      h('span', { class: 'file-size', 'data-testid': 'file-size', text: `· ${formatSize(size ?? 0)}` }),
    ),
  );
}

function links(text) {
  return splitMap(
    text,
    /<((?:https?:\/\/|mailto:)[^\s|<>]+)(?:\|([^<>]*))?>/g,
    (m) =>
      `<a href="${escapeHtml(m[1])}" target="_blank" rel="noopener noreferrer">${emphasis(honestLabel(m[1], m[2]) || m[1])}</a>`,
    agoTimes,
  );
}

/**
 * `<!ago^<epoch ms>|fallback>` (the bot's relativeTime) as "16 minutes ago", kept current by
 * refreshAgoTimes: the card's age is right whenever it is looked at.
 */
function agoTimes(text) {
  return splitMap(
    text,
    /<!ago\^(\d{1,15})\|([^<>\n]*)>/g,
    (m) =>
      `<time class="ago" data-ago="${m[1]}" datetime="${new Date(Number(m[1])).toISOString()}" title="${escapeHtml(m[2])}">${escapeHtml(agoText(Number(m[1])))}</time>`,
    (plain) => channelRefs(emphasis(plain)),
  );
}

function agoText(at) {
  const s = Math.max(0, Math.round((Date.now() - at) / 1000));
  if (s < 45) return 'just now';
  const unit = (n, word) => `${n} ${word}${n === 1 ? '' : 's'} ago`;
  if (s < 3600) return unit(Math.max(1, Math.round(s / 60)), 'minute');
  if (s < 86_400) return unit(Math.round(s / 3600), 'hour');
  return unit(Math.round(s / 86_400), 'day');
}

function refreshAgoTimes() {
  for (const t of document.querySelectorAll('time.ago')) t.textContent = agoText(Number(t.dataset.ago));
}
setInterval(refreshAgoTimes, 20_000);
// Coming back to the tab (timers are slowed in the background): current at once.
window.addEventListener('focus', refreshAgoTimes);

// As src/chat/markup.ts honestLabel (Slack and Discord render the same): a label that names
// another address than the link's target would send a reader elsewhere, so the target is shown.
const HOST_IN_LABEL = /(?<![\w.-])((?:[a-z0-9-]{1,63}\.)+[a-z][a-z0-9-]{1,62})(?![\w-])/gi;
const bareHost = (host) => host.toLowerCase().replace(/^www\./, '');

function honestLabel(url, label) {
  if (!label) return undefined;
  let target;
  if (/^mailto:/i.test(url)) target = bareHost(url.slice(url.lastIndexOf('@') + 1).split(/[?#]/)[0] ?? '');
  else {
    try {
      target = bareHost(new URL(url).hostname);
    } catch {
      return undefined;
    }
  }
  const hosts = [...label.matchAll(HOST_IN_LABEL)].map((m) => bareHost(m[1]));
  if (hosts.some((h) => h !== target)) return undefined;
  if (label.includes('://') && hosts.length === 0) return undefined;
  return label;
}

function emphasis(text) {
  return escapeHtml(text)
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '$1<strong>$2</strong>')
    .replace(/(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/g, '$1<em>$2</em>');
}

/** `#name` of a channel this user can see becomes a link that switches to it. */
function channelRefs(html) {
  return html.replace(/(^|[\s(>])#([a-z0-9][a-z0-9_-]*)/g, (all, pre, name) => {
    const channel = state.channels.find((c) => c.name === name);
    if (!channel) return all;
    return `${pre}<a href="#" class="channel-ref" data-channel-id="${escapeHtml(channel.id)}">#${name}</a>`;
  });
}

function richText(tag, cls, text) {
  const node = h(tag, { class: cls });
  node.innerHTML = markup(text); // escaped inside markup()
  return node;
}

// ---------------------------------------------------------------------------------------------
// HTTP

class ApiError extends Error {
  constructor(message, hint, code) {
    super(message);
    this.hint = hint ?? '';
    this.code = code ?? '';
  }
}

async function api(method, path, body) {
  /** @type {RequestInit} */
  const init = {
    method,
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  };
  if (body) {
    init.headers = { ...init.headers, 'content-type': 'application/json' };
    init.body = JSON.stringify({ ...body, timeZone: TIME_ZONE, eventId: newEventId() });
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'TimeoutError') {
      throw new ApiError(
        `The bot did not answer within ${REQUEST_TIMEOUT_MS / 1000} s.`,
        'It may still finish; the channel updates when it does. Check the bot log if nothing happens.',
        'timeout',
      );
    }
    throw new ApiError(
      `Cannot reach the bot at ${location.origin}.`,
      'Is it still running? Look at the terminal where it was started.',
      'network',
    );
  }
  let data = null;
  if ((res.headers.get('content-type') ?? '').includes('application/json')) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = data?.error;
    if (e && typeof e.message === 'string') throw new ApiError(e.message, e.hint, e.code);
    throw new ApiError(
      `The bot answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`,
      'The bot log has the details.',
      `http.${res.status}`,
    );
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// Errors

function showError(err, source = 'action') {
  const e =
    err instanceof ApiError ? err : new ApiError('Something went wrong in the page.', String(err), 'page');
  if (!(err instanceof ApiError)) console.error(err);
  el.errorMessage.textContent = e.message;
  el.errorHint.textContent = e.hint;
  el.errorCode.textContent = e.code;
  el.errorBar.hidden = false;
  state.errorSource = source;
}

function clearError(source = 'action') {
  if (source === 'background' && state.errorSource !== 'background') return;
  el.errorBar.hidden = true;
  state.errorSource = '';
}

// ---------------------------------------------------------------------------------------------
// Loading

/** Refreshes are queued one after another so an older answer never overwrites a newer one. */
const pending = { workspace: false, channel: false };
let queued = false;
let queue = Promise.resolve();

function refresh(what) {
  if (what.workspace) pending.workspace = true;
  if (what.channel) pending.channel = true;
  if (!queued) {
    queued = true;
    queue = queue.then(async () => {
      queued = false;
      const now = { ...pending };
      pending.workspace = false;
      pending.channel = false;
      try {
        const before = state.channelId;
        if (now.workspace) await loadWorkspace();
        // loadWorkspace may have moved to another channel (the old one went away): load that one.
        if (now.channel || state.channelId !== before) await loadChannel();
        clearError('background');
      } catch (err) {
        showError(err, 'background');
        if (err instanceof ApiError && err.code === 'network') setConnection('offline');
      }
    });
  }
  return queue;
}

async function loadWorkspace() {
  const asked = state.user;
  let data;
  try {
    data = await api('GET', `${API}/workspace${asked ? `?user=${enc(asked)}` : ''}`);
  } catch (err) {
    // A user remembered from an older configuration: start over as the first user.
    if (err instanceof ApiError && err.code === 'bot.user.unknown' && asked) {
      setUser('');
      return loadWorkspace();
    }
    throw err;
  }
  if (asked !== state.user) return;
  state.users = data.users;
  state.channels = data.channels;
  if (!state.users.some((u) => u.id === state.user)) setUser(state.users[0]?.id ?? '');
  if (!state.channels.some((c) => c.id === state.channelId)) {
    const fallback =
      state.channels.find((c) => c.name === 'incidents' && !c.archived) ??
      state.channels.find((c) => !c.archived) ??
      state.channels[0];
    setChannel(fallback?.id ?? '');
  }
  const current = state.channels.find((c) => c.id === state.channelId);
  if (current) state.channel = current;
  renderUsers();
  renderChannels();
  renderHeader();
  renderMessages();
}

async function loadChannel() {
  const { channelId, user } = state;
  if (!channelId || !user) return;
  let data;
  try {
    data = await api('GET', `${API}/channels/${enc(channelId)}/messages?user=${enc(user)}`);
  } catch (err) {
    // The channel went away or is not visible to this user: go back to the channel list's choice.
    if (
      err instanceof ApiError &&
      (err.code === 'bot.chat.channel_not_found' || err.code === 'bot.chat.forbidden')
    ) {
      setChannel('');
      refresh({ workspace: true }); // not awaited: it runs after this one, in the same queue
    }
    throw err;
  }
  if (channelId !== state.channelId || user !== state.user) return;
  state.channel = data.channel;
  state.messages = data.messages;
  state.loaded = true;
  state.channels = state.channels.map((c) => (c.id === data.channel.id ? data.channel : c));
  state.unread.delete(channelId);
  renderChannels();
  renderHeader();
  renderMessages();
}

function setUser(id) {
  state.user = id;
  storageSet(STORE.user, id);
}

function setChannel(id) {
  state.channelId = id;
  state.channel = state.channels.find((c) => c.id === id) ?? null;
  state.messages = [];
  state.loaded = false;
  state.scrollToEnd = true;
  if (id) storageSet(STORE.channel, id);
}

function selectChannel(id) {
  if (id === state.channelId) {
    el.composer.focus();
    return;
  }
  setChannel(id);
  state.unread.delete(id);
  renderChannels();
  renderHeader();
  renderMessages();
  el.composer.focus();
  return refresh({ channel: true });
}

// ---------------------------------------------------------------------------------------------
// Live updates: server-sent events, polling when they do not work

let source = null;
let sseErrors = 0;
let needsResync = false;
let pollTimer = 0;
let sseRetryTimer = 0;
/** The stream was open before it failed: it was the bot that went away, not the stream. */
let wasLive = false;
/** Try the stream again at the first poll the bot answers (it came back), not after SSE_RETRY_MS. */
let retryWhenBack = false;

function connectEvents() {
  closeEvents();
  if (!state.user) return;
  setConnection('connecting');
  // Whatever happened before the stream opens is not in it: fetch once when it does.
  needsResync = true;
  const es = new EventSource(`${API}/events?user=${enc(state.user)}`);
  source = es;
  es.onopen = () => {
    if (source !== es) return;
    sseErrors = 0;
    wasLive = true;
    stopPolling();
    setConnection('live');
    // Events sent while the stream was down are lost: fetch everything once.
    if (needsResync) refresh({ workspace: true, channel: true });
    needsResync = false;
  };
  es.onmessage = (e) => {
    if (source !== es) return;
    let event;
    try {
      event = JSON.parse(e.data);
    } catch {
      return;
    }
    onEvent(event);
  };
  es.onerror = () => {
    if (source !== es) return;
    sseErrors += 1;
    needsResync = true;
    if (sseErrors >= SSE_MAX_ERRORS || es.readyState === EventSource.CLOSED) {
      // A stream that worked and broke (a restart) is tried again as soon as the bot answers; one
      // that never opened (a proxy that buffers it) waits SSE_RETRY_MS, so it is not hammered.
      retryWhenBack = wasLive;
      wasLive = false;
      closeEvents();
      startPolling();
      sseRetryTimer = window.setTimeout(connectEvents, SSE_RETRY_MS);
    } else {
      setConnection('reconnecting');
    }
  };
}

function closeEvents() {
  if (source) source.close();
  source = null;
  window.clearTimeout(sseRetryTimer);
}

function startPolling() {
  setConnection('polling');
  if (pollTimer) return;
  pollTimer = window.setInterval(() => {
    refresh({ workspace: true, channel: true }).then(() => {
      if (!pollTimer || state.errorSource === 'background') return;
      if (retryWhenBack) {
        retryWhenBack = false;
        connectEvents();
        return;
      }
      setConnection('polling');
    });
  }, POLL_MS);
}

function stopPolling() {
  window.clearInterval(pollTimer);
  pollTimer = 0;
}

function onEvent(event) {
  if (event.type === 'channel') {
    refresh({ workspace: true, channel: event.channelId === state.channelId });
  } else if (event.type === 'message') {
    if (event.channelId === state.channelId) {
      refresh({ channel: true });
    } else if (state.channels.some((c) => c.id === event.channelId)) {
      state.unread.add(event.channelId);
      renderChannels();
    }
  }
}

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  live: '● Live',
  reconnecting: '◌ Reconnecting…',
  polling: '◌ Live updates unavailable: checking every 3 s',
  offline: '✕ Cannot reach the bot',
};

function setConnection(kind) {
  el.connection.dataset.state = kind;
  el.connection.textContent = CONNECTION_TEXT[kind] ?? kind;
}

// ---------------------------------------------------------------------------------------------
// Rendering

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'long',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
});

function userName(id) {
  return state.users.find((u) => u.id === id)?.name ?? id;
}

function renderUsers() {
  const select = el.userSelect;
  const wanted = state.users.map((u) => `${u.id}\n${u.name}`).join('\n');
  if (select.dataset.users !== wanted) {
    select.replaceChildren(
      ...state.users.map((u) => h('option', { value: u.id, text: `${u.name} · @${u.id}` })),
    );
    select.dataset.users = wanted;
  }
  select.value = state.user;
}

function channelLabel(c) {
  return c.private ? `🔒 ${c.name}` : `#${c.name}`;
}

function renderChannels() {
  const item = (c) =>
    h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: `channel${c.id === state.channelId ? ' active' : ''}${state.unread.has(c.id) ? ' unread' : ''}`,
          'data-testid': `channel-${c.name}`,
          'data-channel-id': c.id,
          'aria-current': c.id === state.channelId ? 'page' : undefined,
          title: c.topic ? `${channelLabel(c)}: ${c.topic}` : channelLabel(c),
          onclick: () => selectChannel(c.id),
        },
        h('span', {
          class: 'channel-icon',
          'aria-label': c.private ? 'private' : undefined,
          text: c.private ? '🔒' : '#',
        }),
        h('span', { class: 'channel-name', text: c.name }),
        state.unread.has(c.id) ? h('span', { class: 'unread-dot', title: 'New messages', text: '●' }) : null,
      ),
    );
  const open = state.channels.filter((c) => !c.archived);
  const archived = state.channels.filter((c) => c.archived);
  el.channelList.replaceChildren(...open.map(item));
  el.archivedList.replaceChildren(...archived.map(item));
  el.archivedHeading.hidden = archived.length === 0;
}

function renderHeader() {
  const c = state.channel;
  if (!c) {
    el.title.textContent = state.channels.length ? 'Pick a channel' : 'Loading…';
    el.topic.textContent = '';
    document.title = 'incident-bot sandbox';
    return;
  }
  el.title.replaceChildren(h('span', { text: channelLabel(c) }));
  if (c.archived) el.title.append(h('span', { class: 'badge badge-archived', text: 'archived' }));
  el.topic.textContent = c.topic || '';
  el.topic.title = c.topic || '';
  document.title = `${channelLabel(c)} · incident-bot sandbox`;
  el.archivedNote.hidden = !c.archived;
  el.composer.disabled = c.archived;
  el.send.disabled = c.archived || state.sending;
  el.composer.placeholder = c.archived
    ? 'This channel is archived.'
    : `Message ${channelLabel(c)}, or a command such as /incident help`;
}

function dayKey(iso) {
  return new Date(iso).toDateString();
}

function renderMessages() {
  const box = el.messages;
  const nearEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  const previousTop = box.scrollTop;
  const nodes = [];
  if (state.channel) nodes.push(channelIntro(state.channel));
  let lastDay = '';
  for (const m of state.messages) {
    const day = dayKey(m.createdAt);
    if (day !== lastDay) {
      nodes.push(
        h(
          'div',
          { class: 'day-divider', role: 'separator' },
          h('span', { text: dayFormat.format(new Date(m.createdAt)) }),
        ),
      );
      lastDay = day;
    }
    nodes.push(messageElement(m));
  }
  box.replaceChildren(...nodes);
  if (state.scrollToEnd || nearEnd) box.scrollTop = box.scrollHeight;
  else box.scrollTop = previousTop;
  if (state.loaded) state.scrollToEnd = false;
}

function exampleButton(command) {
  return h('button', {
    type: 'button',
    class: 'example',
    text: command,
    title: 'Put this in the message box',
    onclick: () => {
      el.composer.value = command;
      el.composer.focus();
    },
  });
}

function channelIntro(c) {
  const intro = h(
    'div',
    { class: 'channel-intro' },
    h('h2', { text: `This is the beginning of ${channelLabel(c)}` }),
    c.topic ? h('p', { class: 'muted', text: c.topic }) : null,
  );
  if (HOME_CHANNELS.has(c.name)) {
    intro.append(
      h(
        'div',
        { class: 'empty-hint', 'data-testid': 'empty-state' },
        h('p', {}, 'Try ', exampleButton('/incident declare GPU node 5 fell off the bus --severity SEV2')),
        h('p', {}, 'Every command: ', exampleButton('/incident help')),
      ),
    );
  } else if (state.messages.length === 0) {
    intro.append(h('p', { class: 'muted', text: state.loaded ? 'No messages yet.' : 'Loading…' }));
  }
  return intro;
}

function avatar(m) {
  if (m.userId === null) return h('div', { class: 'avatar avatar-bot', 'aria-hidden': 'true', text: '🤖' });
  const name = userName(m.userId);
  let hue = 0;
  for (const ch of m.userId) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  const node = h('div', { class: 'avatar', 'aria-hidden': 'true', text: name.slice(0, 1).toUpperCase() });
  node.style.backgroundColor = `hsl(${hue} 55% 35%)`;
  return node;
}

function messageElement(m) {
  const isBot = m.userId === null;
  const ephemeral = Boolean(m.visibleTo);
  const deleted = Boolean(m.deletedAt);
  const classes = ['message'];
  if (isBot) classes.push('from-bot');
  if (ephemeral) classes.push('ephemeral');
  if (m.pinned) classes.push('pinned');
  if (deleted) classes.push('deleted');
  const text = m.message?.text ?? '';
  if (ephemeral && /^❌/.test(text)) classes.push('is-error');

  const when = new Date(m.createdAt);
  const meta = h(
    'div',
    { class: 'meta' },
    h('span', { class: 'author', text: isBot ? 'incident-bot' : userName(m.userId) }),
    isBot ? h('span', { class: 'badge badge-app', text: 'APP' }) : null,
    h('time', { datetime: m.createdAt, title: fullFormat.format(when), text: timeFormat.format(when) }),
    m.editedAt && !deleted
      ? h('span', { class: 'edited', title: fullFormat.format(new Date(m.editedAt)), text: '(edited)' })
      : null,
    m.pinned ? h('span', { class: 'pin-marker', 'data-testid': 'pinned', text: '📌 Pinned' }) : null,
  );

  const body = h('div', { class: 'body' }, meta);
  if (ephemeral) body.append(h('div', { class: 'visibility', text: '👁 Only visible to you' }));
  if (deleted) {
    body.append(h('div', { class: 'deleted-note', text: '(message deleted)' }));
  } else {
    appendContent(body, m);
  }
  const reactions = reactionsElement(m);
  if (reactions) body.append(reactions);

  return h(
    'article',
    {
      class: classes.join(' '),
      'data-testid': 'message',
      'data-message-id': m.id,
      'aria-label': `${isBot ? 'incident-bot' : userName(m.userId)} at ${timeFormat.format(when)}`,
    },
    avatar(m),
    body,
    ephemeral || deleted ? null : actionsElement(m),
  );
}

function appendContent(body, m) {
  const msg = m.message ?? { text: '' };
  const rich = Boolean(msg.header || msg.sections?.length || msg.fields?.length);
  if (msg.header)
    body.append(h('div', { class: 'msg-header', role: 'heading', 'aria-level': '3', text: msg.header }));
  if (!rich && msg.text) body.append(richText('div', 'section', msg.text));
  for (const s of msg.sections ?? []) body.append(richText('div', 'section', s));
  if (m.file) body.append(fileElement(m));
  if (msg.fields?.length) {
    body.append(
      h(
        'dl',
        { class: 'fields' },
        ...msg.fields.map((f) =>
          h(
            'div',
            { class: 'field', 'data-testid': `field-${f.label}` },
            h('dt', { text: f.label }),
            richText('dd', '', f.value),
          ),
        ),
      ),
    );
  }
  if (msg.buttons?.length) {
    body.append(h('div', { class: 'buttons' }, ...msg.buttons.map((b) => chatButton(m, b))));
  }
  const note = state.clickNotes.get(`${state.user}:${m.id}`);
  if (note) body.append(richText('div', 'click-note', note));
  for (const c of msg.context ?? []) body.append(richText('div', 'context', c));
}

function chatButton(m, b) {
  const key = `${m.id}:${b.id}`;
  const busy = state.inFlight.has(key);
  const cls = `btn${b.style === 'primary' ? ' btn-primary' : ''}${b.style === 'danger' ? ' btn-danger' : ''}`;
  const button = h('button', {
    type: 'button',
    class: cls,
    'data-testid': `button-${b.label}`,
    'data-button-id': b.id,
    disabled: busy || state.channel?.archived,
    'aria-busy': busy ? 'true' : undefined,
    text: b.label,
  });
  button.addEventListener('click', () => clickButton(m, b, button));
  return button;
}

function reactionsElement(m) {
  const entries = Object.entries(m.reactions ?? {}).filter(([, users]) => users.length > 0);
  if (entries.length === 0) return null;
  return h(
    'div',
    { class: 'reactions' },
    ...entries.map(([emoji, users]) => {
      const mine = users.includes(state.user);
      return h(
        'button',
        {
          type: 'button',
          class: `reaction${mine ? ' mine' : ''}`,
          'data-testid': `reaction-${emoji}`,
          'aria-pressed': mine ? 'true' : 'false',
          title: `${users.map(userName).join(', ')} reacted with ${emoji}`,
          onclick: (e) => toggleReaction(m, emoji, e.currentTarget),
        },
        h('span', { text: emoji }),
        h('span', { class: 'count', text: String(users.length) }),
      );
    }),
  );
}

function actionsElement(m) {
  const own = m.userId !== null && m.userId === state.user;
  const reacted = (m.reactions?.[KEY_EMOJI] ?? []).includes(state.user);
  return h(
    'div',
    { class: 'actions', role: 'toolbar', 'aria-label': 'Message actions' },
    h('button', {
      type: 'button',
      class: `action${reacted ? ' on' : ''}`,
      'data-testid': 'action-react',
      'aria-pressed': reacted ? 'true' : 'false',
      title: `${reacted ? 'Remove your' : 'React with'} ${KEY_EMOJI} (marks a key event in an incident)`,
      text: KEY_EMOJI,
      onclick: (e) => toggleReaction(m, KEY_EMOJI, e.currentTarget),
    }),
    h('button', {
      type: 'button',
      class: `action${m.pinned ? ' on' : ''}`,
      'data-testid': 'action-pin',
      'aria-pressed': m.pinned ? 'true' : 'false',
      title: m.pinned ? 'Unpin this message' : 'Pin this message (marks a key event in an incident)',
      text: m.pinned ? 'Unpin' : 'Pin',
      onclick: (e) => togglePin(m, e.currentTarget),
    }),
    own
      ? h('button', {
          type: 'button',
          class: 'action',
          'data-testid': 'action-edit',
          text: 'Edit',
          onclick: (e) => editMessage(m, e.currentTarget),
        })
      : null,
    own
      ? h('button', {
          type: 'button',
          class: 'action action-danger',
          'data-testid': 'action-delete',
          text: 'Delete',
          onclick: (e) => deleteMessage(m, e.currentTarget),
        })
      : null,
  );
}

// ---------------------------------------------------------------------------------------------
// Actions

/** Runs one request with its button disabled, shows any error, then refetches what changed. */
async function perform(button, fn, what = { channel: true }) {
  if (button) {
    if (button.disabled) return;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    await fn();
    clearError();
  } catch (err) {
    showError(err);
  } finally {
    // Re-enabled only once the page shows the outcome, so a second click cannot act on stale state.
    await refresh(what);
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
}

function confirmDialog(confirm, style) {
  const d = el.confirmDialog;
  el.confirmTitle.textContent = confirm.title;
  el.confirmText.textContent = confirm.text;
  el.confirmOk.textContent = confirm.confirm;
  el.confirmDeny.textContent = confirm.deny;
  el.confirmOk.className = `btn ${style === 'danger' ? 'btn-danger' : 'btn-primary'}`;
  d.returnValue = '';
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'confirm'), { once: true });
    d.showModal();
    // The safe choice has the focus: Enter at 3 a.m. must not confirm something destructive.
    el.confirmDeny.focus();
  });
}

async function clickButton(m, b, button) {
  const key = `${m.id}:${b.id}`;
  if (state.inFlight.has(key) || button.disabled) return;
  // The bot said it would refuse this person (the requester, where someone else must approve):
  // say why here, rather than ask them to confirm a click that cannot count.
  if (b.refusedFor?.users?.includes(state.user)) {
    state.clickNotes.set(`${state.user}:${m.id}`, `❌ ${b.refusedFor.why}`);
    renderMessages();
    return;
  }
  state.clickNotes.delete(`${state.user}:${m.id}`);
  if (b.confirm && !(await confirmDialog(b.confirm, b.style))) return;
  if (state.inFlight.has(key)) return;
  state.inFlight.add(key);
  try {
    await perform(button, async () => {
      const answer = await api('POST', `${API}/click`, {
        user: state.user,
        channelId: m.channelId,
        messageId: m.id,
        buttonId: b.id,
      });
      // A refusal is shown under the message clicked, not only at the end of the channel.
      const said = answer?.reply?.message?.text ?? '';
      if (said.startsWith('❌')) state.clickNotes.set(`${state.user}:${m.id}`, said);
    });
  } finally {
    state.inFlight.delete(key);
    renderMessages();
  }
}

// The server takes the wanted state, not a toggle, so a retried request cannot undo itself.
function toggleReaction(m, emoji, button) {
  const on = !(m.reactions?.[emoji] ?? []).includes(state.user);
  return perform(button, () =>
    api('POST', `${API}/messages/${enc(m.id)}/react`, { user: state.user, emoji, on }),
  );
}

function togglePin(m, button) {
  const on = !m.pinned;
  return perform(button, () => api('POST', `${API}/messages/${enc(m.id)}/pin`, { user: state.user, on }));
}

async function editMessage(m, button) {
  const d = el.editDialog;
  el.editText.value = m.message?.text ?? '';
  d.returnValue = '';
  const save = await new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'save'), { once: true });
    d.showModal();
    el.editText.focus();
  });
  if (!save) return;
  const text = el.editText.value.trim();
  if (!text) {
    showError(
      new ApiError('A message cannot be edited to nothing.', 'Delete it instead.', 'page.empty_edit'),
    );
    return;
  }
  if (text === (m.message?.text ?? '').trim()) return;
  await perform(button, () => api('POST', `${API}/messages/${enc(m.id)}/edit`, { user: state.user, text }));
}

async function deleteMessage(m, button) {
  const ok = await confirmDialog(
    {
      title: 'Delete this message?',
      text: 'It is removed for everyone. In an incident channel the timeline keeps a note that it was deleted.',
      confirm: 'Delete',
      deny: 'Keep it',
    },
    'danger',
  );
  if (!ok) return;
  await perform(button, () => api('POST', `${API}/messages/${enc(m.id)}/delete`, { user: state.user }));
}

async function send() {
  const text = el.composer.value;
  if (state.sending || !text.trim() || !state.channelId || state.channel?.archived) return;
  const isCommand = text.trim().startsWith('/');
  state.sending = true;
  el.send.disabled = true;
  el.send.setAttribute('aria-busy', 'true');
  try {
    await api('POST', `${API}/send`, { user: state.user, channelId: state.channelId, text });
    // Only cleared once the bot has it: a failed send keeps what was typed.
    if (el.composer.value === text) el.composer.value = '';
    if (isCommand) rememberCommand(text.trim());
    clearError();
  } catch (err) {
    showError(err);
  } finally {
    state.sending = false;
    el.send.removeAttribute('aria-busy');
    el.send.disabled = Boolean(state.channel?.archived);
    state.scrollToEnd = true;
    // A command may have created a channel; the stream says so too, but polling may be in use.
    await refresh({ workspace: isCommand, channel: true });
  }
}

function rememberCommand(command) {
  state.history = [...state.history.filter((c) => c !== command), command].slice(-HISTORY_MAX);
  state.historyIndex = -1;
  storageSet(STORE.history, JSON.stringify(state.history));
}

function recall(step) {
  const n = state.history.length;
  if (n === 0) return false;
  const next = Math.min(Math.max(state.historyIndex + step, -1), n - 1);
  if (next === state.historyIndex) return step > 0;
  state.historyIndex = next;
  el.composer.value = next === -1 ? '' : state.history[n - 1 - next];
  const end = el.composer.value.length;
  el.composer.setSelectionRange(end, end);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Wiring

el.form.addEventListener('submit', (e) => {
  e.preventDefault();
  send();
});

el.composer.addEventListener('keydown', (e) => {
  if (e.isComposing) return; // an IME is composing: Enter picks a candidate
  if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
    e.preventDefault();
    send();
  } else if (e.key === 'ArrowUp' && (el.composer.value === '' || state.historyIndex >= 0)) {
    if (recall(1)) e.preventDefault();
  } else if (e.key === 'ArrowDown' && state.historyIndex >= 0) {
    if (recall(-1)) e.preventDefault();
  } else if (e.key === 'Escape' && state.historyIndex >= 0) {
    state.historyIndex = -1;
    el.composer.value = '';
  }
});

el.composer.addEventListener('input', () => {
  state.historyIndex = -1;
});

el.userSelect.addEventListener('change', () => {
  setUser(el.userSelect.value);
  state.unread.clear();
  state.messages = [];
  state.loaded = false;
  state.scrollToEnd = true;
  clearError();
  renderMessages();
  connectEvents();
  refresh({ workspace: true, channel: true });
});

el.errorClose.addEventListener('click', () => clearError(state.errorSource || 'action'));

el.messages.addEventListener('click', (e) => {
  const target = e.target instanceof Element ? e.target.closest('a.channel-ref') : null;
  if (!target) return;
  e.preventDefault();
  const id = target.getAttribute('data-channel-id');
  if (id) selectChannel(id);
});

el.tzNote.textContent = `Times shown in ${TIME_ZONE}`;

async function start() {
  await refresh({ workspace: true, channel: true });
  connectEvents();
  el.composer.focus();
}

start();
