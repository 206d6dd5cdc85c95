// The search page: results as the reader types, from the Pagefind index the build wrote.
// Nothing is fetched before the first query. Then the engine (pagefind.js and its WebAssembly),
// the index's metadata and the chunks holding the typed words load once; each result's title,
// date and excerpt (its fragment) loads only when the result is shown, PAGE_SIZE at a time.
const PAGE_SIZE = 5;
const TYPING_PAUSE_MS = 200; // one search per pause in typing, not one per key

const form = document.querySelector("form.search-form");
const input = form && form.querySelector("input[type=search]");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");

let engine = null; // the promise of Pagefind, made at the first query
let waiting = []; // results of the current query not shown yet
let generation = 0; // each query's number: a late answer to an older query is dropped
let timer = 0;

function pagefind() {
  if (!engine) {
    engine = import(form.dataset.bundle + "pagefind.js").then(async (module) => {
      // Pagefind searches in its web worker (pagefind-worker.js, same origin: the CSP's
      // script-src 'self' covers it), so unpacking the index never holds up the page.
      await module.options({ excerptLength: 24 });
      await module.init();
      return module;
    });
    engine.catch(() => {
      engine = null; // a failed load (offline) is tried again at the next query
    });
  }
  return engine;
}

function keepInAddress(term) {
  const address = new URL(window.location.href);
  if (term) address.searchParams.set("q", term);
  else address.searchParams.delete("q");
  window.history.replaceState(null, "", address);
}

async function search(query) {
  const mine = ++generation;
  const term = query.trim();
  keepInAddress(term);
  if (!term) {
    waiting = [];
    list.replaceChildren();
    more.hidden = true;
    status.textContent = "";
    return;
  }
  let found;
  try {
    found = await (await pagefind()).search(term);
  } catch (error) {
    if (mine === generation) status.textContent = "Search could not load. Check your connection and try again.";
    return;
  }
  if (mine !== generation || !found) return; // a newer query is on its way
  waiting = found.results.slice();
  list.replaceChildren();
  await showMore(mine);
  if (mine !== generation) return;
  const count = found.results.length;
  status.textContent = count
    ? `${count} ${count === 1 ? "post matches" : "posts match"} “${term}”.`
    : `No post matches “${term}”.`;
}

async function showMore(mine) {
  const batch = await Promise.all(waiting.splice(0, PAGE_SIZE).map((result) => result.data()));
  if (mine !== generation) return null;
  const items = batch.map(render);
  list.append(...items);
  more.hidden = waiting.length === 0;
  return items[0] || null;
}

function render(data) {
  const item = document.createElement("li");
  item.className = "search-result";
  const heading = document.createElement("h2");
  heading.className = "search-result__title";
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = (data.meta && data.meta.title) || data.url;
  heading.append(link);
  item.append(heading);
  if (data.meta && data.meta.date) {
    const when = document.createElement("time");
    when.className = "search-result__date";
    when.dateTime = data.meta.date;
    when.textContent = data.meta.date_label || data.meta.date.slice(0, 10);
    item.append(when);
  }
  const excerpt = document.createElement("p");
  excerpt.className = "search-result__excerpt";
  appendExcerpt(excerpt, data.excerpt || "");
  item.append(excerpt);
  return item;
}

// Pagefind's excerpt is escaped text with <mark> around the words found: it is rebuilt as text
// nodes and <mark> elements, never parsed as HTML.
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

function unescapeText(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function appendExcerpt(parent, excerpt) {
  excerpt.split(/<\/?mark>/).forEach((part, index) => {
    const text = document.createTextNode(unescapeText(part));
    if (index % 2 === 1) {
      const mark = document.createElement("mark");
      mark.append(text);
      parent.append(mark);
    } else if (part) {
      parent.append(text);
    }
  });
}

if (form && input && status && list && more) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.clearTimeout(timer);
    search(input.value);
  });
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => search(input.value), TYPING_PAUSE_MS);
  });
  more.addEventListener("click", async () => {
    const first = await showMore(generation);
    if (first) first.querySelector("a").focus(); // the keyboard goes on from the new results
  });
  // Arriving from the header's box (/search/?q=...): search at once.
  const asked = new URLSearchParams(window.location.search).get("q");
  if (asked) {
    input.value = asked;
    input.focus(); // the keyboard goes on where it was: in a search box, the results a Tab away
    search(asked);
  }
}
