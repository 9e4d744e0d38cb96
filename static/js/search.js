// The header's search box, enhanced on first use: the first focus, typing or touch loads search-box.js (and its
// styles), so pages that nobody searches from carry only these lines. Without scripts the box submits to /search.
for (const input of document.querySelectorAll("input[data-suggest]")) {
  const start = () => {
    for (const type of ["focus", "input", "pointerdown"]) input.removeEventListener(type, start);
    import("./search-box.js").then((box) => box.enhance(input));
  };
  for (const type of ["focus", "input", "pointerdown"]) input.addEventListener(type, start);
}
