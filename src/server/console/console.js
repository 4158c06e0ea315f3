// The operator console: reads and changes everything through the JSON API under /api/ with the
// admin token, which is kept in this tab's sessionStorage only (never a cookie, never a URL the
// server sees). Pages are chosen by the URL fragment: #page=overview|messages|message&id=N|config.
'use strict';

const TOKEN_KEY = 'infinity-sms.adminToken';
const REFRESH_MS = 3000;            // the Messages page: a page of the outbox costs under a millisecond
const OVERVIEW_REFRESH_MS = 10000;  // the overview: per-minute figures, and each refresh redraws the chart
let overviewAt = 0;
const $ = (selector, root = document) => root.querySelector(selector);

// ---- the API ----

async function api(path, options = {}, token = sessionStorage.getItem(TOKEN_KEY)) {
  let response;
  try {
    response = await fetch(path, {
      ...options,
      headers: { Authorization: 'Bearer ' + token, ...(options.body ? { 'Content-Type': 'application/json' } : {}) },
    });
  } catch {
    return { status: 0, body: { error: { message: 'the connector cannot be reached (is serve running?)' } } };
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 && token === sessionStorage.getItem(TOKEN_KEY)) signOut('The token is no longer accepted: sign in again.');
  return { status: response.status, body };
}

const errorText = body => (body.error && body.error.message) || 'unexpected answer from the server';
const revealing = () => $('#reveal').checked;

// ---- small DOM helpers ----

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children.filter(c => c !== null && c !== undefined));
  return node;
}

const time = iso => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');

function age(iso) {
  if (!iso) return 'none';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 120) return seconds + ' s ago';
  if (seconds < 7200) return Math.round(seconds / 60) + ' min ago';
  return Math.round(seconds / 3600) + ' h ago';
}

const badge = state => el('span', { class: 'badge state-' + state }, state);

function definitions(target, pairs) {
  target.replaceChildren(...pairs.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

function showResult(section, text, isError = false) {
  const result = $('.result', section);
  result.textContent = text;
  result.classList.toggle('error', isError);
}

// ---- sign-in ----

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  $('#signin-error').textContent = message;
  route();
}

async function signIn(event) {
  event.preventDefault();
  const token = $('#token').value.trim();
  const { status, body } = await api('/api/status', {}, token);
  if (status === 401) {
    $('#signin-error').textContent = 'Wrong token: the server did not accept it.';
    return;
  }
  if (status !== 200) {
    $('#signin-error').textContent = 'Cannot sign in: ' + errorText(body);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('#token').value = '';
  $('#signin-error').textContent = '';
  location.hash = 'page=overview';
  route();
}

// #token=... (from the CLI or a test) is taken once and removed from the address bar.
function takeTokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has('token')) return;
  sessionStorage.setItem(TOKEN_KEY, params.get('token'));
  params.delete('token');
  history.replaceState(null, '', location.pathname + (params.toString() ? '#' + params : ''));
}

// ---- overview ----

function drawChart(minutes) {
  const width = 720, height = 180, left = 36, bottom = 22, top = 10;
  const series = [['inbound', m => m.inbound], ['outbound', m => m.outbound], ['dead', m => m.dead.inbound + m.dead.outbound]];
  const max = Math.max(1, ...minutes.flatMap(m => series.map(([, value]) => value(m))));
  const x = i => left + (i * (width - left - 4)) / Math.max(1, minutes.length - 1);
  const y = v => top + (height - top - bottom) * (1 - v / max);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const add = (tag, attributes, text) => {
    const node = document.createElementNS(svg.namespaceURI, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
  };
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  add('line', { x1: left, y1: y(0), x2: width - 4, y2: y(0), class: 'axis' });
  add('line', { x1: left, y1: y(max), x2: width - 4, y2: y(max), class: 'grid-line' });
  add('text', { x: left - 6, y: y(max) + 4, class: 'label end' }, max);
  add('text', { x: left - 6, y: y(0) + 4, class: 'label end' }, 0);
  add('text', { x: left, y: height - 4, class: 'label' }, '60 min ago');
  add('text', { x: width - 4, y: height - 4, class: 'label end' }, 'now');
  for (const [name, value] of series) {
    const points = minutes.map((m, i) => `${x(i).toFixed(1)},${y(value(m)).toFixed(1)}`).join(' ');
    add('polyline', { points, class: 'line ' + name });
  }
  const totals = series.map(([name, value]) =>
    el('span', { class: 'legend ' + name }, `${name}: ${minutes.reduce((sum, m) => sum + value(m), 0)}`));
  $('#chart').replaceChildren(svg, el('p', { class: 'legend-row' }, ...totals));
}

async function showOverview() {
  const [status, throughput] = await Promise.all([api('/api/status'), api('/api/throughput')]);
  const s = status.body;
  if (status.status !== 200) {
    $('#readiness').className = 'banner bad';
    $('#readiness').textContent = 'Status unavailable: ' + errorText(s);
    return;
  }
  const ready = s.status === 'ready';
  $('#readiness').className = 'banner ' + (ready ? 'ok' : 'bad');
  $('#readiness').replaceChildren(el('strong', {}, ready ? 'Ready' : 'Not ready'),
    ready ? ` · version ${s.version} · store ${s.store.backend}` : ': ' + (s.reasons || []).join('; '));
  $('#warnings').replaceChildren(...(s.warnings || []).map(w => el('li', {}, w)));
  const queue = s.queue || {};
  $('#queue').replaceChildren(...Object.keys(queue).map(state =>
    el('tr', {}, el('td', {}, badge(state)), el('td', { class: 'number' }, String(queue[state])))));
  definitions($('#deliveries'), [
    ['Last inbound', `${time(s.lastDelivery.inbound)} (${age(s.lastDelivery.inbound)})`],
    ['Last outbound', `${time(s.lastDelivery.outbound)} (${age(s.lastDelivery.outbound)})`],
    ['Oldest queued', s.oldestQueued ? `${time(s.oldestQueued)} (${age(s.oldestQueued)})` : 'none'],
    ['Infinity token expires', time(s.tokenExpires)],
    ['Spooled webhooks', String(s.store.spooled)],
  ]);
  $('#dead-count').textContent = String(s.deadLetters);
  $('#dead-count').classList.toggle('alarm', s.deadLetters > 0);
  definitions($('#upstreams'), Object.entries(s.upstreams || {}).map(([name, u]) =>
    [name, u.state === 'healthy' ? badge('healthy') : el('span', {}, badge('failing'), ` since ${time(u.failingSince)}: ${u.lastError}`)]));
  if (throughput.status === 200) drawChart(throughput.body.minutes);
}

// ---- messages ----

let pageStack = [];  // the `before` of each page shown before this one (paging back)
let before = null, next = null;
let filters = [];  // the filters applied (submitted), as [name, value]

function messageQuery() {
  const params = new URLSearchParams(filters);
  if (before !== null) params.set('before', before);
  if (revealing()) params.set('reveal', 'true');
  return params;
}

function messageRow(m) {
  const retry = ['dead', 'failed', 'expired'].includes(m.state)
    ? el('button', { type: 'button', class: 'small', onclick: () => retryMessage(m.id, $('#messages')) }, 'Retry')
    : null;
  const error = [m.providerCode, m.lastError].filter(Boolean).join(' · ');
  return el('tr', { 'data-id': m.id },
    el('td', {}, el('a', { href: `#page=message&id=${m.id}` }, String(m.id))),
    el('td', {}, m.direction), el('td', {}, badge(m.state)), el('td', { class: 'mono' }, m.conversation),
    el('td', {}, m.tenant), el('td', { class: 'mono' }, m.sourceId), el('td', { class: 'number' }, String(m.attempts)),
    el('td', { class: 'time' }, time(m.updatedAt)), el('td', { class: 'error-text' }, error), el('td', {}, retry));
}

async function showMessages() {
  const { status, body } = await api('/api/messages?' + messageQuery());
  $('#filters-error').textContent = status === 200 ? '' : errorText(body);
  if (status !== 200) return;
  next = body.next;
  const rows = body.messages.map(messageRow);
  if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: 10, class: 'empty' }, 'No messages.')));
  $('#message-table tbody').replaceChildren(...rows);
  $('#older').disabled = next === null;
  $('#newer').disabled = pageStack.length === 0;
}

function filter(event) {
  event.preventDefault();
  filters = [...new FormData($('#filters'))].map(([name, value]) => [name, value.trim()]).filter(([, value]) => value);
  pageStack = [];
  before = null;
  showMessages();
}

async function retryMessage(id, section) {
  const { status, body } = await api(`/api/messages/${id}/retry`, { method: 'POST' });
  showResult(section, status === 200 ? `Message ${id} queued again.` : errorText(body), status !== 200);
  refresh();
}

async function retryDead(section) {
  const { status, body } = await api('/api/messages/retry-dead', { method: 'POST' });
  showResult(section, status === 200 ? `${body.retried} dead letter(s) queued again.` : errorText(body), status !== 200);
  refresh();
}

// ---- one message ----

async function showMessage(id) {
  const reveal = revealing() ? '?reveal=true' : '';
  const { status, body: m } = await api(`/api/messages/${encodeURIComponent(id)}${reveal}`);
  $('#message-title').textContent = status === 200 ? `Message ${m.id}` : errorText(m);
  $('#retry-one').hidden = status !== 200 || !['dead', 'failed', 'expired'].includes(m.state);
  if (status !== 200) return;
  definitions($('#message-fields'), [
    ['State', badge(m.state)], ['Direction', m.direction], ['Conversation', m.conversation], ['Tenant', m.tenant],
    ['Source id', m.sourceId], ['Provider id', m.providerId || '—'], ['Provider code', m.providerCode || '—'],
    ['Last error', m.lastError || '—'], ['Attempts', String(m.attempts)], ['Created', time(m.createdAt)],
    ['Updated', time(m.updatedAt)], ['Next attempt', time(m.nextAttemptAt)],
  ]);
  $('#attempts tbody').replaceChildren(...m.attemptHistory.map(a =>
    el('tr', {}, el('td', {}, time(a.at)), el('td', {}, badge(a.outcome.replace(/:.*/, ''))), el('td', {}, a.detail || ''))));
}

// ---- configuration ----

let shownConfig = {};  // dotted key → value as GET /api/configs answered it

function flatten(object, prefix = '', out = {}) {
  for (const [key, value] of Object.entries(object)) {
    const dotted = prefix + key;
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) flatten(value, dotted + '.', out);
    else out[dotted] = value;
  }
  return out;
}

// A key's field: its name and where its value comes from, the value, and the API's message.
function configInput(key, value, source) {
  const id = 'cfg-' + key;
  let input;
  if (typeof value === 'boolean') input = el('input', { type: 'checkbox', id, name: key });
  else if (Array.isArray(value) || (value && typeof value === 'object'))
    input = el('input', { id, name: key, 'data-json': '', value: JSON.stringify(value) });
  else input = el('input', { id, name: key, value: value === null ? '' : String(value), autocomplete: 'off' });
  if (typeof value === 'boolean') input.checked = value;
  if (source && source !== 'file' && source !== 'default')
    input.title = `Set by ${source}: a value saved here is kept in the file but ${source} still wins.`;
  const label = el('label', { for: id }, key, el('span', { class: 'field-source', id: id + '-source' }, source || ''));
  return el('div', { class: 'field' }, label, input, el('span', { class: 'field-error', id: id + '-error' }));
}

async function showConfig() {
  const { status, body } = await api('/api/configs');
  $('#config-error').textContent = status === 200 ? '' : errorText(body);
  if (status !== 200) return;
  shownConfig = flatten(body.config);
  const sections = {};
  const sources = body.sources || {};
  for (const [key, value] of Object.entries(shownConfig))
    (sections[key.split('.')[0]] ||= []).push(configInput(key, value, sources[key]));
  $('#config-fields').replaceChildren(...Object.entries(sections).map(([name, fields]) =>
    el('fieldset', { class: 'card' }, el('legend', {}, name), ...fields)));
}

// The value typed into a field, as the type the configuration has there.
function typedValue(input, was) {
  if (input.type === 'checkbox') return input.checked;
  if (input.hasAttribute('data-json')) {
    try { return JSON.parse(input.value); } catch { return input.value; }
  }
  if (typeof was === 'number' && input.value.trim() !== '' && !isNaN(Number(input.value))) return Number(input.value);
  return input.value;
}

function setDotted(object, dotted, value) {
  const keys = dotted.split('.');
  let at = object;
  for (const key of keys.slice(0, -1)) at = at[key] ||= {};
  at[keys.at(-1)] = value;
}

// Each problem of a 400 beside the field it names (the longest key it mentions), the rest on top.
function showProblems(problems) {
  const keys = Object.keys(shownConfig).sort((a, b) => b.length - a.length);
  const general = [];
  for (const problem of problems) {
    const key = keys.find(k => problem.includes(k));
    const target = key && document.getElementById('cfg-' + key + '-error');
    if (target) target.textContent = problem;
    else general.push(problem);
  }
  $('#config-error').textContent = general.join(' ');
}

async function saveConfig(event) {
  event.preventDefault();
  for (const e of document.querySelectorAll('.field-error')) e.textContent = '';
  $('#config-error').textContent = '';
  const patch = {};
  for (const input of document.querySelectorAll('#config-fields input')) {
    const was = shownConfig[input.name], value = typedValue(input, was);
    if (JSON.stringify(value) !== JSON.stringify(was ?? '')) setDotted(patch, input.name, value);
  }
  if (!Object.keys(patch).length) return showResult($('#config'), 'Nothing changed.');
  const { status, body } = await api('/api/configs', { method: 'POST', body: JSON.stringify(patch) });
  if (status !== 200) {
    showResult($('#config'), 'Not saved.', true);
    return showProblems(body.error && body.error.details ? body.error.details : [errorText(body)]);
  }
  await showConfig();
  showResult($('#config'), ['Saved.', ...(body.warnings || [])].join(' '));
}

// ---- pages ----

function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  const signedIn = sessionStorage.getItem(TOKEN_KEY) !== null;
  const page = signedIn ? params.get('page') || 'overview' : 'signin';
  for (const section of document.querySelectorAll('main > section')) section.hidden = section.id !== page;
  $('#nav').hidden = !signedIn;
  for (const link of document.querySelectorAll('#nav a')) link.classList.toggle('current', link.dataset.page === page);
  if (page === 'signin') $('#token').focus();
  refresh(true);
}

// Reloads what the current page shows; `entering` also reloads a page that does not refresh by itself.
function refresh(entering = false) {
  const page = document.querySelector('main > section:not([hidden])');
  if (!page || !sessionStorage.getItem(TOKEN_KEY)) return;
  if (page.id === 'overview' && (entering || Date.now() - overviewAt >= OVERVIEW_REFRESH_MS)) {
    overviewAt = Date.now();
    showOverview();
  }
  if (page.id === 'messages' && (entering || before === null)) showMessages();
  if (page.id === 'message') showMessage(new URLSearchParams(location.hash.slice(1)).get('id'));
  if (page.id === 'config' && entering) showConfig();
}

document.addEventListener('DOMContentLoaded', () => {
  takeTokenFromFragment();
  $('#signin-form').addEventListener('submit', signIn);
  $('#sign-out').addEventListener('click', () => signOut());
  $('#reveal').addEventListener('change', () => refresh(true));
  $('#filters').addEventListener('submit', filter);
  $('#retry-dead').addEventListener('click', () => retryDead($('#messages')));
  $('#retry-dead-overview').addEventListener('click', () => retryDead($('#overview')));
  $('#retry-one').addEventListener('click', () =>
    retryMessage(new URLSearchParams(location.hash.slice(1)).get('id'), $('#message')));
  $('#older').addEventListener('click', () => { pageStack.push(before); before = next; showMessages(); });
  $('#newer').addEventListener('click', () => { before = pageStack.pop() ?? null; showMessages(); });
  $('#config-form').addEventListener('submit', saveConfig);
  window.addEventListener('hashchange', route);
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
  route();
});
