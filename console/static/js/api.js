// Calls to the JSON API with the staff member's bearer token, and the page's words.

const TOKEN_KEY = "terpadu.token";
const body = document.body;

export const strings = JSON.parse(document.getElementById("strings").textContent);
export const t = (key) => strings[key] ?? key;

export const getToken = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (value) => sessionStorage.setItem(TOKEN_KEY, value);
export const clearToken = () => sessionStorage.removeItem(TOKEN_KEY);

/** An error answer of the API: {code, message, errors}. */
export class ApiProblem extends Error {
  constructor(status, message, errors) {
    super(message);
    this.status = status;
    this.errors = errors || [];
  }
}

/** Call the API (path under /api/v1, or an absolute console path); return JSON or text. */
export async function call(path, { method = "GET", json, data, headers = {}, text = false } = {}) {
  const url = path.startsWith("/console") ? path : body.dataset.api + path;
  const accept = text ? "text/html, application/xml" : "application/json";
  const sent = signed({ ...headers, Accept: accept });
  let payload = data;
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    payload = JSON.stringify(json);
  }

  const response = await fetch(url, { method, headers: sent, body: payload });
  if (!response.ok) throw await problemOf(response);
  if (text) return response.text();
  return response.status === 204 ? null : response.json();
}

/** Fetch a file from the API (path under /api/v1) and save it as ``fileName``. */
export async function download(path, fileName) {
  const response = await fetch(body.dataset.api + path, { headers: signed({}) });
  if (!response.ok) throw await problemOf(response);
  const address = URL.createObjectURL(await response.blob());
  const link = el("a", { href: address, download: fileName, hidden: true });
  body.append(link);
  link.click();
  link.remove();
  // The browser reads the blob after the click returns; free it a while later.
  setTimeout(() => URL.revokeObjectURL(address), 60_000);
}

function signed(headers) {
  const token = getToken();
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

async function problemOf(response) {
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    // Not the API's error shape (a proxy page, say): keep the status alone.
  }
  const fallback = {
    401: t("error_unauthorized"),
    403: t("error_forbidden"),
  }[response.status] || `${t("error_generic")} (${response.status})`;
  return new ApiProblem(response.status, answer.message || fallback, answer.errors);
}

/** Read every page of a paged list (path under /api/v1); return all its items. */
async function readAll(path) {
  const items = [];
  for (let page = 1; ; page += 1) {
    const answer = await call(`${path}?per_page=100&page=${page}`);
    items.push(...answer.items);
    if (items.length >= answer.total || !answer.items.length) return items;
  }
}

// Both change only with a new token or a catalogue reload, so a page reads them once.
let signedInUser = null;
let villageList = null;

/** The signed-in staff member: {name, role, agency_code, village_code}. */
export function me() {
  signedInUser ??= call("/me").catch((problem) => {
    signedInUser = null;
    throw problem;
  });
  return signedInUser;
}

/** The regency's villages (desa and kelurahan) by code, each with its kecamatan. */
export function villages() {
  villageList ??= readAll("/villages").catch((problem) => {
    villageList = null;
    throw problem;
  });
  return villageList;
}

/** Show a sentence in the page's status line. */
export function say(message, kind = "info") {
  const line = document.getElementById("message");
  if (!line) return;
  line.textContent = message;
  line.dataset.kind = kind;
}

/** Show an API problem: its sentence, and each located error in ``list``. */
export function report(problem, list) {
  say(problem.message, "error");
  if (problem.status === 401) showSignedOut();
  if (!list) return;
  list.replaceChildren(...(problem.errors || []).map((error) => {
    const item = document.createElement("li");
    const where = error.field || [error.file, error.element_id, lineOf(error)]
      .filter(Boolean).join(" · ");
    item.textContent = where ? `${where}: ${error.message}` : error.message;
    return item;
  }));
}

/** "line 12" in the page's language, for a problem that names a line. */
export const lineOf = (problem) => (problem.line ? `${t("error_line")} ${problem.line}` : null);

function showSignedOut() {
  const notice = document.getElementById("signed-out");
  if (notice) notice.hidden = false;
}

/** Return whether a token is present; show the sign-in notice if not. */
export function requireToken() {
  if (getToken()) return true;
  showSignedOut();
  return false;
}

/** Build an element: el("td", {className: "x"}, "text", child). */
export function el(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, properties);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

/**
 * Fill a table body with a page's rows (rowOf of each item), or one "none" row;
 * the shown element says how many of the total are listed when not all are.
 */
export function showPage(body, shown, page, rowOf, columns) {
  shown.hidden = page.total <= page.items.length;
  shown.textContent = t("page_shown")
    .replace("{shown}", page.items.length).replace("{total}", page.total);
  if (!page.items.length) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: columns }, t("dashboard_none"))));
    return;
  }
  body.replaceChildren(...page.items.map(rowOf));
}

const dateFormat = new Intl.DateTimeFormat(document.documentElement.lang === "en" ? "en-GB" : "id-ID", {
  dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Jakarta",
});

export const formatTime = (iso) => (iso ? dateFormat.format(new Date(iso)) : "—");
