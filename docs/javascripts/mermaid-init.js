// Draw every ```mermaid block (Markdown pages and notebook cells) with the local mermaid.min.js,
// as an inline SVG. Runs before Material's own handler, which would fetch mermaid from a CDN.
(function () {
  var blocks = document.querySelectorAll("pre.mermaid");
  if (!blocks.length || typeof mermaid === "undefined") return;
  mermaid.initialize({ startOnLoad: false, theme: "default" });
  blocks.forEach(function (pre, i) {
    var text = pre.textContent;
    var div = document.createElement("div");
    div.className = "course-diagram";
    // notebook cells wrap the block in a .jp-Mermaid div that Jupyter's CSS hides until rendered
    var wrapper = pre.parentElement;
    (wrapper && wrapper.classList.contains("jp-Mermaid") ? wrapper : pre).replaceWith(div);
    mermaid.render("course-diagram-" + i, text).then(function (result) {
      div.innerHTML = result.svg;
    });
  });
})();
