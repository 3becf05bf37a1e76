// Patients pages: small conveniences on top of forms that work without JavaScript.

// Posture rows: choosing a direction or a severity ticks "present"; un-ticking clears them.
for (const row of document.querySelectorAll("[data-posture-row]")) {
  const present = row.querySelector("[data-posture-present]");
  const details = row.querySelectorAll("[data-posture-detail]");
  if (!present) continue;
  for (const input of details) {
    input.addEventListener("change", () => {
      if ((input.type === "radio" && input.checked) || (input.tagName === "SELECT" && input.value)) {
        present.checked = true;
      }
    });
  }
  present.addEventListener("change", () => {
    if (present.checked) return;
    for (const input of details) {
      if (input.type === "radio") input.checked = false;
      else input.value = "";
    }
  });
}

// Side effects: the dysphagia grade only for dysphagia, "what it was" only for "Other".
const kind = document.querySelector("[data-adverse-kind]");
if (kind) {
  const sync = () => {
    for (const block of document.querySelectorAll("[data-show-for]")) {
      const shown = block.dataset.showFor === kind.value;
      block.hidden = !shown && !block.querySelector(".is-invalid");
    }
  };
  kind.addEventListener("change", sync);
  sync();
}
