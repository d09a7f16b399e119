// The rnn-zoo web page: a model picker fed by /models, one panel per kind of model,
// every API error shown on the page. No framework, nothing loaded from the internet.
"use strict";

const $ = (id) => document.getElementById(id);
let cards = {};

async function call(route, body) {
  const response = await fetch(route, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let answer;
  try { answer = JSON.parse(text); } catch (e) { answer = text; }
  if (!response.ok) throw new Error(`${response.status}: ${describe(answer)}`);
  return answer;
}

function describe(answer) {  // BentoML's 400 body, or any other error body, as one line
  if (answer && Array.isArray(answer.detail)) {
    return answer.detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
  }
  if (answer && typeof answer === "object") return answer.error || answer.detail || JSON.stringify(answer);
  if (Array.isArray(answer)) return answer.map(describe).join("; ");
  return String(answer);
}

function showError(error) {
  $("error").textContent = error ? String(error.message || error) : "";
  $("error").hidden = !error;
}

function headline(m) {  // the card's main metric, as `zoo list` shows it
  if (!m) return "";
  if (m.accuracy !== undefined) return `accuracy ${m.accuracy.toFixed(4)} (${m.split})`;
  if (m.loss_nats_per_char !== undefined) return `${m.loss_nats_per_char.toFixed(3)} nats/char (${m.split})`;
  if (m.bleu !== undefined) return `BLEU ${m.bleu.toFixed(1)} (${m.split})`;
  if (m.nll_per_step !== undefined) return `${m.nll_per_step.toFixed(2)} nats/step (${m.split})`;
  return "";
}

function selected() { return cards[$("model").value]; }

function choose() {
  const card = selected();
  showError(null);
  document.querySelectorAll(".panel").forEach((p) => { p.hidden = !card || p.dataset.kind !== card.interface; });
  if (!card) return;
  $("headline").textContent = `${card.name}: ${card.interface}, ${card.topology}, ${card.cell}` +
    (headline(card.metrics) ? ` — ${headline(card.metrics)}` : "");
  $("card-json").textContent = JSON.stringify(card, null, 1);
  const curves = $("curves");
  curves.hidden = !card.curve;
  if (card.curve) curves.src = `/curves/${encodeURIComponent(card.alias)}`;
}

async function run(button, work) {
  showError(null);
  button.disabled = true;
  try { await work(); } catch (error) { showError(error); } finally { button.disabled = false; }
}

function number(id) { return $(id).value === "" ? null : Number($(id).value); }

const actions = {
  classify: async () => {
    const answer = await call("/classify", { texts: [$("classify-text").value], model: selected().alias });
    const result = answer.results[0];
    $("classify-label").textContent = result.label;
    $("classify-score").textContent = `${(100 * result.score).toFixed(1)}%`;
    $("classify-bar").style.width = `${(100 * result.score).toFixed(1)}%`;
  },
  generate: async () => {
    const answer = await call("/generate", {
      prompt: $("generate-prompt").value, length: number("generate-length"),
      temperature: number("generate-temperature"), seed: number("generate-seed"), model: selected().alias,
    });
    $("generate-result").textContent = answer.text;
  },
  translate: async () => {
    const texts = $("translate-text").value.split("\n").filter((line) => line.trim());
    const answer = await call("/translate", { texts, beam_size: number("translate-beam"), model: selected().alias });
    $("translate-result").replaceChildren(...answer.translations.map((t) => {
      const item = document.createElement("li");
      item.textContent = t;
      return item;
    }));
  },
  compose: async () => {
    const answer = await call("/compose", {
      first_chord: $("compose-chord").value, steps: number("compose-steps"),
      temperature: number("compose-temperature"), seed: number("compose-seed"), model: selected().alias,
    });
    $("compose-result").replaceChildren(...answer.chords.map((chord) => {
      const item = document.createElement("li");
      item.textContent = chord.length ? chord.join(" ") : "(rest)";
      return item;
    }));
    const link = $("compose-midi");
    link.href = `data:audio/midi;base64,${answer.midi_base64}`;
    link.hidden = false;
  },
};

async function start() {
  try {
    const answer = await call("/models", {});
    const select = $("model");
    for (const card of answer.models) {
      cards[card.alias] = card;
      const option = document.createElement("option");
      option.value = card.alias;
      option.textContent = `${card.alias} (${card.interface})`;
      select.appendChild(option);
    }
    const first = answer.defaults.classify || Object.keys(cards)[0];
    if (first) select.value = first;
    select.addEventListener("change", choose);
    choose();
  } catch (error) {
    showError(error);
  }
  for (const [name, work] of Object.entries(actions)) {
    const button = $(`${name}-run`);
    button.addEventListener("click", () => run(button, work));
  }
}

start();
