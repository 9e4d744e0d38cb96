// Search as you type: the header's search box lists suggestions from /search/suggest.json under itself
// (an ARIA combobox: arrows move, Enter opens, Escape closes). static/js/search.js loads this module, and
// the suggestions' styles with it, when the box is first used. Without scripts the box still submits to
// /search, which shows the same results on the server.
const DELAY_MS = 120;

const styles = document.createElement("link");
styles.rel = "stylesheet";
styles.href = new URL("../css/search.css", import.meta.url).href;
document.head.append(styles);

export function enhance(input) {
  const form = input.form;
  const list = document.createElement("ul");
  list.id = `${input.id}-suggestions`;
  list.className = "site-search__suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  form.append(list, status);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);

  let timer = 0;
  let pending = null;
  let active = -1;
  let shown = "";

  function options() {
    return Array.from(list.children);
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function select(index) {
    const items = options();
    items.forEach((item, n) => item.setAttribute("aria-selected", String(n === index)));
    active = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function show(query, results) {
    list.replaceChildren(
      ...results.map((result, n) => {
        const item = document.createElement("li");
        item.id = `${list.id}-${n}`;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        const link = document.createElement("a");
        link.href = result.url;
        link.tabIndex = -1;
        const name = document.createElement("span");
        name.textContent = result.name;
        const about = document.createElement("span");
        about.className = "site-search__kind";
        about.textContent = result.context ? `${result.kind_label} · ${result.context}` : result.kind_label;
        link.append(name, " ", about);
        item.append(link);
        return item;
      }),
    );
    shown = query;
    active = -1;
    const open = results.length > 0;
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    status.textContent = open ? `${results.length} suggestions` : "No suggestions";
  }

  async function suggest() {
    const query = input.value.trim();
    if (!query) {
      close();
      return;
    }
    if (query === shown && options().length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      return;
    }
    pending?.abort();
    pending = new AbortController();
    const url = `${input.dataset.suggest}?${new URLSearchParams({ q: query })}`;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, signal: pending.signal });
      if (!response.ok) {
        close();
        return;
      }
      const body = await response.json();
      if (input.value.trim() === query) {
        show(query, body.results);
      }
    } catch (error) {
      if (error.name !== "AbortError") {
        close();
      }
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, DELAY_MS);
  });
  input.addEventListener("focus", () => {
    if (input.value.trim()) {
      suggest();
    }
  });
  input.addEventListener("keydown", (event) => {
    const count = options().length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) {
        suggest();
        return;
      }
      event.preventDefault();
      // From the box (-1) through each suggestion and back to the box, either way round.
      let next = active + (event.key === "ArrowDown" ? 1 : -1);
      if (next >= count) {
        next = -1;
      } else if (next < -1) {
        next = count - 1;
      }
      select(next);
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      window.location.assign(options()[active].querySelector("a").href);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  // A click on a suggestion lands before the box loses focus and closes the list.
  list.addEventListener("mousedown", (event) => event.preventDefault());
  input.addEventListener("blur", close);
  // Typed before this module arrived: suggest for what is in the box already.
  if (document.activeElement === input && input.value.trim()) {
    suggest();
  }
}
