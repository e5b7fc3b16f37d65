import { call, el, formatTime, me, report, requireToken, say, t } from "./api.js";

const rows = document.getElementById("tasks");
const empty = document.getElementById("no-tasks");
const form = document.getElementById("complete-form");
const fields = document.getElementById("fields");
const formFields = document.getElementById("form-fields");
const freeFields = document.getElementById("free-fields");
const errors = document.getElementById("complete-errors");
const timeline = document.getElementById("timeline");
let selected = null;
// The selected task's form from its diagram: {name, field, input, line} per field.
let formRows = null;

async function loadTasks() {
  try {
    const [page, user] = await Promise.all([call("/tasks?sort=deadline&per_page=100"), me()]);
    rows.replaceChildren(...page.items.map((task) => taskRow(task, user.name)));
    empty.hidden = page.items.length > 0;
  } catch (problem) {
    report(problem);
  }
}

function taskRow(task, myName) {
  const row = el("tr", { className: `sla-${task.sla_status}` });
  row.dataset.taskId = task.id;
  const title = el("button", { type: "button", className: "link" }, task.name);
  title.addEventListener("click", () => select(task));
  const badge = el("span", { className: "badge" }, t(`sla_${task.sla_status}`));
  const action = taskAction(task, myName);
  row.append(
    el("td", {}, title, " ", badge),
    el("td", {}, task.tracking_number || "—"),
    el("td", {}, formatTime(task.deadline)),
    el("td", {}, task.claimed_by || "—"),
    el("td", {}, action),
  );
  return row;
}

function taskAction(task, myName) {
  if (!task.claimed_by) return button(t("inbox_claim"), () => act(task, "claim"), "claim");
  // Only the one who claimed a task may release it; the server refuses others.
  if (task.claimed_by === myName) {
    return button(t("inbox_release"), () => act(task, "release"), "release");
  }
  return null;
}

function button(label, onClick, name) {
  const node = el("button", { type: "button", className: "secondary" }, label);
  node.dataset.action = name;
  node.addEventListener("click", onClick);
  return node;
}

async function act(task, action) {
  try {
    await call(`/tasks/${encodeURIComponent(task.id)}/${action}`, { method: "POST" });
    await loadTasks();
  } catch (problem) {
    report(problem);
  }
}

async function select(task) {
  selected = task;
  document.getElementById("task-title").textContent =
    `${task.name} · ${task.tracking_number || ""}`;
  errors.replaceChildren();
  try {
    const answer = await call(`/tasks/${encodeURIComponent(task.id)}/form`);
    if (selected !== task) return; // another task was chosen meanwhile
    showForm(answer);
  } catch (problem) {
    report(problem);
    return;
  }
  form.hidden = false;
  await showTimeline(task.application_id);
}

/** Draw the diagram's form when the task has one, else the free fields. */
function showForm({ form: schema, order }) {
  formRows = schema ? order.map((name) => formRow(name, schema)) : null;
  formFields.replaceChildren(...(formRows || []).map((row) => row.line));
  formFields.hidden = !schema;
  freeFields.hidden = Boolean(schema);
  fields.replaceChildren(fieldRow());
  document.getElementById("fields-title").textContent =
    (schema && schema.title) || t("inbox_fields");
}

function formRow(name, schema) {
  const field = schema.properties[name];
  const required = (schema.required || []).includes(name);
  const input = formInput(field, required);
  input.id = `form-${name}`;
  input.name = name;
  const mark = required
    ? el("abbr", { className: "required", title: t("inbox_required") }, " *")
    : null;
  const line = el("div", { className: "stack" },
    el("label", { htmlFor: input.id }, field.title || name, mark),
    input,
    field.description ? el("small", { className: "small" }, field.description) : null);
  return { name, field, input, line };
}

function formInput(field, required) {
  if (field.enum || field.type === "boolean") {
    // A choice is sent by its position, so numbers and booleans keep their type.
    return el("select", { required },
      el("option", { value: "" }, t("inbox_choose")),
      ...choicesOf(field).map((choice, index) => el("option", { value: String(index) },
        choiceLabel(choice))));
  }
  if (field.type === "number" || field.type === "integer") {
    return el("input", { type: "number", step: field.type === "integer" ? "1" : "any", required });
  }
  return el("input", { type: "text", required });
}

const choicesOf = (field) => field.enum || [true, false];

function choiceLabel(choice) {
  if (choice === true) return t("inbox_yes");
  if (choice === false) return t("inbox_no");
  return String(choice);
}

/** The form's answers, typed as its schema says; fields left empty are left out. */
function schemaData() {
  const data = {};
  for (const { name, field, input } of formRows) {
    if (input.value === "") continue;
    if (input.tagName === "SELECT") {
      data[name] = choicesOf(field)[Number(input.value)];
    } else if (input.type === "number") {
      data[name] = input.valueAsNumber;
    } else {
      data[name] = input.value.trim();
    }
  }
  return data;
}

async function showTimeline(applicationId) {
  timeline.replaceChildren();
  if (!applicationId) return;
  try {
    const application = await call(`/applications/${applicationId}`);
    document.getElementById("timeline-hint").textContent =
      `${application.tracking_number} · ${t(`status_${application.status}`)}`;
    timeline.replaceChildren(...(application.timeline || []).map((step) => el("li",
      { className: step.deadline_met === false ? "late" : "" },
      el("strong", {}, step.task), ` — ${step.agency || ""} · ${t(`task_${step.state}`)}`,
      el("br"), el("small", {}, `${formatTime(step.started)} → ${formatTime(step.finished)}` +
        (step.by ? ` · ${step.by}` : "")))));
  } catch (problem) {
    report(problem);
  }
}

function fieldRow() {
  const name = el("input", { name: "field", placeholder: t("inbox_field_name_hint") });
  const value = el("input", { name: "value", placeholder: t("inbox_field_value_hint") });
  return el("tr", {}, el("td", {}, name), el("td", {}, value));
}

// Officers type plain words: true/false and numbers become JSON values.
function parseValue(text) {
  if (text === "true" || text === "false") return text === "true";
  if (text !== "" && !Number.isNaN(Number(text))) return Number(text);
  return text;
}

function formData() {
  const data = {};
  for (const row of fields.rows) {
    const [name, value] = row.querySelectorAll("input");
    if (name.value.trim()) data[name.value.trim()] = parseValue(value.value.trim());
  }
  return data;
}

async function complete(event) {
  event.preventDefault();
  if (!selected) return;
  errors.replaceChildren();
  try {
    await call(`/tasks/${encodeURIComponent(selected.id)}/complete`,
      { method: "POST", json: { data: formRows ? schemaData() : formData() } });
    say(t("inbox_done"));
    form.hidden = true;
    await Promise.all([loadTasks(), showTimeline(selected.application_id)]);
  } catch (problem) {
    report(problem, errors);
  }
}

document.getElementById("add-field").addEventListener("click", () => fields.append(fieldRow()));
document.getElementById("refresh").addEventListener("click", loadTasks);
form.addEventListener("submit", complete);

if (requireToken()) loadTasks();
