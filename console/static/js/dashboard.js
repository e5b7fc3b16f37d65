import {
  call, download, el, formatTime, report, requireToken, say, showPage, t, villages,
} from "./api.js";

const SVG = "http://www.w3.org/2000/svg";
const SERIES = ["on_track", "at_risk", "breached"];
const COLUMNS = [...SERIES, "completed_within", "completed_after"];
const BAR_HEIGHT = 22;
const LABEL_WIDTH = 120;
const CHART_WIDTH = 640;
const groupBy = document.getElementById("group-by");
const counted = document.getElementById("count");

async function load() {
  if (!(await loadSummary())) return;
  await Promise.all([loadSatisfaction(), loadAttention(), loadEscalations()]);
}

/** Draw the table and chart for the chosen grouping; return whether it worked. */
async function loadSummary() {
  const group = groupBy.value;
  try {
    const [summary, names] = await Promise.all([
      call(`/sla/summary?${summaryQuery()}`), namesOf(group)]);
    const title = t(`dashboard_chart_${counted.value}_${group}`);
    document.getElementById("summary-title").textContent = t(`dashboard_by_${group}`);
    document.getElementById("summary-key").textContent = t(`dashboard_${group}`);
    document.getElementById("chart-title").textContent = title;
    showTable(summary.items, names);
    showChart(summary.items, title, names);
    return true;
  } catch (problem) {
    report(problem);
    return false;
  }
}

function summaryQuery() {
  return new URLSearchParams({ group_by: groupBy.value, count: counted.value }).toString();
}

/** Return the names of a grouping's keys: villages are known by code alone. */
async function namesOf(group) {
  if (group !== "village") return new Map();
  return new Map((await villages()).map((village) => [village.code, village.name]));
}

/** Call ``path`` for a part some roles may not see: null when refused, quietly. */
async function optional(path) {
  try {
    return await call(path);
  } catch (problem) {
    if (problem.status !== 403) report(problem);
    return null;
  }
}

// Only supervisors see the index and the escalations; a regent or agency head
// sees the queue. Other roles see the SLA summary alone.
async function loadSatisfaction() {
  const groups = ["service", "agency"];
  const answers = await Promise.all(
    groups.map((group) => optional(`/satisfaction?group_by=${group}`)));
  document.getElementById("ikm-section").hidden = !answers.some(Boolean);
  groups.forEach((group, index) => {
    if (answers[index]) showSatisfaction(group, answers[index].items);
  });
}

async function loadAttention() {
  const tasks = await optional("/tasks?sort=deadline&per_page=100");
  if (!tasks) return;
  for (const status of ["at_risk", "breached"]) {
    showAttention(status, tasks.items.filter((task) => task.sla_status === status));
  }
}

async function loadEscalations() {
  const escalations = await optional("/escalations?per_page=100");
  document.getElementById("escalations-section").hidden = !escalations;
  if (escalations) showEscalations(escalations);
}

function showTable(items, names) {
  const body = document.getElementById("summary");
  if (!items.length) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 6 }, t("dashboard_none"))));
    return;
  }
  body.replaceChildren(...items.map((row) => summaryRow(row, names)));
}

function summaryRow(row, names) {
  const named = names.get(row.key);
  const line = el("tr", {},
    el("th", { scope: "row" }, named ? `${named} (${row.key})` : row.key || "—"),
    ...COLUMNS.map((name) => el("td", { className: `num sla-${name}` }, String(row[name]))));
  line.dataset.key = row.key || "";
  return line;
}

/** Fill the index table of ``group`` (service or agency), a row per key. */
function showSatisfaction(group, items) {
  const body = document.getElementById(`ikm-${group}`);
  if (!items.length) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 4 }, t("dashboard_none"))));
    return;
  }
  body.replaceChildren(...items.map(satisfactionRow));
}

function satisfactionRow(row) {
  const line = el("tr", {},
    el("th", { scope: "row" }, row.key),
    el("td", { className: "num ikm-respondents" }, String(row.respondents)),
    el("td", { className: "num ikm-index" }, row.index.toFixed(2)),
    el("td", { className: "ikm-grade" }, row.grade));
  line.dataset.key = row.key;
  return line;
}

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function showChart(items, title, names) {
  const largest = Math.max(1, ...items.map((row) => SERIES.reduce((sum, s) => sum + row[s], 0)));
  const scale = (CHART_WIDTH - LABEL_WIDTH - 40) / largest;
  const height = Math.max(1, items.length) * (BAR_HEIGHT + 6) + 10;
  const chart = svg("svg", {
    viewBox: `0 0 ${CHART_WIDTH} ${height}`,
    role: "img",
    "aria-label": title,
  });
  items.forEach((row, index) =>
    chart.append(chartRow(row, 5 + index * (BAR_HEIGHT + 6), scale, names.get(row.key))));
  const legend = el("p", { className: "legend" }, ...SERIES.map(
    (series) => el("span", { className: `key sla-${series}` }, t(`sla_${series}`))));
  const holder = document.getElementById("chart");
  holder.replaceChildren(chart, legend);
  // Each drawing is counted, so a reader can tell a redrawn chart from the old one.
  holder.dataset.drawn = String(Number(holder.dataset.drawn || 0) + 1);
}

/** One group's bar (agency, service or village); counts are data attributes for tools. */
function chartRow(row, y, scale, name) {
  const group = svg("g", { class: "chart-row", "data-key": row.key || "" });
  group.append(svg("text", { x: 0, y: y + BAR_HEIGHT * 0.7, class: "label" },
    name || row.key || "—"));
  let x = LABEL_WIDTH;
  for (const series of SERIES) {
    const width = row[series] * scale;
    const bar = svg("rect", {
      x, y, width, height: BAR_HEIGHT, class: `bar sla-${series}`,
      "data-series": series, "data-count": row[series],
    });
    bar.append(svg("title", {}, `${t(`sla_${series}`)}: ${row[series]}`));
    group.append(bar);
    x += width;
  }
  group.append(svg("text", { x: x + 4, y: y + BAR_HEIGHT * 0.7, class: "label" },
    String(SERIES.reduce((sum, s) => sum + row[s], 0))));
  return group;
}

/** List the tasks of one SLA status (at_risk or breached) in its own list. */
function showAttention(status, tasks) {
  const list = document.getElementById(status.replace("_", "-"));
  if (!tasks.length) {
    list.replaceChildren(el("li", {}, t("dashboard_none")));
    return;
  }
  list.replaceChildren(...tasks.map((task) => el("li", { className: `sla-${task.sla_status}` },
    el("span", { className: "badge" }, t(`sla_${task.sla_status}`)),
    ` ${task.agency || "—"} · ${task.name} · ${task.tracking_number || "—"} · `,
    formatTime(task.deadline))));
}

function showEscalations(page) {
  showPage(document.getElementById("escalations"),
    document.getElementById("escalations-shown"), page, escalationRow, 7);
}

function escalationRow(escalation) {
  const row = el("tr", { className: `sla-${escalation.level}` });
  row.dataset.escalationId = escalation.id;
  const button = el("button", { type: "button", className: "secondary" },
    t("escalation_acknowledge"));
  button.addEventListener("click", () => acknowledge(escalation, button));
  row.append(
    el("td", {}, el("span", { className: "badge" }, t(`sla_${escalation.level}`))),
    el("td", {}, escalation.tracking_number || "—"),
    // Without a task, the escalation is about the application's own deadline.
    el("td", {}, t(`escalation_subject_${escalation.task_id ? "task" : "application"}`)),
    el("td", {}, escalation.agency || "—"),
    el("td", {}, t(`escalation_role_${escalation.role}`)),
    el("td", {}, formatTime(escalation.created_at)),
    el("td", {}, button),
  );
  return row;
}

async function acknowledge(escalation, button) {
  button.disabled = true;
  try {
    await call(`/escalations/${escalation.id}/acknowledge`, { method: "POST" });
    say(t("escalation_acknowledged"));
  } catch (problem) {
    // Acknowledged by someone else meanwhile (409) or gone: the list is redrawn.
    report(problem);
  }
  await loadEscalations();
}

function exportSummary() {
  const name = counted.value === "tasks" ? groupBy.value : `${counted.value}-${groupBy.value}`;
  download(`/sla/summary.csv?${summaryQuery()}`, `sla-summary-${name}.csv`)
    .catch((problem) => report(problem));
}

document.getElementById("refresh").addEventListener("click", () => {
  if (requireToken()) load();
});
for (const choice of [groupBy, counted]) {
  choice.addEventListener("change", () => {
    if (requireToken()) loadSummary();
  });
}
document.getElementById("export-csv").addEventListener("click", () => {
  if (requireToken()) exportSummary();
});
if (requireToken()) load();
